using System.Globalization;
using System.Text;
using Freshet.Aggregation;
using Freshet.Events;
using Freshet.Hashing;
using Freshet.Windows;

namespace Freshet.Features;

/// <summary>A feature compiled against an interner: ids instead of names, a ladder, and a way to make its aggregator.</summary>
public sealed class CompiledFeature
{
    internal CompiledFeature(int index, FeatureDefinition definition, CompiledEntity entity, StringInterner strings)
    {
        Index = index;
        Definition = definition;
        Entity = entity;
        Ladder = new TileLadder(definition.Tiles);
        FieldId = definition.Field is null ? 0 : strings.GetOrAdd(definition.Field);
        Filter = new CompiledFilter(definition.Filter, strings);
        FieldRequirement = RequirementOf(definition);
        StateFingerprint = Fingerprint(definition, entity, includeServing: false);
        DefinitionFingerprint = Fingerprint(definition, entity, includeServing: true);
        _windowLabels = definition.WindowsMs.Select(Time.Duration.Format).ToArray();
    }

    private readonly string[] _windowLabels;

    public int Index { get; }

    public FeatureDefinition Definition { get; }

    public string Name => Definition.Name;

    public CompiledEntity Entity { get; }

    public TileLadder Ladder { get; }

    /// <summary>Interned id of the aggregated field, or 0.</summary>
    public int FieldId { get; }

    public FieldRequirement FieldRequirement { get; }

    /// <summary>Identifies what the tiles hold: two versions with the same state fingerprint share tiles across a swap.</summary>
    public string StateFingerprint { get; }

    /// <summary>Identifies the whole definition (state plus windows, description…); the feature's version.</summary>
    public string DefinitionFingerprint { get; }

    /// <summary>For ratio: numerator and denominator; for trend: the source (as <see cref="Numerator"/>).</summary>
    public CompiledFeature? Numerator { get; internal set; }

    public CompiledFeature? Denominator { get; internal set; }

    public bool IsDerived => Definition.IsDerived;

    /// <summary>How answers name a window ("1h"), formatted once for the declared windows.</summary>
    public string WindowLabel(long windowMs)
    {
        var windows = Definition.WindowsMs;
        for (int i = 0; i < windows.Length; i++)
        {
            if (windows[i] == windowMs)
            {
                return _windowLabels[i];
            }
        }

        return Time.Duration.Format(windowMs);
    }

    /// <summary>The feature's filter, compiled: an event feeds the feature only when it matches.</summary>
    public CompiledFilter Filter { get; }

    /// <summary>Makes the aggregator for one shard (it may own pools, so it is never shared between shards).</summary>
    public Aggregator CreateAggregator(StringInterner strings)
    {
        var d = Definition;
        return d.Aggregation switch
        {
            AggregationKind.Count => new CountAggregator(),
            AggregationKind.Sum => new SumAggregator(),
            AggregationKind.Mean => new MeanAggregator(),
            AggregationKind.Min => new ExtremeAggregator(maximum: false),
            AggregationKind.Max => new ExtremeAggregator(maximum: true),
            AggregationKind.Variance => new VarianceAggregator(standardDeviation: false),
            AggregationKind.StdDev => new VarianceAggregator(standardDeviation: true),
            AggregationKind.Last => new LastAggregator(),
            AggregationKind.LastK => new LastKAggregator(d.K),
            AggregationKind.Distinct => new DistinctAggregator(strings),
            AggregationKind.TopK => new TopKAggregator(d.K, d.Capacity > 0 ? d.Capacity : Math.Max(4 * d.K, 64)),
            AggregationKind.DecayedSum => new DecayedSumAggregator(d.HalfLifeMs, sumsField: d.Field is not null),
            _ => throw new InvalidOperationException($"feature '{d.Name}' is derived ({d.Aggregation}) and has no tiles"),
        };
    }

    private static FieldRequirement RequirementOf(FeatureDefinition d) => d.Aggregation switch
    {
        AggregationKind.Count => FieldRequirement.None,
        AggregationKind.Sum or AggregationKind.Mean or AggregationKind.Min or AggregationKind.Max
            or AggregationKind.Variance or AggregationKind.StdDev => FieldRequirement.Number,
        AggregationKind.DecayedSum => d.Field is null ? FieldRequirement.None : FieldRequirement.Number,
        AggregationKind.TopK => FieldRequirement.String,
        AggregationKind.Last or AggregationKind.LastK or AggregationKind.Distinct => FieldRequirement.Any,
        _ => FieldRequirement.None,
    };

    private static string Fingerprint(FeatureDefinition d, CompiledEntity entity, bool includeServing)
    {
        var text = new StringBuilder();
        // The entity's key fields too: tile keys are ids of key values, which mean something else under another key.
        text.AppendJoin('|', d.Name, d.Entity, string.Join(',', entity.Definition.KeyFields), d.Aggregation, string.Join(',', d.EventTypes), d.Field ?? "",
            string.Join(',', d.Filter.Select(f => $"{f.Field}:{f.Op}:{string.Join(';', f.Values)}")),
            string.Join(',', d.Tiles.Select(t => $"{t.ResolutionMs}/{t.KeepMs}")),
            d.K.ToString(CultureInfo.InvariantCulture), d.Capacity.ToString(CultureInfo.InvariantCulture),
            d.HalfLifeMs.ToString(CultureInfo.InvariantCulture), d.Numerator ?? "", d.Denominator ?? "", d.Source ?? "");
        if (includeServing)
        {
            text.AppendJoin('|', "", string.Join(',', d.WindowsMs), d.PriorAlpha.ToString("R", CultureInfo.InvariantCulture),
                d.PriorBeta.ToString("R", CultureInfo.InvariantCulture), d.ShortWindowMs, d.LongWindowMs,
                d.Smoothing.ToString("R", CultureInfo.InvariantCulture), d.Description ?? "");
        }

        return XxHash64.Hash(Encoding.UTF8.GetBytes(text.ToString())).ToString("x16", CultureInfo.InvariantCulture);
    }
}
