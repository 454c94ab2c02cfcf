using Freshet.Files.Mapping;
using Freshet.Files.Sorting;
using Freshet.Files.Sources;

namespace Freshet.Files.Tests;

public sealed class SortBufferTests
{
    [Fact]
    public void Sort_EventsOutOfOrder_AreInTimeOrderAndTiesKeepFileOrder()
    {
        string path = MappedFiles.Write("type,time,item\nview,3000000000000,a\nview,1000000000000,b\nview,3000000000000,c\nview,2000000000000,d\n", ".csv");
        var buffer = new SortBuffer(10);
        var names = Fill(path, buffer);

        buffer.Sort();

        var sorted = Enumerable.Range(0, buffer.Count).Select(i => MappedFiles.ToRow(buffer.Get(i), names)).ToList();
        Assert.Equal(["b", "d", "a", "c"], sorted.Select(e => e.Text("item")));
        Assert.Equal([3L, 5, 2, 4], sorted.Select(e => e.Line));
        Assert.All(sorted, e => Assert.Equal("view", e.Type));
    }

    [Fact]
    public void TryAdd_PastTheLimit_Refuses()
    {
        string path = MappedFiles.Write("type,time,item\nview,3000000000000,a\nview,1000000000000,b\nview,3000000000000,c\n", ".csv");
        var buffer = new SortBuffer(2);

        Fill(path, buffer);

        Assert.Equal(2, buffer.Count);
    }

    [Fact]
    public void SortRuns_MoreEventsThanTheBuffer_MergeInTheOrderOfOneInMemorySort()
    {
        var random = new Random(7);
        var text = new System.Text.StringBuilder("type,time,item\n");
        for (int i = 0; i < 1000; i++)
        {
            // Few distinct times, so many ties: the merge must keep them in file order as the in-memory sort does.
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(i % 3 == 0 ? "click" : "view")},{1_700_000_000_000 + (random.Next(50) * 1000)},i{i}\n");
        }

        string path = MappedFiles.Write(text.ToString(), ".csv");
        var whole = new SortBuffer(10_000);
        var names = Fill(path, whole);
        whole.Sort();
        var expected = Enumerable.Range(0, whole.Count).Select(i => MappedFiles.ToRow(whole.Get(i), names)).ToList();

        // The pipeline's way for a file larger than the buffer: sorted runs of 64 events on disk, then merged.
        var buffer = new SortBuffer(64);
        using var runs = new SortRuns();
        var runNames = FillInRuns(path, buffer, runs);
        Assert.Equal(16, runs.Count);
        var merged = new List<MappedRow>();
        using (var merger = runs.Merge())
        {
            while (merger.TryNext())
            {
                merged.Add(MappedFiles.ToRow(merger.Current, runNames));
            }
        }

        Assert.Equal(expected.Select(e => (e.Line, e.TimeMs, e.Type, e.Text("item"))), merged.Select(e => (e.Line, e.TimeMs, e.Type, e.Text("item"))));
    }

    private static FieldNameTable FillInRuns(string path, SortBuffer buffer, SortRuns runs)
    {
        var spec = new MappingSpec();
        Assert.True(InputFile.TryOpen(path, spec, out var source, out _, out _));
        using (source)
        {
            var names = new FieldNameTable();
            Assert.True(FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out _));
            source.Bind(mapping);
            var mapper = new RowMapper(mapping, new EventTimeParser(null, null), names);
            while (source.ReadRow(mapper))
            {
                Assert.True(mapper.EndRow(out _));
                if (!buffer.TryAdd(mapper.Current))
                {
                    buffer.Sort();
                    runs.Write(buffer);
                    buffer.Clear();
                    Assert.True(buffer.TryAdd(mapper.Current));
                }
            }

            buffer.Sort();
            runs.Write(buffer);
            return names;
        }
    }

    private static FieldNameTable Fill(string path, SortBuffer buffer)
    {
        var spec = new MappingSpec();
        Assert.True(InputFile.TryOpen(path, spec, out var source, out _, out _));
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
