using Freshet.Cli.Replay;

namespace Freshet.Cli.Tests.Replay;

public sealed class SortBufferTests
{
    [Fact]
    public void Sort_EventsOutOfOrder_AreInTimeOrderAndTiesKeepFileOrder()
    {
        string path = ReplayFiles.Write("type,time,item\nview,3000000000000,a\nview,1000000000000,b\nview,3000000000000,c\nview,2000000000000,d\n", ".csv");
        var buffer = new SortBuffer(10);
        var names = Fill(path, buffer);

        buffer.Sort();

        var sorted = Enumerable.Range(0, buffer.Count).Select(i => ReplayFiles.ToRow(buffer.Get(i), names)).ToList();
        Assert.Equal(["b", "d", "a", "c"], sorted.Select(e => e.Text("item")));
        Assert.Equal([3L, 5, 2, 4], sorted.Select(e => e.Line));
        Assert.All(sorted, e => Assert.Equal("view", e.Type));
    }

    [Fact]
    public void TryAdd_PastTheLimit_Refuses()
    {
        string path = ReplayFiles.Write("type,time,item\nview,3000000000000,a\nview,1000000000000,b\nview,3000000000000,c\n", ".csv");
        var buffer = new SortBuffer(2);

        Fill(path, buffer);

        Assert.Equal(2, buffer.Count);
    }

    private static FieldNameTable Fill(string path, SortBuffer buffer)
    {
        var spec = new MappingSpec();
        Assert.True(ReplayInput.TryOpen(path, spec, out var source, out _, out _));
        using (source)
        {
            var names = new FieldNameTable();
            Assert.True(FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out _));
            source.Bind(mapping);
            var mapper = new RowMapper(mapping, new EventTimeParser(null, null), names);
            while (source.ReadRow(mapper))
            {
                Assert.True(mapper.EndRow(out _));
                buffer.TryAdd(mapper.Current);
            }

            return names;
        }
    }
}
