using System.Collections.Concurrent;
using System.Globalization;
using Freshet.Seams;

namespace Freshet.Testing.Checkpoints;

/// <summary>
/// A throwaway <see cref="IPartitionCheckpoints"/> in memory, for tests; it passes the same
/// <see cref="PartitionCheckpointsContract"/> as the embedded file checkpoints. A save collects its parts as byte
/// arrays and commits them in one step when the writer completes; a writer that throws leaves nothing. The checkpoints
/// live in a <see cref="Storage"/> that outlives one instance, so a test can reopen it.
/// </summary>
public sealed class InMemoryCheckpoints(InMemoryCheckpoints.Storage storage, TimeProvider? time = null) : IPartitionCheckpoints
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<PartitionCheckpoint> SaveAsync(int partition, LogPosition position, Func<ICheckpointWriter, CancellationToken, Task> write,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        var checkpoints = Of(partition);
        var writer = new Writer();
        // No await before the writer is called: its synchronous part runs on the caller's thread, as the seam promises.
        await write(writer, cancellationToken).ConfigureAwait(false);
        var parts = writer.Commit();
        var checkpoint = new PartitionCheckpoint(partition, position, _time.GetUtcNow().ToUnixTimeMilliseconds(),
            position.Offset.ToString("D20", CultureInfo.InvariantCulture));
        lock (checkpoints)
        {
            checkpoints.RemoveAll(c => c.Checkpoint.Position == position);
            checkpoints.Add((checkpoint, parts));
        }

        return checkpoint;
    }

    public IReadOnlyList<PartitionCheckpoint> List(int partition)
    {
        var checkpoints = Of(partition);
        lock (checkpoints)
        {
            return [.. checkpoints.Select(c => c.Checkpoint).OrderByDescending(c => c.Position)];
        }
    }

    public bool TryOpenPart(PartitionCheckpoint checkpoint, string name, out Stream part)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var checkpoints = Of(checkpoint.Partition);
        lock (checkpoints)
        {
            foreach (var (saved, parts) in checkpoints)
            {
                if (saved.Name == checkpoint.Name && parts.TryGetValue(name, out var bytes))
                {
                    part = new MemoryStream(bytes, writable: false);
                    return true;
                }
            }
        }

        part = Stream.Null;
        return false;
    }

    public LogPosition? Prune(int partition, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var checkpoints = Of(partition);
        lock (checkpoints)
        {
            var newest = checkpoints.OrderByDescending(c => c.Checkpoint.Position).ToList();
            checkpoints.Clear();
            checkpoints.AddRange(newest.Take(keep));
            return checkpoints.Count == 0 ? null : checkpoints[^1].Checkpoint.Position;
        }
    }

    private List<(PartitionCheckpoint Checkpoint, Dictionary<string, byte[]> Parts)> Of(int partition)
    {
        if ((uint)partition >= (uint)storage.Partitions.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"the store has partitions 0..{storage.Partitions.Length - 1}");
        }

        return storage.Partitions[partition];
    }

    /// <summary>What survives one instance: the committed checkpoints of every partition.</summary>
    public sealed class Storage(int partitions)
    {
        internal List<(PartitionCheckpoint Checkpoint, Dictionary<string, byte[]> Parts)>[] Partitions { get; } =
            [.. Enumerable.Range(0, partitions >= 1 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions))).Select(_ => new List<(PartitionCheckpoint, Dictionary<string, byte[]>)>())];
    }

    private sealed class Writer : ICheckpointWriter
    {
        private readonly ConcurrentDictionary<string, MemoryStream> _parts = new(StringComparer.Ordinal);

        public Stream CreatePart(string name)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            var part = new MemoryStream();
            if (!_parts.TryAdd(name, part))
            {
                throw new ArgumentException($"the checkpoint already has a part named '{name}'", nameof(name));
            }

            return part;
        }

        /// <summary>The parts as written (a MemoryStream's bytes stay readable after it is disposed).</summary>
        public Dictionary<string, byte[]> Commit() => _parts.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }
}
