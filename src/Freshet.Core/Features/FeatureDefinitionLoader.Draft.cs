using System.Collections.Immutable;
using Freshet.Windows;
using YamlDotNet.RepresentationModel;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    private static readonly Dictionary<string, AggregationKind> AggregationNames = new(StringComparer.Ordinal)
    {
        ["count"] = AggregationKind.Count,
        ["sum"] = AggregationKind.Sum,
        ["mean"] = AggregationKind.Mean,
        ["min"] = AggregationKind.Min,
        ["max"] = AggregationKind.Max,
        ["variance"] = AggregationKind.Variance,
        ["stddev"] = AggregationKind.StdDev,
        ["last"] = AggregationKind.Last,
        ["last_k"] = AggregationKind.LastK,
        ["distinct"] = AggregationKind.Distinct,
        ["top_k"] = AggregationKind.TopK,
        ["decayed_sum"] = AggregationKind.DecayedSum,
        ["ratio"] = AggregationKind.Ratio,
        ["trend"] = AggregationKind.Trend,
    };

    /// <summary>The YAML name of an aggregation (<c>last_k</c> for <see cref="AggregationKind.LastK"/>), as users write it.</summary>
    public static string AggregationName(AggregationKind kind) => AggregationNames.First(pair => pair.Value == kind).Key;

    /// <summary>A duration as written, kept with its node so messages can quote and point at it.</summary>
    private readonly record struct Window(long Ms, YamlNode Node)
    {
        public string Text => Node is YamlScalarNode { Value: { } text } ? text.Trim() : Time.Duration.Format(Ms);
    }

    /// <summary>A feature named by a ratio or trend, with where it was named.</summary>
    private readonly record struct Reference(string Name, YamlNode Node);

    /// <summary>
    /// A feature as far as it could be read. Kept even when parts are invalid, so that references to it and checks
    /// against it do not pile further errors on top of the ones already reported; built into a
    /// <see cref="FeatureDefinition"/> only when the whole file is valid.
    /// </summary>
    private sealed class Draft(string name, YamlNode nameNode)
    {
        public string Name { get; } = name;

        public YamlNode NameNode { get; } = nameNode;

        public AggregationKind? Aggregation { get; set; }

        public bool IsDerived => Aggregation is AggregationKind.Ratio or AggregationKind.Trend;

        public string? Description { get; set; }

        /// <summary>The entity, when it is declared (null when missing or undeclared).</summary>
        public string? Entity { get; set; }

        public ImmutableArray<string> Events { get; set; } = [];

        public ImmutableArray<FilterCondition> Filter { get; set; } = [];

        public string? Field { get; set; }

        /// <summary>Ascending and distinct; null when absent or when any window was invalid.</summary>
        public List<Window>? Windows { get; set; }

        public bool HasOwnTiles { get; set; }

        /// <summary>The feature's own ladder; null when it has none or when it was invalid.</summary>
        public ImmutableArray<TileLevel>? Tiles { get; set; }

        public int? K { get; set; }

        public (int Value, YamlNode Node)? Capacity { get; set; }

        public long HalfLifeMs { get; set; }

        public Reference? Numerator { get; set; }

        public Reference? Denominator { get; set; }

        public double PriorAlpha { get; set; }

        public double PriorBeta { get; set; }

        public Reference? Source { get; set; }

        public Window? Short { get; set; }

        public Window? Long { get; set; }

        public double Smoothing { get; set; } = 1;
    }

    private sealed partial class Reader
    {
        /// <summary>Turns a draft into the model; called only when the whole file had no errors.</summary>
        private static FeatureDefinition Build(Draft d, CatalogSettings settings) => new()
        {
            Name = d.Name,
            Entity = d.Entity!,
            Aggregation = d.Aggregation!.Value,
            Description = d.Description,
            EventTypes = d.Events,
            Filter = d.Filter,
            Field = d.Field,
            WindowsMs = d.Windows is null ? [] : [.. d.Windows.Select(w => w.Ms)],

            // Derived features have no tiles of their own; they carry the catalog default for completeness.
            Tiles = d.Tiles ?? settings.Tiles,
            K = d.K ?? 0,
            Capacity = d.Capacity?.Value ?? 0,
            HalfLifeMs = d.HalfLifeMs,
            Numerator = d.Numerator?.Name,
            Denominator = d.Denominator?.Name,
            PriorAlpha = d.PriorAlpha,
            PriorBeta = d.PriorBeta,
            Source = d.Source?.Name,
            ShortWindowMs = d.Short?.Ms ?? 0,
            LongWindowMs = d.Long?.Ms ?? 0,
            Smoothing = d.Smoothing,
            Line = (int)d.NameNode.Start.Line,
        };
    }
}
