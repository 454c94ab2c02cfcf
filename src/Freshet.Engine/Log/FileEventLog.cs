using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Seams;

namespace Freshet.Engine.Log;

/// <summary>
/// The embedded <see cref="IEventLog"/>: one <see cref="EventLog"/> (segment files, group commit, the durability
/// policy) per partition. With one partition its segments lie in the log directory itself, exactly as before
/// partitions existed, so an old data directory opens unchanged and partition 0's positions are the old global
/// offsets; with P partitions each has a folder <c>partition-000</c>… of its own. The embedded engine uses one
/// partition applied by N shards (docs/SEAMS.md); P &gt; 1 runs in the log contract kit and is ready for a worker per
/// partition. Besides the seam it offers what only the embedded engine needs: starting the writers after recovery,
/// waiting for visibility, syncing for a checkpoint, retention by policy and checking old segments.
/// </summary>
internal sealed class FileEventLog : IEventLog
{
    private const string PartitionFolderPrefix = "partition-";

    private readonly EventLog[] _partitions;

    private FileEventLog(string directory, EventLog[] partitions, LogOpenReport[] reports)
    {
        Directory = directory;
        _partitions = partitions;
        Reports = reports;
    }

    /// <summary>The log directory (with one partition, also the folder of its segments).</summary>
    public string Directory { get; }

    public int Partitions => _partitions.Length;

    /// <summary>What opening each partition found and did, for the recovery report.</summary>
    public IReadOnlyList<LogOpenReport> Reports { get; }

    /// <summary>Why appends stopped (the first partition that failed), or null while the log works.</summary>
    public StorageException? Failure
    {
        get
        {
            foreach (var partition in _partitions)
            {
                if (partition.Failure is { } failure)
                {
                    return failure;
                }
            }

            return null;
        }
    }

    Exception? IEventLog.Failure => Failure;

    /// <summary>Segments and bytes of every partition together.</summary>
    public (int Segments, long Bytes) Size
    {
        get
        {
            int segments = 0;
            long bytes = 0;
            foreach (var partition in _partitions)
            {
                var (s, b) = partition.Size;
                segments += s;
                bytes += b;
            }

            return (segments, bytes);
        }
    }

    /// <summary>The folder of <paramref name="partition"/>'s segments in a log of <paramref name="partitions"/> partitions.</summary>
    public static string PartitionDirectory(string directory, int partitions, int partition) =>
        partitions == 1 ? directory : Path.Combine(directory, PartitionFolderPrefix + partition.ToString("D3", CultureInfo.InvariantCulture));

    /// <summary>
    /// Opens (or creates) a log of <paramref name="partitions"/> partitions in <paramref name="directory"/>, each as
    /// <see cref="EventLog.Open"/> does (a torn tail is cut, damage throws). <paramref name="startAt"/> is where an
    /// empty partition starts and <paramref name="syncedThrough"/> what a committed checkpoint proves was on disk, per
    /// partition (null: 0). Throws <see cref="StorageException"/> when the directory holds a log of another partition
    /// count. The writers start with <see cref="Start"/>, once recovery has read what it needs.
    /// </summary>
    public static FileEventLog Open(string directory, int partitions, StorageOptions options, TimeProvider time, StringInterner strings,
        IReadOnlyList<long>? startAt = null, IReadOnlyList<long>? syncedThrough = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        System.IO.Directory.CreateDirectory(directory);
        CheckLayout(directory, partitions);
        var logs = new EventLog[partitions];
        var reports = new LogOpenReport[partitions];
        try
        {
            for (int p = 0; p < partitions; p++)
            {
                logs[p] = EventLog.Open(PartitionDirectory(directory, partitions, p), options, time, strings, startAt?[p] ?? 0, syncedThrough?[p] ?? 0, out reports[p]);
            }
        }
        catch
        {
            foreach (var log in logs)
            {
                log?.Dispose();
            }

            throw;
        }

        return new FileEventLog(directory, logs, reports);
    }

    /// <summary>Starts every partition's writer.</summary>
    public void Start()
    {
        foreach (var partition in _partitions)
        {
            partition.Start();
        }
    }

    public LogPosition Append(int partition, EventBatch events, int start, int count) => new(Of(partition).Append(events, start, count));

    public Task WaitDurableAsync(int partition, LogPosition through, CancellationToken cancellationToken = default)
    {
        var wait = Of(partition).WaitDurableAsync(through.Offset);
        return cancellationToken.CanBeCanceled && !wait.IsCompleted ? wait.WaitAsync(cancellationToken) : wait;
    }

    /// <summary>Completes when everything below <paramref name="through"/> is synced, whatever the durability policy (a checkpoint's events).</summary>
    public Task SyncAsync(int partition, LogPosition through) => Of(partition).SyncAsync(through.Offset);

    /// <summary>Everything below this is as safe as the durability policy promises.</summary>
    public LogPosition DurableOf(int partition) => new(Of(partition).DurableOffset);

    /// <summary>
    /// Blocks until every event of <paramref name="partition"/> below <paramref name="through"/> is written (synced
    /// under 'always'), so a shard never applies what a client was refused; false when the log failed or closed first.
    /// </summary>
    public bool WaitVisible(int partition, long through) => Of(partition).WaitVisible(through);

    public LogPosition FirstOf(int partition) => new(Of(partition).FirstOffset);

    public LogPosition EndOf(int partition) => new(Of(partition).EndOffset);

    /// <summary>
    /// Reads what was appended before the call (waiting, beside a running writer, for its group commit to reach the
    /// file), decoding each record into one reused batch; a record the read starts inside is cut to start at
    /// <paramref name="from"/>. Throws <see cref="StorageException"/> below <see cref="FirstOf"/> or on a damaged segment.
    /// </summary>
    public LogPosition Read(int partition, LogPosition from, StringInterner strings, LogRunVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(strings);
        ArgumentNullException.ThrowIfNull(visit);
        var log = Of(partition);
        long end = log.EndOffset;
        if (from.Offset > end)
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, $"partition {partition} of the event log ends at {new LogPosition(end)}");
        }

        if (log.IsStarted)
        {
            // Appends before this call may still sit in the pending buffer: one group commit puts them in the file. A
            // failed log shows what it wrote.
            log.WaitVisible(end);
        }

        end = Math.Min(end, log.VisibleOffset);
        long fromOffset = from.Offset;
        long through = fromOffset;
        var batch = new EventBatch(4096);
        EventBatch? part = null;
        int[] ids = [];
        log.Read(fromOffset, (in LogRecordHeader header, ReadOnlySpan<byte> payload) =>
        {
            if (header.FirstOffset >= end)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            LogRecordCodec.Decode(payload, header, strings, batch, ref ids);
            int skip = (int)Math.Max(0, fromOffset - header.FirstOffset);
            int take = (int)Math.Min(batch.Count, end - header.FirstOffset);
            if (skip == 0 && take == batch.Count)
            {
                visit(batch, new LogPosition(header.FirstOffset));
            }
            else
            {
                part ??= new EventBatch(4096);
                part.Clear();
                for (int i = skip; i < take; i++)
                {
                    part.CopyFrom(batch, i);
                }

                visit(part, new LogPosition(header.FirstOffset + skip));
            }

            through = header.FirstOffset + take;
        });
        return new LogPosition(through);
    }

    public LogPosition Trim(int partition, LogPosition before) => new(Of(partition).Trim(before.Offset));

    /// <summary>
    /// Deletes old segments of <paramref name="partition"/> as the retention policy says (age, size), never one an event
    /// at or after <paramref name="neededFrom"/> needs or one inside the backfill horizon of <paramref name="nowMs"/>.
    /// </summary>
    public IReadOnlyList<string> ApplyRetention(int partition, long neededFrom, long nowMs) => Of(partition).ApplyRetention(neededFrom, nowMs);

    /// <summary>Reads the segments of <paramref name="partition"/> wholly before <paramref name="offset"/> and returns a warning per damaged one.</summary>
    public List<string> VerifySegmentsBefore(int partition, long offset, CancellationToken cancellationToken) =>
        Of(partition).VerifySegmentsBefore(offset, cancellationToken);

    /// <summary>Tests only: every partition stops as a kill would leave it (see <see cref="EventLog.Abandon"/>).</summary>
    internal void Abandon()
    {
        foreach (var partition in _partitions)
        {
            partition.Abandon();
        }
    }

    public void Dispose()
    {
        foreach (var partition in _partitions)
        {
            partition.Dispose();
        }
    }

    private EventLog Of(int partition)
    {
        if ((uint)partition >= (uint)_partitions.Length)
        {
            ThrowNoSuchPartition(partition);
        }

        return _partitions[partition];
    }

    [DoesNotReturn]
    private void ThrowNoSuchPartition(int partition) =>
        throw new ArgumentOutOfRangeException(nameof(partition), partition, $"the event log has partitions 0..{_partitions.Length - 1}");

    /// <summary>Refuses a directory laid out for another partition count: reading it as this one would lose or mix events.</summary>
    private static void CheckLayout(string directory, int partitions)
    {
        int folders = System.IO.Directory.EnumerateDirectories(directory, PartitionFolderPrefix + "*").Count();
        bool segments = LogSegment.List(directory).Count > 0;
        string? problem = partitions == 1
            ? folders > 0 ? $"it holds {folders} partition folders (a log of {folders} partitions), and this log has one partition" : null
            : segments ? $"it holds the segments of a log of one partition, and this log has {partitions}"
            : folders is not 0 && folders != partitions ? $"it holds {folders} partition folders, and this log has {partitions} partitions" : null;
        if (problem is not null)
        {
            throw new StorageException(StorageProblem.Corrupt,
                $"the event log in {directory} was written with another partition count: {problem}. Open it with the partition count it was written with.");
        }
    }
}
