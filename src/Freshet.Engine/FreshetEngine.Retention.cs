using Freshet.Engine.Shards;

namespace Freshet.Engine;

/// <summary>Holding retention back for a reader that lags behind the stream.</summary>
public sealed partial class FreshetEngine
{
    private readonly RetentionHold _hold = new();

    /// <summary>
    /// Keeps every tile that a read as of <paramref name="asOfMs"/> or later would use, however far the clock moves on,
    /// until the hold is moved or released (<see cref="long.MaxValue"/>). The model learner holds retention at the
    /// oldest exposure it has yet to read, so its <see cref="Freshet.Reading.VectorQuery.PlanAsOf"/> reads find their tiles; the
    /// cost is the tiles of the time it lags behind, which its bounded queue bounds.
    /// </summary>
    public void HoldRetention(long asOfMs) => _hold.AsOfMs = asOfMs;

    /// <summary>The time retention is held at; <see cref="long.MaxValue"/> when it is not held.</summary>
    public long RetentionHeldAtMs => _hold.AsOfMs;
}
