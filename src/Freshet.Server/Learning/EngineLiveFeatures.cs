using Freshet.Engine;
using Freshet.Reading;
using Freshet.Learning.Pipeline;

namespace Freshet.Server.Learning;

/// <summary>
/// Live features from the engine, read as of one finest tile before the moment asked: a window read as of time a
/// ends with the tile containing a, so reading as of t minus the finest resolution counts nothing at or after t (an
/// exposure's own click never leaks into its features), at the price of missing up to one finest tile before t.
/// Training reads are planned as of that time (<see cref="VectorQuery.PlanAsOf"/>), so they do not depend on how far
/// the engine has moved on while the learner lagged: the learner reads only once the shards have applied the
/// exposure's batch, and holds retention back to what it has yet to read, so the same stream gives the same features
/// on every run. Ranking requests read the same way as of now, so training and serving see features equally fresh.
/// </summary>
internal sealed class EngineLiveFeatures(FreshetEngine engine) : ILiveFeatures
{
    public void Read(LiveFeatureGroup group, string key, long beforeMs, Span<double> values)
    {
        var catalog = engine.Catalog;
        long finest = group.FinestMs(catalog);
        long now = engine.NowMs;
        long at = Math.Min(beforeMs, now == long.MinValue ? beforeMs : now) - finest;
        values.Fill(double.NaN);
        var features = group.Features;
        foreach (var window in group.Windows)
        {
            try
            {
                var query = window.Query with { AsOfMs = at, PlanAsOf = beforeMs != long.MaxValue };
                var readings = engine.GetVector(group.Entity, [key], query).Readings;
                foreach (int j in window.Members)
                {
                    values[j] = Number(readings, features[j].Feature);
                }
            }
            catch (Exception e) when (e is QueryException or InvalidOperationException)
            {
                // Out of range (before the oldest tile, or before anything was ingested) or a catalog swap in
                // progress: these features are missing for this example (NaN), which the model takes as zero.
            }
        }
    }

    /// <summary>How far before an exposure's time training reads may reach: the coarsest finest resolution of the catalog.</summary>
    public static long ReadLeadMs(Freshet.Features.FeatureCatalog catalog) =>
        catalog.Features.Select(f => (f.Numerator ?? f).Ladder.FinestMs).DefaultIfEmpty(0).Max();

    private static double Number(IReadOnlyList<FeatureReading> readings, string feature)
    {
        foreach (var reading in readings)
        {
            if (reading.Feature == feature)
            {
                return reading.Value.Kind == Freshet.Aggregation.FeatureValueKind.Number ? reading.Value.Number : double.NaN;
            }
        }

        return double.NaN;
    }
}
