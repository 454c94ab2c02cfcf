using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>Reading one feature: which keys apply to its aggregation, their values, and what is missing.</summary>
    private sealed partial class Reader
    {
        private const int MaxK = 1000;
        private const int MaxCapacity = 100_000;

        private static readonly string[] FeatureKeys =
        [
            "description", "entity", "events", "filter", "aggregation", "field", "k", "capacity", "half_life",
            "windows", "tiles", "numerator", "denominator", "prior", "source", "short", "long", "smoothing",
        ];

        private Draft ReadFeature(YamlNode nameNode, YamlNode body, CatalogSettings settings)
        {
            string name = KeyName(nameNode);
            CheckName(nameNode, name, name, "feature");
            var d = new Draft(name, nameNode);
            if (body is not YamlMappingNode map)
            {
                Error(IsNull(body) ? nameNode : body, name, $"a feature is a map with at least entity, events, aggregation and windows; found {Describe(body)}");
                return d;
            }

            // The aggregation decides which other keys apply, so it is read first.
            if (TryGet(map, "aggregation", out _, out var aggregationNode) && ReadText(aggregationNode, name, "'aggregation'") is { } aggregation)
            {
                if (AggregationNames.TryGetValue(aggregation, out var kind))
                {
                    d.Aggregation = kind;
                }
                else
                {
                    Error(aggregationNode, name, $"unknown aggregation '{aggregation}'; expected one of: {string.Join(", ", AggregationNames.Keys)}{DidYouMean(aggregation, AggregationNames.Keys)}");
                }
            }

            // Keys a misspelt key was taken for: the misspelling is reported once, not also as a missing key.
            var misspelt = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in map.Children)
            {
                string key = KeyName(keyNode);
                if (!FeatureKeys.Contains(key))
                {
                    if (ClosestMatch(key, FeatureKeys) is { } meant)
                    {
                        misspelt.Add(meant);
                    }

                    var expected = d.Aggregation is { } known ? FeatureKeys.Where(k => WhyNotApplicable(k, known) is null) : FeatureKeys;
                    Error(keyNode, name, $"unknown key '{key}' in feature; expected one of: {string.Join(", ", expected)}{DidYouMean(key, FeatureKeys)}");
                }
                else if (d.Aggregation is { } kind && WhyNotApplicable(key, kind) is { } why)
                {
                    Error(keyNode, name, why);
                }
                else
                {
                    ReadFeatureKey(d, key, keyNode, value, settings);
                }
            }

            if (d.Aggregation is { } aggregationKind)
            {
                CheckRequired(d, map, aggregationKind, misspelt);
                CheckWindowsFitTiles(d, settings);
            }
            else if (!TryGet(map, "aggregation", out _, out _) && !misspelt.Contains("aggregation"))
            {
                Error(nameNode, name, $"missing 'aggregation'; expected one of: {string.Join(", ", AggregationNames.Keys)}");
            }

            return d;
        }

        private void ReadFeatureKey(Draft d, string key, YamlNode keyNode, YamlNode value, CatalogSettings settings)
        {
            string name = d.Name;
            switch (key)
            {
                case "aggregation":
                    // Read first, in ReadFeature.
                    break;
                case "description":
                    d.Description = IsNull(value) ? null : ReadText(value, name, "'description'");
                    break;
                case "entity":
                    if (ReadText(value, name, "'entity'") is { } entity)
                    {
                        if (_entities is null || _entities.ContainsKey(entity))
                        {
                            d.Entity = entity;
                        }
                        else
                        {
                            Error(value, name, $"entity '{entity}' is not declared; declared entities are: {string.Join(", ", _entities.Keys)}{DidYouMean(entity, _entities.Keys)}");
                        }
                    }

                    break;
                case "events":
                    d.Events = ReadEvents(value, name);
                    break;
                case "filter":
                    d.Filter = IsNull(value) ? [] : ReadFilter(value, name);
                    break;
                case "field":
                    d.Field = ReadFieldName(value, name, "field");
                    break;
                case "k":
                    d.K = TryReadInt(value, name, "'k'", 1, MaxK, out int k) ? k : null;
                    break;
                case "capacity":
                    d.Capacity = TryReadInt(value, name, "'capacity'", 1, MaxCapacity, out int capacity) ? (capacity, value) : null;
                    break;
                case "half_life":
                    d.HalfLifeMs = TryReadDuration(value, name, "'half_life'", out long halfLife) ? halfLife : 0;
                    break;
                case "windows":
                    d.Windows = ReadWindows(value, name);
                    break;
                case "tiles":
                    d.HasOwnTiles = true;
                    d.Tiles = ReadTileLadder(value, name, settings.AllowedLatenessMs);
                    break;
                case "numerator":
                    d.Numerator = ReadText(value, name, "'numerator'") is { } numerator ? new Reference(numerator, value) : null;
                    break;
                case "denominator":
                    d.Denominator = ReadText(value, name, "'denominator'") is { } denominator ? new Reference(denominator, value) : null;
                    break;
                case "source":
                    d.Source = ReadText(value, name, "'source'") is { } sourceName ? new Reference(sourceName, value) : null;
                    break;
                case "prior":
                    ReadPrior(d, value);
                    break;
                case "short":
                    d.Short = TryReadDuration(value, name, "'short'", out long shortMs) ? new Window(shortMs, value) : null;
                    break;
                case "long":
                    d.Long = TryReadDuration(value, name, "'long'", out long longMs) ? new Window(longMs, value) : null;
                    break;
                case "smoothing":
                    d.Smoothing = TryReadNonNegative(value, name, "'smoothing'", out double smoothing) ? smoothing : 1;
                    break;
                default:
                    throw new InvalidOperationException($"feature key '{key}' is listed in {nameof(FeatureKeys)} but has no reader");
            }
        }

        /// <summary>Why <paramref name="key"/> may not appear in a feature of <paramref name="kind"/>, or null when it may.</summary>
        private static string? WhyNotApplicable(string key, AggregationKind kind)
        {
            string name = AggregationName(kind);
            bool derived = kind is AggregationKind.Ratio or AggregationKind.Trend;
            return key switch
            {
                "events" or "filter" or "field" when derived =>
                    $"'{key}' does not apply to {name}: a {name} feature is computed from other features, not from events",
                "field" when kind == AggregationKind.Count =>
                    "'field' does not apply to count, which counts events; use sum to add up a field",
                "k" when kind is not (AggregationKind.LastK or AggregationKind.TopK) =>
                    $"'k' applies only to last_k and top_k, not to {name}",
                "capacity" when kind != AggregationKind.TopK => $"'capacity' applies only to top_k, not to {name}",
                "half_life" when kind != AggregationKind.DecayedSum => $"'half_life' applies only to decayed_sum, not to {name}",
                "numerator" or "denominator" or "prior" when kind != AggregationKind.Ratio =>
                    $"'{key}' applies only to ratio, not to {name}",
                "source" or "short" or "long" or "smoothing" when kind != AggregationKind.Trend =>
                    $"'{key}' applies only to trend, not to {name}",
                "windows" when kind == AggregationKind.Trend =>
                    "'windows' does not apply to trend: a trend compares the rates over its 'short' and 'long' windows",
                "tiles" when derived =>
                    $"'tiles' does not apply to {name}: a {name} feature has no tiles of its own and reads those of the features it names",
                _ => null,
            };
        }

        private void CheckRequired(Draft d, YamlMappingNode map, AggregationKind kind, HashSet<string> misspelt)
        {
            string name = d.Name;
            bool Missing(string key) => !TryGet(map, key, out _, out _) && !misspelt.Contains(key);

            if (Missing("entity"))
            {
                string declared = _entities is { Count: > 0 } ? $" (declared: {string.Join(", ", _entities.Keys)})" : "";
                Error(d.NameNode, name, $"missing 'entity': say which entity this feature is keyed by{declared}");
            }

            if (!d.IsDerived && Missing("events"))
            {
                Error(d.NameNode, name, $"missing 'events': list the event types {AggregationName(kind)} reads, e.g. events: [view]");
            }

            if (FieldHint(kind) is { } fieldHint && Missing("field"))
            {
                Error(d.NameNode, name, $"missing 'field': {fieldHint}");
            }

            if (kind is AggregationKind.LastK or AggregationKind.TopK && Missing("k"))
            {
                Error(d.NameNode, name, $"missing 'k': {AggregationName(kind)} needs how many values to keep, from 1 to {MaxK}, e.g. k: 20");
            }

            if (kind == AggregationKind.DecayedSum && Missing("half_life"))
            {
                Error(d.NameNode, name, "missing 'half_life': decayed_sum needs the time for a contribution to fall by half, e.g. half_life: 1h");
            }

            if (kind != AggregationKind.Trend && Missing("windows"))
            {
                Error(d.NameNode, name, "missing 'windows': list the windows the feature is served for, e.g. windows: [1h, 24h]");
            }

            foreach (string key in RequiredReferences(kind).Where(Missing))
            {
                Error(d.NameNode, name, key switch
                {
                    "short" or "long" => $"missing '{key}': a trend compares the rate over a short window with the rate over a long one, e.g. short: 1h, long: 24h",
                    _ => $"missing '{key}': a {AggregationName(kind)} names the count or sum feature it is computed from, e.g. {key}: item_views",
                });
            }

            if (kind == AggregationKind.TopK && d.K is { } k)
            {
                if (d.Capacity is not { } capacity)
                {
                    d.Capacity = (Math.Max(4 * k, 64), d.NameNode);
                }
                else if (capacity.Value < k)
                {
                    Error(capacity.Node, name, $"capacity {capacity.Value} is less than k {k}; top_k needs at least k counters (the default is max(4k, 64) = {Math.Max(4 * k, 64)})");
                }
            }
        }

        private static string[] RequiredReferences(AggregationKind kind) => kind switch
        {
            AggregationKind.Ratio => ["numerator", "denominator"],
            AggregationKind.Trend => ["source", "short", "long"],
            _ => [],
        };

        /// <summary>What the field is for, when <paramref name="kind"/> requires one; null when it does not.</summary>
        private static string? FieldHint(AggregationKind kind) => kind switch
        {
            AggregationKind.Sum => "sum adds up a numeric event field, e.g. field: price",
            AggregationKind.Mean or AggregationKind.Min or AggregationKind.Max or AggregationKind.Variance or AggregationKind.StdDev =>
                $"{AggregationName(kind)} summarises a numeric event field, e.g. field: price",
            AggregationKind.Last or AggregationKind.LastK => $"{AggregationName(kind)} keeps the latest value(s) of an event field, e.g. field: item",
            AggregationKind.Distinct => "distinct counts the distinct values of an event field, e.g. field: user",
            AggregationKind.TopK => "top_k ranks the most frequent values of an event field, e.g. field: item",
            _ => null,
        };

        private ImmutableArray<string> ReadEvents(YamlNode node, string feature)
        {
            if (node is YamlScalarNode)
            {
                return ReadText(node, feature, "'events'") is { } single ? [single] : [];
            }

            if (node is not YamlSequenceNode list || list.Children.Count == 0)
            {
                Error(node, feature, $"'events' must be an event type or a non-empty list of them, e.g. events: [view, click]; found {Describe(node)}");
                return [];
            }

            var events = new List<string>();
            foreach (var item in list.Children)
            {
                if (ReadText(item, feature, "an event type") is not { } type)
                {
                    continue;
                }

                if (events.Contains(type))
                {
                    Error(item, feature, $"event type '{type}' is listed twice in 'events'");
                    continue;
                }

                events.Add(type);
            }

            return [.. events];
        }
    }
}
