using System.Collections.Immutable;
using Freshet.Features;
using Freshet.Reading;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// The live features a model reads for one entity key, resolved once when the model is built: the entity, the event
/// field holding its key, and one read per window (its query and which of <see cref="Features"/> it answers), so an
/// example costs no grouping, list or name lookup of its own. What depends on the catalog (the finest tile of the
/// features) is resolved again only when the catalog changes. Safe to read from several threads.
/// </summary>
public sealed class LiveFeatureGroup
{
    private CatalogFacts? _facts;

    /// <param name="features">Features of one entity, read through one key field (the first's).</param>
    public LiveFeatureGroup(ImmutableArray<LiveFeature> features)
    {
        if (features.IsDefaultOrEmpty)
        {
            throw new ArgumentException("a live feature group has at least one feature", nameof(features));
        }

        Entity = features[0].Entity;
        KeyField = features[0].KeyField;
        if (features.Any(f => f.Entity != Entity || f.KeyField != KeyField))
        {
            throw new ArgumentException($"the features of a live feature group share one entity and key field ('{Entity}' by '{KeyField}')", nameof(features));
        }

        Features = features;
        var windows = ImmutableArray.CreateBuilder<LiveWindowRead>();
        foreach (long window in features.Select(f => f.WindowMs).Distinct())
        {
            // One read per window, asking for that window only: a feature's other windows (a week, say) would cost
            // tiles the model never looks at.
            var members = Enumerable.Range(0, features.Length).Where(i => features[i].WindowMs == window).ToImmutableArray();
            var names = members.Select(i => features[i].Feature).Distinct(StringComparer.Ordinal).ToImmutableArray();
            windows.Add(new LiveWindowRead(window, new VectorQuery { Features = names, WindowsMs = [window] }, members));
        }

        Windows = windows.ToImmutable();
    }

    /// <summary>The catalog entity (e.g. "item").</summary>
    public string Entity { get; }

    /// <summary>The event field holding the entity's key (e.g. "item").</summary>
    public string KeyField { get; }

    /// <summary>The features, in the order their values are filled.</summary>
    public ImmutableArray<LiveFeature> Features { get; }

    /// <summary>One read per distinct window, in the order of first use.</summary>
    public ImmutableArray<LiveWindowRead> Windows { get; }

    /// <summary>
    /// The coarsest finest tile of the features in <paramref name="catalog"/> (0 for features it lacks): how far before
    /// a moment a read must end to count nothing at or after it. Computed once per catalog.
    /// </summary>
    public long FinestMs(FeatureCatalog catalog)
    {
        var facts = Volatile.Read(ref _facts);
        if (facts is null || !ReferenceEquals(facts.Catalog, catalog))
        {
            long finest = 0;
            foreach (var live in Features)
            {
                if (catalog.TryGetFeature(live.Feature, out var feature))
                {
                    finest = Math.Max(finest, (feature.Numerator ?? feature).Ladder.FinestMs);
                }
            }

            // Two threads may both resolve a new catalog: they write equal facts, and either wins.
            facts = new CatalogFacts(catalog, finest);
            Volatile.Write(ref _facts, facts);
        }

        return facts.FinestMs;
    }

    /// <summary>Consecutive features of one entity and key field, as a model's definition lists them: one group each.</summary>
    public static ImmutableArray<(LiveFeatureGroup Group, int Start)> GroupsOf(ImmutableArray<LiveFeature> live)
    {
        var groups = ImmutableArray.CreateBuilder<(LiveFeatureGroup, int)>();
        for (int i = 0; i < live.Length;)
        {
            int end = i + 1;
            while (end < live.Length && live[end].Entity == live[i].Entity && live[end].KeyField == live[i].KeyField)
            {
                end++;
            }

            groups.Add((new LiveFeatureGroup(live[i..end]), i));
            i = end;
        }

        return groups.ToImmutable();
    }

    private sealed record CatalogFacts(FeatureCatalog Catalog, long FinestMs);
}

/// <summary>One window's read of a <see cref="LiveFeatureGroup"/>: the query (its features, that window) and the indices in <see cref="LiveFeatureGroup.Features"/> it fills.</summary>
/// <param name="WindowMs">The window.</param>
/// <param name="Query">Features and window; a reader sets the as-of time per example.</param>
/// <param name="Members">Indices of the group's features of this window.</param>
public sealed record LiveWindowRead(long WindowMs, VectorQuery Query, ImmutableArray<int> Members);
