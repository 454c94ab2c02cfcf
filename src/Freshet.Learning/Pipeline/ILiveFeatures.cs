namespace Freshet.Learning.Pipeline;

/// <summary>
/// Reads catalog features for one entity key as they were just before a moment: how a model sees the live signals
/// of the user and item it scores. Training reads them as of the exposure (the learner runs behind the stream, and
/// must not see the exposure's own outcome); ranking reads them as of now. The engine implements it
/// (Freshet.Learning does not depend on the engine); values that are missing are NaN. The features come resolved
/// (<see cref="LiveFeatureGroup"/>, made once per model), so a read does no per-example name lookups of its own.
/// </summary>
public interface ILiveFeatures
{
    /// <summary>
    /// Fills <paramref name="values"/>[i] with <paramref name="group"/>.Features[i] of the group's entity =
    /// <paramref name="key"/>, counting only events before <paramref name="beforeMs"/> (<see cref="long.MaxValue"/>: now).
    /// </summary>
    void Read(LiveFeatureGroup group, string key, long beforeMs, Span<double> values);
}
