using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>Windows, and the ratio and trend features that are computed from other features' windows.</summary>
    private sealed partial class Reader
    {
        private static readonly string[] PriorKeys = ["alpha", "beta"];

        private List<Window>? ReadWindows(YamlNode node, string feature)
        {
            IList<YamlNode> items = node switch
            {
                YamlSequenceNode list => list.Children,
                YamlScalarNode when !IsNull(node) => [node],
                _ => [],
            };
            if (items.Count == 0)
            {
                Error(node, feature, $"'windows' must be a non-empty list of durations, e.g. windows: [1h, 24h, 7d]; found {Describe(node)}");
                return null;
            }

            var windows = new List<Window>();
            bool ok = true;
            foreach (var item in items)
            {
                if (!TryReadDuration(item, feature, "window", out long ms))
                {
                    ok = false;
                    continue;
                }

                var window = new Window(ms, item);
                if (windows.FirstOrDefault(w => w.Ms == ms) is { Node: not null } same)
                {
                    string sameAs = same.Text == window.Text ? "" : $" (the same as {same.Text})";
                    Error(item, feature, $"window {window.Text} is listed twice{sameAs}");
                    ok = false;
                    continue;
                }

                windows.Add(window);
            }

            return ok ? [.. windows.OrderBy(w => w.Ms)] : null;
        }

        /// <summary>Each window is answered from whole tiles, so it must fit the feature's finest and coarsest levels.</summary>
        private void CheckWindowsFitTiles(Draft d, CatalogSettings settings)
        {
            var tiles = d.HasOwnTiles ? d.Tiles : _defaultTilesValid ? settings.Tiles : null;
            if (d.IsDerived || d.Windows is null || tiles is not { Length: > 0 } ladder)
            {
                return;
            }

            string whose = d.HasOwnTiles ? "this feature's" : "the default (settings.tiles)";
            long finest = ladder[0].ResolutionMs;
            long longest = ladder[^1].KeepMs;
            foreach (var window in d.Windows)
            {
                if (window.Ms % finest != 0)
                {
                    Error(window.Node, d.Name, $"window {window.Text} is not a whole number of {Format(finest)} tiles, the finest resolution of {whose} tile ladder");
                }
                else if (window.Ms > longest)
                {
                    Error(window.Node, d.Name, $"window {window.Text} is longer than the {Format(longest)} that {whose} coarsest tiles are kept; shorten the window or raise the last level's keep");
                }
            }
        }

        private void ReadPrior(Draft d, YamlNode node)
        {
            if (node is not YamlMappingNode prior)
            {
                Error(node, d.Name, $"'prior' must be a map such as {{ alpha: 1, beta: 20 }}; found {Describe(node)}");
                return;
            }

            CheckKeys(prior, PriorKeys, d.Name, "in 'prior'");
            if (TryGet(prior, "alpha", out _, out var alpha) && TryReadNonNegative(alpha, d.Name, "prior alpha", out double a))
            {
                d.PriorAlpha = a;
            }

            if (TryGet(prior, "beta", out _, out var beta) && TryReadNonNegative(beta, d.Name, "prior beta", out double b))
            {
                d.PriorBeta = b;
            }
        }

        /// <summary>
        /// Checks what ratios and trends name, once every feature has been read: a derived feature may name a
        /// feature declared further down the file.
        /// </summary>
        private void ResolveDerived(List<Draft> drafts)
        {
            var byName = new Dictionary<string, Draft>(StringComparer.Ordinal);
            foreach (var d in drafts)
            {
                byName.TryAdd(d.Name, d);
            }

            foreach (var d in drafts)
            {
                if (d.Aggregation == AggregationKind.Ratio)
                {
                    var numerator = Resolve(d, d.Numerator, "numerator", byName);
                    var denominator = Resolve(d, d.Denominator, "denominator", byName);
                    foreach (var window in d.Windows ?? [])
                    {
                        CheckWindowOf(d, window, "window", numerator, "numerator");
                        CheckWindowOf(d, window, "window", denominator, "denominator");
                    }
                }
                else if (d.Aggregation == AggregationKind.Trend)
                {
                    var source = Resolve(d, d.Source, "source", byName);
                    if (d.Short is { } shortWindow && d.Long is { } longWindow && shortWindow.Ms >= longWindow.Ms)
                    {
                        Error(shortWindow.Node, d.Name, $"short window {shortWindow.Text} must be shorter than long window {longWindow.Text}");
                    }

                    if (d.Short is { } s)
                    {
                        CheckWindowOf(d, s, "short window", source, "source");
                    }

                    if (d.Long is { } l)
                    {
                        CheckWindowOf(d, l, "long window", source, "source");
                    }
                }
            }
        }

        /// <summary>The count or sum feature a ratio or trend names, or null after recording why it cannot be used.</summary>
        private Draft? Resolve(Draft d, Reference? reference, string role, Dictionary<string, Draft> byName)
        {
            if (reference is not { } r)
            {
                return null;
            }

            if (!byName.TryGetValue(r.Name, out var target))
            {
                Error(r.Node, d.Name, $"{role} '{r.Name}' is not a declared feature{DidYouMean(r.Name, byName.Keys)}");
                return null;
            }

            if (target.Aggregation is not { } kind)
            {
                // The target's own aggregation is missing or unknown, which is already reported on the target.
                return null;
            }

            if (kind is not (AggregationKind.Count or AggregationKind.Sum))
            {
                string self = ReferenceEquals(target, d) ? " (it names itself)" : "";
                Error(r.Node, d.Name, $"{role} '{r.Name}' is a {AggregationName(kind)} feature{self}; the {role} of a {AggregationName(d.Aggregation!.Value)} must be a count or sum feature");
                return null;
            }

            if (d.Entity is not null && target.Entity is not null && d.Entity != target.Entity)
            {
                Error(r.Node, d.Name, $"{role} '{r.Name}' is keyed by entity '{target.Entity}' but this feature is keyed by '{d.Entity}'; both must use the same entity");
                return null;
            }

            return target;
        }

        /// <summary>A derived feature is read from its source's windows, so each of its windows must be one of them.</summary>
        private void CheckWindowOf(Draft d, Window window, string what, Draft? target, string role)
        {
            if (target?.Windows is not { } windows || windows.Any(w => w.Ms == window.Ms))
            {
                return;
            }

            string has = string.Join(", ", windows.Select(w => w.Text));
            Error(window.Node, d.Name, $"{what} {window.Text} is not a window of {role} '{target.Name}' (it has {has})");
        }
    }
}
