using Freshet.Aggregation;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// Live features from a feature reader (the embedded engine's, or a serving process's), read as of one finest tile before the moment asked: a window read as of time a
/// ends with the tile containing a, so reading as of t minus the finest resolution counts nothing at or after t (an
/// exposure's own click never leaks into its features), at the price of missing up to one finest tile before t.
/// Training reads are planned as of that time (<see cref="VectorQuery.PlanAsOf"/>), so they do not depend on how far
/// the engine has moved on while the learner lagged: the learner reads only once the features have applied the
/// exposure's batch, and holds retention back to what it has yet to read, so the same stream gives the same features
/// on every run. Ranking requests read the same way as of now, so training and serving see features equally fresh.
/// </summary>
public sealed class ReaderLiveFeatures(IFeatureReader reader) : ILiveFeatures
{
    public void Read(LiveFeatureGroup group, string key, long beforeMs, Span<double> values)
    {
        long finest = group.FinestMs(reader.Catalog);
        long now = reader.NowMs;
        long at = Math.Min(beforeMs, now == long.MinValue ? beforeMs : now) - finest;
        values.Fill(double.NaN);
        var features = group.Features;
        foreach (var window in group.Windows)
        {
            // One read per window, asking for that window only: a feature's other windows (a week, say) would cost
            // tiles the model never looks at.
            var read = reader.ReadVector(group.Entity, [key], window.Query with { AsOfMs = at, PlanAsOf = beforeMs != long.MaxValue });
            if (!read.IsOk)
            {
                // Out of range (before the oldest tile, or before anything was ingested), a catalog swap in progress or
                // a backend out of reach: these features are missing for this example (NaN), which the model takes as zero.
                continue;
            }

            var readings = read.Value!.Readings;
            foreach (int j in window.Members)
            {
                values[j] = Number(readings, features[j].Feature);
            }
        }
    }

    /// <summary>How far before an exposure's time training reads may reach: the coarsest finest resolution of the catalog.</summary>
    public static long ReadLeadMs(FeatureCatalog catalog) =>
        catalog.Features.Select(f => (f.Numerator ?? f).Ladder.FinestMs).DefaultIfEmpty(0).Max();

    private static double Number(IReadOnlyList<FeatureReading> readings, string feature)
    {
        foreach (var reading in readings)
        {
            if (reading.Feature == feature)
            {
                return reading.Value.Kind == FeatureValueKind.Number ? reading.Value.Number : double.NaN;
            }
        }

        return double.NaN;
    }
}
