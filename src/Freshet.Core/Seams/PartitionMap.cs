namespace Freshet.Seams;

/// <summary>
/// Which log partition an entity key belongs to: a function of the key's route hash (the hash the embedded router
/// shards by, see <c>CompiledEntity.TryGetKey</c>) and the number of partitions, the same in every process. It uses the
/// low 32 bits of the hash; the shards applying one partition use the high 32 bits, so they stay balanced inside it.
/// </summary>
public static class PartitionMap
{
    /// <summary>The partition of a key with route hash <paramref name="routeHash"/> among <paramref name="partitions"/>.</summary>
    public static int PartitionOf(ulong routeHash, int partitions) => (int)(((routeHash & 0xFFFF_FFFFUL) * (ulong)partitions) >> 32);
}
