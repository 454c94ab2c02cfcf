using System.Globalization;

namespace Freshet.Redis;

/// <summary>
/// Every Redis key Freshet uses (docs/SCALE-OUT.md, "Key layout"), under one prefix so several deployments can share a
/// server. A partition's keys share the hash tag <c>{pNN}</c>, so its stream, lease and checkpoints sit in one slot and
/// one script can check the lease and write atomically; a key's tile values carry the entity key itself as tag.
/// </summary>
public sealed class RedisKeys(string prefix = "fr")
{
    /// <summary>The separator of a composite key's parts inside a Redis key (a control character no key part contains).</summary>
    public const char PartSeparator = '\u001f';

    public string Prefix { get; } = prefix;

    /// <summary>The hash tag of partition <paramref name="partition"/>: <c>{p07}</c>.</summary>
    public static string PartitionTag(int partition) => "{p" + partition.ToString("D2", CultureInfo.InvariantCulture) + "}";

    /// <summary>The partition's stream: one entry per appended run, id <c>0-&lt;end position&gt;</c>.</summary>
    public string Log(int partition) => $"{Prefix}:{PartitionTag(partition)}:log";

    /// <summary>The partition's lease: a hash of owner, epoch and lapse time (ms).</summary>
    public string Lease(int partition) => $"{Prefix}:{PartitionTag(partition)}:lease";

    /// <summary>The partition's committed checkpoints: a sorted set, position → checkpoint name.</summary>
    public string Checkpoints(int partition) => $"{Prefix}:{PartitionTag(partition)}:ckpt";

    /// <summary>One checkpoint's parts: a hash, part name → bytes.</summary>
    public string Checkpoint(int partition, string name) => $"{Prefix}:{PartitionTag(partition)}:ckpt:{name}";

    /// <summary>The clock the partition's owner published last (a hash).</summary>
    public string Clock(int partition) => $"{Prefix}:{PartitionTag(partition)}:clock";

    /// <summary>The published tile values of one entity key: a hash, tagged by the key so it is one slot.</summary>
    public string Tiles(string entity, IReadOnlyList<string> key) =>
        $"{Prefix}:t:{{{entity}|{string.Join(PartSeparator, key)}}}";

    /// <summary>One shard of a model's parameter rows (a hash, row key → row bytes).</summary>
    public string Parameters(string model, string role, int shard) =>
        $"{Prefix}:m:{model}:{role}:{{s{shard.ToString("D2", CultureInfo.InvariantCulture)}}}";

    /// <summary>The workers alive: a sorted set, worker id → last heartbeat (ms).</summary>
    public string Workers => $"{Prefix}:workers";

    /// <summary>The deployment's settings (partitions, features and models files): a hash every process checks at start.</summary>
    public string Deployment => $"{Prefix}:deployment";

    /// <summary>The largest event time any ingest process accepted (event-time mode), raised with a max-script.</summary>
    public string EventClock => $"{Prefix}:clock";
}
