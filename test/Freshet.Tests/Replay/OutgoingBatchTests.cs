using System.Text;
using System.Text.Json;
using Freshet.Cli.Replay;
using Freshet.Events;
using Freshet.Files.Mapping;
using Freshet.Files.Sources;

namespace Freshet.Cli.Tests.Replay;

public sealed class OutgoingBatchTests
{
    [Fact]
    public void Add_Events_WritesNdjsonTheServerParserReadsBack()
    {
        string path = ReplayFiles.Write(
            "type,time,item,title,price\n"
            + "view,1700000000000,i1,\"quote \"\" back\\slash\ttab, ünïcödé ✓\",12.5\n"
            + "cart,1700000000001,i2,,0.1\n", ".csv");
        var batch = new OutgoingBatch(16);
        var names = MapInto(path, new MappingSpec { Numbers = ["price"] }, batch, "events.csv"u8.ToArray());

        string ndjson = Encoding.UTF8.GetString(batch.Body(0, batch.Count).Span);
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            var root = first.RootElement;
            Assert.Equal("events.csv:2", root.GetProperty("id").GetString());
            Assert.Equal("view", root.GetProperty("type").GetString());
            Assert.Equal(1700000000000, root.GetProperty("time").GetInt64());
            Assert.Equal("quote \" back\\slash\ttab, ünïcödé ✓", root.GetProperty("title").GetString());
            Assert.Equal(12.5, root.GetProperty("price").GetDouble());
        }

        // What the server does with the body: every event parses, none is rejected.
        var strings = new StringInterner();
        var parsed = new EventBatch();
        var errors = new List<EventError>();
        Assert.Equal(2, new EventJsonParser(strings).Parse(batch.Body(0, batch.Count).Span, parsed, errors));
        Assert.Empty(errors);
        Assert.Equal(2, parsed.Count);
        Assert.True(names.Count > 0);
    }

    [Fact]
    public void Body_PartOfTheBatch_IsThoseEventsLines()
    {
        string path = ReplayFiles.Write("type,time,item\nview,1700000000000,a\nview,1700000000001,b\nview,1700000000002,c\n", ".csv");
        var batch = new OutgoingBatch(4);
        MapInto(path, new MappingSpec(), batch, []);

        string middle = Encoding.UTF8.GetString(batch.Body(1, 1).Span);

        Assert.Equal("{\"type\":\"view\",\"time\":1700000000001,\"item\":\"b\"}\n", middle);
        Assert.Equal(3, batch.LineOf(1));
        Assert.Equal(1700000000000, batch.MinTimeMs);
        Assert.Equal(1700000000002, batch.MaxTimeMs);
    }

    private static FieldNameTable MapInto(string path, MappingSpec spec, OutgoingBatch batch, byte[] idPrefix)
    {
        Assert.True(InputFile.TryOpen(path, spec, out var source, out _, out _));
        using (source)
        {
            var names = new FieldNameTable();
            Assert.True(FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out _));
            source.Bind(mapping);
            var mapper = new RowMapper(mapping, new EventTimeParser(spec.TimeUnit, null), names);
            while (source.ReadRow(mapper))
            {
                Assert.True(mapper.EndRow(out var rejection), rejection.Message);
                batch.Add(mapper.Current, names, idPrefix);
            }

            return names;
        }
    }
}
