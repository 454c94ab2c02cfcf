namespace Freshet.Engine.Shards;

/// <summary>
/// The time retention is held at (see <see cref="FreshetEngine.HoldRetention"/>), shared by the engine and its shards:
/// a shard expires only tiles that a read as of this time would no longer use. <see cref="long.MaxValue"/>: no hold.
/// </summary>
internal sealed class RetentionHold
{
    private long _asOfMs = long.MaxValue;

    public long AsOfMs
    {
        get => Volatile.Read(ref _asOfMs);
        set => Volatile.Write(ref _asOfMs, value);
    }
}
