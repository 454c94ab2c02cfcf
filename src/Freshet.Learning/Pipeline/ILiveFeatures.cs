namespace Freshet.Learning.Pipeline;

/// <summary>
/// Reads the current value of catalog features for one entity key: how a model sees the live signals of the user
/// and item it scores. The engine implements it (Freshet.Learning does not depend on the engine); values that are
/// missing are NaN.
/// </summary>
public interface ILiveFeatures
{
    /// <summary>Fills <paramref name="values"/>[i] with <paramref name="features"/>[i] of <paramref name="entity"/> = <paramref name="key"/>.</summary>
    void Read(string entity, string key, ReadOnlySpan<LiveFeature> features, Span<double> values);
}
