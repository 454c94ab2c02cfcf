using Freshet.Events;
using Freshet.Seams;

namespace Freshet.Testing.Log;

/// <summary>
/// A throwaway <see cref="IEventLog"/> in memory, for tests, and the proof that the seam is real: it passes the same
/// <see cref="EventLogContract"/> as the file log. Events are kept by their text (as any serializing backend keeps
/// them), so a reader's string table need not be the writer's. Its durability model is a buffer flushed when someone
/// waits for durability or the log is closed in order: <see cref="Crash"/> drops what was not flushed, as a killed
/// process drops an unflushed buffer. The events live in a <see cref="Storage"/> that outlives one log, so a test can
/// reopen it after a dispose or a crash.
/// </summary>
public sealed class InMemoryEventLog : IEventLog
{
    private const int EventsPerRun = 64;

    private readonly Storage _storage;
    private readonly StringInterner _strings;
    private Exception? _failure;
    private bool _closed;

    /// <summary>Opens the log kept in <paramref name="storage"/>; appended batches' string ids refer to <paramref name="strings"/>.</summary>
    public InMemoryEventLog(Storage storage, StringInterner strings)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(strings);
        _storage = storage;
        _strings = strings;
    }

    public int Partitions => _storage.Partitions.Length;

    public Exception? Failure => Volatile.Read(ref _failure);

    public LogPosition Append(int partition, EventBatch events, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(events);
        var stored = Of(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, events.Count);
        lock (stored)
        {
            if (_failure is { } failure)
            {
                throw failure;
            }

            ObjectDisposedException.ThrowIf(_closed, this);
            for (int i = start; i < start + count; i++)
            {
                stored.Events.Add(StoredEvent.Of(events, i, _strings));
            }

            return stored.End;
        }
    }

    public Task WaitDurableAsync(int partition, LogPosition through, CancellationToken cancellationToken = default)
    {
        var stored = Of(partition);
        lock (stored)
        {
            if (_failure is { } failure)
            {
                return Task.FromException(failure);
            }

            // The flush: everything appended so far (through included) becomes durable.
            stored.Durable = stored.End.Offset;
            return Task.CompletedTask;
        }
    }

    public LogPosition FirstOf(int partition)
    {
        var stored = Of(partition);
        lock (stored)
        {
            return new LogPosition(stored.First);
        }
    }

    public LogPosition EndOf(int partition)
    {
        var stored = Of(partition);
        lock (stored)
        {
            return stored.End;
        }
    }

    public LogPosition Read(int partition, LogPosition from, StringInterner strings, LogRunVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(strings);
        ArgumentNullException.ThrowIfNull(visit);
        var stored = Of(partition);
        StoredEvent[] events;
        long first;
        lock (stored)
        {
            if (from.Offset < stored.First)
            {
                throw new InvalidOperationException(
                    $"partition {partition} of the in-memory log starts at {new LogPosition(stored.First)} now (it was trimmed), so it cannot be read from {from}");
            }

            ArgumentOutOfRangeException.ThrowIfGreaterThan(from.Offset, stored.End.Offset, nameof(from));
            first = from.Offset;
            events = [.. stored.Events.Skip((int)(from.Offset - stored.First))];
        }

        var batch = new EventBatch(EventsPerRun);
        for (int i = 0; i < events.Length; i += EventsPerRun)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            for (int j = i; j < Math.Min(events.Length, i + EventsPerRun); j++)
            {
                events[j].AddTo(batch, strings);
            }

            visit(batch, new LogPosition(first + i));
        }

        return new LogPosition(first + events.Length);
    }

    public LogPosition Trim(int partition, LogPosition before)
    {
        var stored = Of(partition);
        lock (stored)
        {
            long drop = Math.Clamp(before.Offset, stored.First, stored.End.Offset) - stored.First;
            stored.Events.RemoveRange(0, (int)drop);
            stored.First += drop;
            return new LogPosition(stored.First);
        }
    }

    /// <summary>Makes the log fail from now on, as a lost connection would: appends throw <paramref name="failure"/>, waits fault with it.</summary>
    public void Fail(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Interlocked.CompareExchange(ref _failure, failure, null);
    }

    /// <summary>Stops as a killed process would: whatever was not flushed (see the class summary) is lost.</summary>
    public void Crash()
    {
        foreach (var stored in _storage.Partitions)
        {
            lock (stored)
            {
                if (!_closed)
                {
                    long keep = Math.Max(stored.Durable - stored.First, 0);
                    stored.Events.RemoveRange((int)keep, stored.Events.Count - (int)keep);
                }
            }
        }

        _closed = true;
    }

    /// <summary>An orderly close: everything appended is flushed.</summary>
    public void Dispose()
    {
        foreach (var stored in _storage.Partitions)
        {
            lock (stored)
            {
                if (!_closed)
                {
                    stored.Durable = stored.End.Offset;
                }
            }
        }

        _closed = true;
    }

    private Partition Of(int partition)
    {
        if ((uint)partition >= (uint)_storage.Partitions.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"the log has partitions 0..{_storage.Partitions.Length - 1}");
        }

        return _storage.Partitions[partition];
    }

    /// <summary>What survives one log instance: the events of every partition.</summary>
    public sealed class Storage(int partitions)
    {
        internal Partition[] Partitions { get; } = [.. Enumerable.Range(0, partitions >= 1 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions))).Select(_ => new Partition())];
    }

    internal sealed class Partition
    {
        public List<StoredEvent> Events { get; } = [];

        /// <summary>Position of <see cref="Events"/>[0].</summary>
        public long First { get; set; }

        /// <summary>Events below this position were flushed.</summary>
        public long Durable { get; set; }

        public LogPosition End => new(First + Events.Count);
    }

    /// <summary>One event by its text.</summary>
    internal sealed record StoredEvent(string Type, long TimeMs, ulong IdHash, StoredField[] Fields)
    {
        public static StoredEvent Of(EventBatch batch, int index, StringInterner strings)
        {
            ref readonly var e = ref batch[index];
            var fields = batch.FieldsOf(index);
            var stored = new StoredField[fields.Length];
            for (int f = 0; f < fields.Length; f++)
            {
                var field = fields[f];
                stored[f] = field.Kind == FieldKind.String
                    ? new StoredField(batch.StringOf(field.NameId, strings), batch.StringOf(field.StringId, strings), 0)
                    : new StoredField(batch.StringOf(field.NameId, strings), null, field.Number);
            }

            return new StoredEvent(batch.StringOf(e.TypeId, strings), e.TimeMs, e.IdHash, stored);
        }

        public void AddTo(EventBatch batch, StringInterner strings)
        {
            batch.BeginEvent(strings.GetOrAdd(Type), TimeMs, IdHash);
            foreach (var field in Fields)
            {
                if (field.Text is { } text)
                {
                    batch.AddString(strings.GetOrAdd(field.Name), strings.GetOrAdd(text));
                }
                else
                {
                    batch.AddNumber(strings.GetOrAdd(field.Name), field.Number);
                }
            }

            batch.EndEvent();
        }
    }

    internal readonly record struct StoredField(string Name, string? Text, double Number);
}
