namespace Freshet.Seams;

/// <summary>
/// Which process applies which partition: exactly one owner at a time, proven by a lease whose epoch rises at every
/// change of owner, so a stale owner's writes (checkpoints, published values) can be refused. Embedded: this process
/// owns every partition for good (epoch 1); scale-out: leases in Redis.
/// </summary>
public interface IPartitionOwnership
{
    /// <summary>Partitions there are.</summary>
    int Partitions { get; }

    /// <summary>
    /// Tries to take or renew the lease of <paramref name="partition"/> for this process; on success
    /// <paramref name="lease"/> holds the epoch to stamp writes with and when it lapses unless renewed.
    /// </summary>
    bool TryAcquire(int partition, out PartitionLease lease);

    /// <summary>Gives a held lease up at once (an orderly shutdown) so another process need not wait for it to lapse.</summary>
    void Release(PartitionLease lease);

    /// <summary>Whether <paramref name="lease"/> is still the current one: a write stamped with an older epoch must be refused.</summary>
    bool IsCurrent(PartitionLease lease);
}

/// <summary>The lease of one partition: its fencing <paramref name="Epoch"/> and the wall-clock time it lapses unless renewed.</summary>
public readonly record struct PartitionLease(int Partition, long Epoch, long ExpiresAtMs);
