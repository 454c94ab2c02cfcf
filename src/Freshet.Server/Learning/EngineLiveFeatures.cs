using Freshet.Engine;
using Freshet.Engine.Query;
using Freshet.Learning.Pipeline;
using Freshet.Time;

namespace Freshet.Server.Learning;

/// <summary>
/// Live features from the engine, read as of one finest tile before the moment asked: a window read as of time a
/// ends with the tile containing a, so reading as of t minus the finest resolution counts nothing at or after t (an
/// exposure's own click never leaks into its features), at the price of missing up to one finest tile before t.
/// Ranking requests read the same way as of now, so training and serving see features equally fresh.
/// </summary>
internal sealed class EngineLiveFeatures(FreshetEngine engine) : ILiveFeatures
{
    public void Read(string entity, string key, long beforeMs, ReadOnlySpan<LiveFeature> features, Span<double> values)
    {
        var catalog = engine.Catalog;
        var names = new string[features.Length];
        long finest = 0;
        for (int i = 0; i < features.Length; i++)
        {
            names[i] = features[i].Feature;
            if (catalog.TryGetFeature(names[i], out var feature))
            {
                finest = Math.Max(finest, (feature.Numerator ?? feature).Ladder.FinestMs);
            }
        }

        long now = engine.NowMs;
        long at = Math.Min(beforeMs, now == long.MinValue ? beforeMs : now) - finest;
        values.Fill(double.NaN);
        try
        {
            var vector = engine.GetVector(entity, [key], new VectorQuery { Features = [.. names.Distinct()], AsOfMs = at });
            for (int i = 0; i < features.Length; i++)
            {
                values[i] = vector.Find(features[i].Feature, Duration.Format(features[i].WindowMs))?.Value.Number ?? double.NaN;
            }
        }
        catch (Exception e) when (e is QueryException or InvalidOperationException)
        {
            // Out of range (before the oldest tile, or before anything was ingested) or a catalog swap in progress:
            // the features are missing for this example, which the model takes as zero.
        }
    }
}
