using System.Globalization;
using System.Text;
using Freshet.Events;
using Freshet.Seams;

namespace Freshet.Testing.Log;

/// <summary>
/// What every <see cref="IEventLog"/> must do, whatever holds the events: the embedded file log passes it with one
/// partition and with several, the throwaway in-memory log passes it too, and a log on Redis streams (issue 15) will
/// derive from it. A concrete test supplies the hooks: <see cref="Open"/> (a fresh log on the first call, the same
/// storage reopened on later ones), <see cref="Crash"/> and <see cref="Break"/>. xUnit makes one instance per test, so
/// each test starts from empty storage; dispose what the hooks created in <see cref="Dispose(bool)"/>.
/// </summary>
public abstract class EventLogContract : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly List<IEventLog> _opened = [];

    /// <summary>Partitions the log under test has (several, unless the test is about a log of one).</summary>
    protected virtual int Partitions => 3;

    /// <summary>The string table the appended batches' ids refer to (the log encodes their text).</summary>
    protected StringInterner Strings { get; } = new();

    /// <summary>
    /// Opens the log of <paramref name="partitions"/> partitions whose appended batches use <paramref name="strings"/>:
    /// empty the first time, then the same storage as the previous instance left it (after a dispose or a crash). Its
    /// appends must be able to become durable (the tests wait for them), and <see cref="IEventLog.Trim"/> must be able to
    /// drop the first of many appends that were each made durable (a segmented log uses small segments here).
    /// </summary>
    protected abstract IEventLog Open(int partitions, StringInterner strings);

    /// <summary>Stops <paramref name="log"/> as a crash of the process would: nothing more is written or flushed in order; what was durable stays.</summary>
    protected abstract void Crash(IEventLog log);

    /// <summary>Makes the backend of <paramref name="partition"/> fail (its directory vanishes, the connection drops): appends must stop with <see cref="IEventLog.Failure"/>.</summary>
    protected abstract void Break(IEventLog log, int partition);

    [Fact]
    public void Open_Empty_EveryPartitionStartsAtTheStart()
    {
        using var log = OpenTracked();

        Assert.Equal(Partitions, log.Partitions);
        for (int p = 0; p < Partitions; p++)
        {
            Assert.Equal(LogPosition.Start, log.FirstOf(p));
            Assert.Equal(LogPosition.Start, log.EndOf(p));
            Assert.Equal(LogPosition.Start, log.Read(p, LogPosition.Start, new StringInterner(), (_, _) => Assert.Fail("an empty partition has nothing to read")));
        }

        Assert.Null(log.Failure);
    }

    [Fact]
    public async Task Append_ThenRead_ReturnsEveryEventInOrderWithItsPosition()
    {
        using var log = OpenTracked();
        var expected = new List<string>[Partitions];
        for (int p = 0; p < Partitions; p++)
        {
            expected[p] = [];
            for (int b = 0; b < 3; b++)
            {
                var end = Append(log, p, first: b * 7, count: 7, expected[p]);
                Assert.Equal(new LogPosition(expected[p].Count), end);
            }

            await WaitDurable(log, p, log.EndOf(p));
        }

        for (int p = 0; p < Partitions; p++)
        {
            var (events, through) = ReadAll(log, p, LogPosition.Start);
            Assert.Equal(expected[p], events);
            Assert.Equal(log.EndOf(p), through);
        }
    }

    [Fact]
    public async Task Append_ToOnePartition_LeavesThePositionsOfTheOthersAlone()
    {
        using var log = OpenTracked();
        int last = Partitions - 1;
        Append(log, 0, first: 0, count: 5, []);
        var end = Append(log, last, first: 100, count: 3, []);
        await WaitDurable(log, last, end);

        Assert.Equal(new LogPosition(Partitions == 1 ? 8 : 5), log.EndOf(0));
        Assert.Equal(new LogPosition(Partitions == 1 ? 8 : 3), log.EndOf(last));
        for (int p = 1; p < last; p++)
        {
            Assert.Equal(LogPosition.Start, log.EndOf(p));
        }
    }

    [Fact]
    public void Append_BatchSlice_AppendsOnlyThoseEvents()
    {
        using var log = OpenTracked();
        var batch = Batch(0, 10);
        var all = Describe(batch, Strings);

        var end = log.Append(0, batch, 3, 4);

        Assert.Equal(new LogPosition(4), end);
        Assert.Equal(all.Skip(3).Take(4), ReadAll(log, 0, LogPosition.Start).Events);
    }

    [Fact]
    public void Append_NoSuchPartition_IsRefused()
    {
        using var log = OpenTracked();

        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(Partitions, Batch(0, 1), 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(-1, Batch(0, 1), 0, 1));
    }

    [Fact]
    public async Task Read_FromTheMiddleOfAnAppend_StartsAtThatPosition()
    {
        using var log = OpenTracked();
        var expected = new List<string>();
        for (int b = 0; b < 3; b++)
        {
            Append(log, 0, first: b * 10, count: 10, expected);
        }

        await WaitDurable(log, 0, log.EndOf(0));
        var runs = new List<LogPosition>();
        var (events, through) = ReadAll(log, 0, new LogPosition(15), runs);

        Assert.Equal(expected.Skip(15), events);
        Assert.Equal(new LogPosition(15), runs[0]);
        Assert.Equal(new LogPosition(30), through);
        Assert.Empty(ReadAll(log, 0, new LogPosition(30)).Events);
    }

    [Fact]
    public void Read_RightAfterAnAppend_SeesIt()
    {
        using var log = OpenTracked();
        var expected = new List<string>();
        for (int b = 0; b < 20; b++)
        {
            // No wait for durability: a read reaches the end the partition had when it started, whatever the backend buffers.
            var end = Append(log, 0, first: b * 5, count: 5, expected);
            var (events, through) = ReadAll(log, 0, LogPosition.Start);
            Assert.Equal(end, through);
            Assert.Equal(expected, events);
        }
    }

    [Fact]
    public async Task Read_BesideAppends_SeesAPrefixThatReachesTheEndAtItsStart()
    {
        using var log = OpenTracked();
        var expected = new List<string>();
        var all = Batch(0, 4_000);
        var described = Describe(all, Strings);
        using var stop = new CancellationTokenSource();
        var appender = Task.Run(() =>
        {
            for (int i = 0; i < all.Count && !stop.IsCancellationRequested; i += 20)
            {
                log.Append(0, all, i, 20);
            }
        });

        int reads = 0;
        while (!appender.IsCompleted || reads < 3)
        {
            var endBefore = log.EndOf(0);
            var (events, through) = ReadAll(log, 0, LogPosition.Start);
            Assert.True(through >= endBefore, $"a read that started with the partition at {endBefore} read only through {through}");
            Assert.Equal(described.Take(events.Count), events);
            Assert.Equal(new LogPosition(events.Count), through);
            reads++;
        }

        await appender;
        await WaitDurable(log, 0, log.EndOf(0));
        Assert.Equal(described, ReadAll(log, 0, LogPosition.Start).Events);
    }

    [Fact]
    public async Task Trim_RaisesFirstOf_AndReadingBelowItFailsSayingWhere()
    {
        using var log = OpenTracked();
        int p = Partitions - 1;
        var expected = new List<string>();
        LogPosition before = default;
        for (int b = 0; b < 50; b++)
        {
            var end = Append(log, p, first: b * 20, count: 20, expected);
            await WaitDurable(log, p, end);
            if (b == 39)
            {
                before = end;
            }
        }

        var first = log.Trim(p, before);

        Assert.True(first > LogPosition.Start, $"trimming before {before} kept everything");
        Assert.True(first <= before, $"trimming before {before} dropped events after it (the log starts at {first})");
        Assert.Equal(first, log.FirstOf(p));
        Assert.Equal(expected.Skip((int)first.Offset), ReadAll(log, p, first).Events);
        var error = Assert.ThrowsAny<Exception>(() => log.Read(p, LogPosition.Start, new StringInterner(), (_, _) => { }));
        Assert.Contains(first.ToString(), error.Message, StringComparison.Ordinal);
        if (Partitions > 1)
        {
            Assert.Equal(LogPosition.Start, log.FirstOf(0));
        }

        // Appends go on after a trim, at the same end.
        Assert.Equal(new LogPosition(1_001), log.Append(p, Batch(5_000, 1), 0, 1));
    }

    [Fact]
    public async Task WaitDurable_ForAppendedEvents_Completes()
    {
        using var log = OpenTracked();
        var end = Append(log, 0, first: 0, count: 50, []);

        await WaitDurable(log, 0, end);
        await WaitDurable(log, 0, LogPosition.Start);
    }

    [Fact]
    public async Task Failure_OfTheBackend_StopsAppendsWithTheLogsFailure()
    {
        using var log = OpenTracked();
        await WaitDurable(log, 0, Append(log, 0, first: 0, count: 5, []));
        Assert.Null(log.Failure);

        Break(log, 0);
        // A backend may notice only at its next write: keep appending until it does (a bounded number of times).
        Exception? seen = null;
        for (int i = 0; i < 200 && seen is null; i++)
        {
            try
            {
                var end = log.Append(0, Batch(100 + i, 1), 0, 1);
                await log.WaitDurableAsync(0, end).WaitAsync(Patience);
            }
            catch (Exception error) when (error is not TimeoutException)
            {
                seen = error;
            }
        }

        Assert.NotNull(seen);
        var failure = log.Failure;
        Assert.NotNull(failure);
        var refused = Assert.ThrowsAny<Exception>(() => log.Append(0, Batch(900, 1), 0, 1));
        Assert.Same(failure, refused);
        await Assert.ThrowsAnyAsync<Exception>(() => log.WaitDurableAsync(0, log.EndOf(0).Advance(1)).WaitAsync(Patience));
    }

    [Fact]
    public async Task Dispose_ThenReopen_KeepsEveryAppendAndGoesOnFromTheEnd()
    {
        var expected = new List<string>[Partitions];
        using (var log = OpenTracked())
        {
            for (int p = 0; p < Partitions; p++)
            {
                expected[p] = [];
                Append(log, p, first: p * 1000, count: 12, expected[p]);
                Append(log, p, first: (p * 1000) + 12, count: 5, expected[p]);
            }

            await WaitDurable(log, 0, log.EndOf(0));
        }

        using var reopened = OpenTracked();
        for (int p = 0; p < Partitions; p++)
        {
            Assert.Equal(new LogPosition(expected[p].Count), reopened.EndOf(p));
            Assert.Equal(expected[p], ReadAll(reopened, p, LogPosition.Start).Events);
        }

        var next = Append(reopened, 0, first: 50_000, count: 3, expected[0]);
        await WaitDurable(reopened, 0, next);
        Assert.Equal(expected[0], ReadAll(reopened, 0, LogPosition.Start).Events);
    }

    [Fact]
    public async Task Crash_ThenReopen_KeepsWhatWasDurableAndAPrefixOfTheRest()
    {
        var expected = new List<string>[Partitions];
        var durable = new LogPosition[Partitions];
        var log = OpenTracked();
        for (int p = 0; p < Partitions; p++)
        {
            expected[p] = [];
            for (int b = 0; b < 4; b++)
            {
                durable[p] = Append(log, p, first: (p * 1000) + (b * 10), count: 10, expected[p]);
            }

            await WaitDurable(log, p, durable[p]);
            // Not waited for: a crash may lose these, but never keep a damaged or reordered part of them.
            for (int b = 0; b < 20; b++)
            {
                Append(log, p, first: (p * 1000) + 500 + (b * 10), count: 10, expected[p]);
            }
        }

        Crash(log);

        using var reopened = OpenTracked();
        for (int p = 0; p < Partitions; p++)
        {
            var end = reopened.EndOf(p);
            Assert.True(end >= durable[p], $"partition {p} ends at {end} after the crash; everything before {durable[p]} was durable");
            var (events, through) = ReadAll(reopened, p, LogPosition.Start);
            Assert.Equal(end, through);
            Assert.Equal(expected[p].Take(events.Count), events);
            Assert.Equal((int)end.Offset, events.Count);
        }

        // The reopened log appends after what it kept.
        var kept = ReadAll(reopened, 0, LogPosition.Start).Events;
        var next = reopened.Append(0, Batch(90_000, 2), 0, 2);
        await WaitDurable(reopened, 0, next);
        Assert.Equal(kept.Concat(Describe(Batch(90_000, 2), Strings)), ReadAll(reopened, 0, LogPosition.Start).Events);
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes every log the tests opened (a crashed one too: disposing it again must be harmless); override to delete storage afterwards.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var log in _opened)
            {
                log.Dispose();
            }

            _opened.Clear();
        }
    }

    /// <summary>An event batch of <paramref name="count"/> events numbered from <paramref name="first"/>: two types, a string and a number field, ids.</summary>
    protected EventBatch Batch(int first, int count)
    {
        int view = Strings.GetOrAdd("view"), click = Strings.GetOrAdd("click"), item = Strings.GetOrAdd("item"), price = Strings.GetOrAdd("price");
        var batch = new EventBatch(count);
        for (int i = first; i < first + count; i++)
        {
            batch.BeginEvent(i % 3 == 0 ? click : view, T0 + (i * 1_000L), (ulong)i + 1);
            batch.AddString(item, Strings.GetOrAdd("item-" + (i % 97).ToString(CultureInfo.InvariantCulture)));
            batch.AddNumber(price, i * 0.25);
            batch.EndEvent();
        }

        return batch;
    }

    private IEventLog OpenTracked()
    {
        var log = Open(Partitions, Strings);
        _opened.Add(log);
        return log;
    }

    private LogPosition Append(IEventLog log, int partition, int first, int count, List<string> expected)
    {
        var batch = Batch(first, count);
        expected.AddRange(Describe(batch, Strings));
        return log.Append(partition, batch, 0, count);
    }

    private static async Task WaitDurable(IEventLog log, int partition, LogPosition through)
    {
        try
        {
            await log.WaitDurableAsync(partition, through).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"partition {partition} did not become durable through {through} within {Patience.TotalSeconds} s");
        }
    }

    /// <summary>Reads <paramref name="partition"/> from <paramref name="from"/> with a fresh string table (the text must travel), checking the runs follow each other.</summary>
    private static (List<string> Events, LogPosition Through) ReadAll(IEventLog log, int partition, LogPosition from, List<LogPosition>? runs = null)
    {
        var strings = new StringInterner();
        var events = new List<string>();
        var next = from;
        var through = log.Read(partition, from, strings, (batch, first) =>
        {
            Assert.Equal(next, first);
            runs?.Add(first);
            events.AddRange(Describe(batch, strings));
            next = first.Advance(batch.Count);
        });
        Assert.Equal(next, through);
        return (events, through);
    }

    private static List<string> Describe(EventBatch batch, StringInterner strings)
    {
        var result = new List<string>(batch.Count);
        var text = new StringBuilder();
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var e = ref batch[i];
            text.Clear().Append(batch.StringOf(e.TypeId, strings)).Append('@').Append(e.TimeMs).Append('#').Append(e.IdHash);
            foreach (var field in batch.FieldsOf(i))
            {
                text.Append(' ').Append(batch.StringOf(field.NameId, strings)).Append('=');
                if (field.Kind == FieldKind.String)
                {
                    text.Append('"').Append(batch.StringOf(field.StringId, strings)).Append('"');
                }
                else
                {
                    text.Append(field.Number.ToString("R", CultureInfo.InvariantCulture));
                }
            }

            result.Add(text.ToString());
        }

        return result;
    }
}
