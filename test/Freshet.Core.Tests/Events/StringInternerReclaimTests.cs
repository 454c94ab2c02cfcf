using System.Text;
using Freshet.Events;

namespace Freshet.Core.Tests.Events;

/// <summary>Freeing interned ids: pins win, promotions since an epoch protect, readers keep freed strings readable.</summary>
public sealed class StringInternerReclaimTests
{
    [Fact]
    public void Free_UnpromotedReclaimableId_LeavesTheIndexAndIsNeverHandedOutAgain()
    {
        var strings = new StringInterner();
        int alice = strings.GetOrAddReclaimableUtf8("alice"u8);
        int epoch = strings.AdvanceEpoch();

        Assert.Equal([alice], strings.Free([alice], epoch));
        Assert.False(strings.TryGet("alice", out _));
        Assert.True(strings.IsFreed(alice));

        int again = strings.GetOrAddReclaimableUtf8("alice"u8);
        Assert.NotEqual(alice, again);
        Assert.Equal("alice", strings[again]);
        Assert.Equal(1, strings.LiveCount);
    }

    [Fact]
    public void Free_PinnedOrRecentlyPromotedIds_AreKept()
    {
        var strings = new StringInterner();
        int pinned = strings.GetOrAddReclaimableUtf8("price"u8);
        Assert.Equal(pinned, strings.GetOrAdd("price")); // A catalog naming it pins it.
        int recent = strings.GetOrAddReclaimableUtf8("bob"u8);
        int epoch = strings.AdvanceEpoch();
        Assert.Equal(recent, strings.GetOrAddReclaimableUtf8("bob"u8)); // Promoted again after the checkpoint began.

        Assert.Empty(strings.Free([pinned, recent], epoch));
        Assert.True(strings.TryGet("price", out _));
        Assert.True(strings.TryGet("bob", out _));
    }

    [Fact]
    public void TryGetPinnedUtf8_ReclaimableId_IsNotFound()
    {
        // Parsers run outside the ingest lock: a batch holding a reclaimable id could outlive the id.
        var strings = new StringInterner();
        strings.GetOrAddReclaimableUtf8("carol"u8);
        int type = strings.GetOrAdd("view");

        Assert.False(strings.TryGetPinnedUtf8("carol"u8, out _));
        Assert.True(strings.TryGetPinnedUtf8("view"u8, out int found));
        Assert.Equal(type, found);
    }

    [Fact]
    public void Free_WhileAReaderIsInside_KeepsTheStringUntilItLeaves()
    {
        var strings = new StringInterner();
        int first = strings.GetOrAddReclaimableUtf8("first"u8);
        int second = strings.GetOrAddReclaimableUtf8("second"u8);
        int epoch = strings.AdvanceEpoch();

        var reader = strings.EnterRead(); // A query that copied a top-k holding 'first' before it was freed.
        Assert.Equal([first], strings.Free([first], epoch));
        Assert.Equal("first", strings[first]);

        // The next free waits for that reader: nothing more is freed, and the string stays readable.
        Assert.False(strings.ReleaseRetired());
        Assert.Empty(strings.Free([second], epoch));
        Assert.Equal("first", strings[first]);
        Assert.False(strings.IsFreed(second));

        reader.Dispose();
        Assert.Equal([second], strings.Free([second], epoch));
        Assert.Null(strings[first]); // Dropped: no reader can hold the id any more.
        Assert.Equal("second", strings[second]);
    }

    [Fact]
    public void Add_AfterManyFrees_RebuildsTheTableWithoutTombstonesAndFindsEveryLiveString()
    {
        var strings = new StringInterner();
        var live = new List<(int Id, string Text)>();
        for (int round = 0; round < 20; round++)
        {
            var ids = Enumerable.Range(0, 5000).Select(i => strings.GetOrAddReclaimableUtf8(Encoding.UTF8.GetBytes($"r{round}-{i}"))).ToArray();
            live.Add((ids[0], $"r{round}-0"));
            int epoch = strings.AdvanceEpoch();
            Assert.Equal(4999, strings.Free(ids[1..], epoch).Count);
        }

        Assert.Equal(20, strings.LiveCount);
        foreach (var (id, text) in live)
        {
            Assert.True(strings.TryGet(text, out int found));
            Assert.Equal(id, found);
        }

        Assert.False(strings.TryGet("r3-7", out _));
    }
}
