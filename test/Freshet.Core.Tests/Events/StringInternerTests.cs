using System.Text;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Core.Tests.Events;

public sealed class StringInternerTests
{
    [Fact]
    public void GetOrAdd_SameTextAnyWay_SameIdAndContentHash()
    {
        var strings = new StringInterner();
        int a = strings.GetOrAdd("user-42");
        int b = strings.GetOrAdd("user-42".AsSpan());
        int c = strings.GetOrAddUtf8("user-42"u8);

        Assert.Equal(a, b);
        Assert.Equal(a, c);
        Assert.Equal("user-42", strings[a]);
        Assert.Equal(XxHash64.Hash("user-42"u8), strings.HashOf(a));
        Assert.True(strings.TryGet("user-42", out int found) && found == a);
        Assert.False(strings.TryGet("user-43", out _));
    }

    [Fact]
    public void GetOrAddUtf8_InvalidUtf8_HashesTheStringItBecomes()
    {
        var strings = new StringInterner();
        int id = strings.GetOrAddUtf8([(byte)'i', 0xFF]);

        // What a restart sees: the string as stored (with U+FFFD), interned again from its own UTF-8.
        var again = new StringInterner();
        int reloaded = again.GetOrAddUtf8(Encoding.UTF8.GetBytes(strings[id]));
        Assert.Equal(strings.HashOf(id), again.HashOf(reloaded));
    }

    [Fact]
    public void GetOrAdd_ManyStrings_IdsAreDenseInFirstSeenOrder()
    {
        var strings = new StringInterner();
        for (int i = 0; i < 100_000; i++)
        {
            Assert.Equal(i + 1, strings.GetOrAdd($"k{i}"));
        }

        Assert.Equal(100_001, strings.Count);
        for (int i = 0; i < 100_000; i += 997)
        {
            Assert.True(strings.TryGet($"k{i}", out int id) && id == i + 1);
            Assert.Equal(XxHash64.Hash(Encoding.UTF8.GetBytes($"k{i}")), strings.HashOf(id));
        }
    }

    [Fact]
    public void GetOrAdd_FromManyThreadsAtOnce_EveryStringGetsOneIdAndEveryReaderSeesIt()
    {
        var strings = new StringInterner();
        const int threads = 8, perThread = 40_000;
        var ids = new int[threads][];
        Parallel.For(0, threads, t =>
        {
            // Overlapping ranges: every string is added by two threads racing, and read back at once.
            ids[t] = new int[perThread];
            for (int i = 0; i < perThread; i++)
            {
                string text = $"s{((t / 2) * perThread) + i}";
                int id = strings.GetOrAdd(text);
                ids[t][i] = id;
                Assert.Equal(text, strings[id]);
            }
        });

        for (int t = 0; t < threads; t += 2)
        {
            Assert.Equal(ids[t], ids[t + 1]);
        }

        Assert.Equal((threads / 2 * perThread) + 1, strings.Count);
        Assert.Equal(threads / 2 * perThread, ids.SelectMany(x => x).Distinct().Count());
    }

    [Fact]
    public void EnsureCapacity_ThenAdds_KeepsEarlierIds()
    {
        var strings = new StringInterner();
        int before = strings.GetOrAdd("early");
        strings.EnsureCapacity(50_000);
        for (int i = 0; i < 50_000; i++)
        {
            strings.GetOrAdd($"x{i}");
        }

        Assert.True(strings.TryGet("early", out int id) && id == before);
    }
}
