using System.Collections.Immutable;
using System.Globalization;
using Freshet.Learning.Factorization;
using Freshet.Learning.Ftrl;
using Freshet.Time;
using Freshet.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// Reads a models file (<c>samples/models.yaml</c> is the worked example) into a validated <see cref="ModelSet"/>.
/// Every problem is reported at once as <c>file:line:column: model 'x': rule</c>, in file order. The file is parsed by
/// the features file's reader (<see cref="YamlDocumentLoader"/>, <see cref="YamlNodes"/>): the same syntax messages,
/// duplicate keys reported rather than fatal, and a suggestion for a misspelt key. Live features are checked against
/// the feature catalog by whoever wires the models to an engine.
/// </summary>
public static class ModelDefinitionLoader
{
    private static readonly string[] TopKeys = ["models"];
    private static readonly string[] ClickKeys = ["kind", "exposure", "outcome", "key", "window", "fields", "crosses", "live", "ftrl", "max_pending", "sample"];
    private static readonly string[] RecommenderKeys = ["kind", "events", "user", "item", "factors", "learning_rate", "regularization", "negatives", "seed", "sample", "evaluate"];
    private static readonly string[] FtrlKeys = ["alpha", "beta", "l1", "l2", "bits", "prior_rate"];
    private static readonly string[] LiveKeys = ["entity", "key", "feature", "window"];
    private static readonly string[] Kinds = ["click", "recommender"];

    public static ModelSet Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>
    /// Checks the models against the feature catalog they will run beside: every live feature must be a numeric feature
    /// of an entity keyed by one field, with that window. Returns the problems, at the live feature's place in the file
    /// (none when the models fit).
    /// </summary>
    public static IReadOnlyList<ModelDefinitionError> Check(ModelSet models, Freshet.Features.FeatureCatalog catalog, string source = "models")
    {
        var problems = new List<ModelDefinitionError>();
        foreach (var model in models.ClickModels)
        {
            for (int i = 0; i < model.Live.Length; i++)
            {
                var live = model.Live[i];
                var (line, column) = i < model.LivePositions.Length ? model.LivePositions[i] : (1, 1);
                string? problem = !catalog.TryGetEntity(live.Entity, out var entity)
                    ? $"live feature '{live.Feature}': unknown entity '{live.Entity}'; entities: {string.Join(", ", catalog.Entities.Select(e => e.Name))}"
                    : entity.Definition.KeyFields.Length != 1
                        ? $"live feature '{live.Feature}': entity '{live.Entity}' is keyed by {entity.Definition.KeyFields.Length} fields; live features read entities keyed by one field"
                        : !catalog.TryGetFeature(live.Feature, out var feature) || feature.Entity != entity
                            ? $"live feature '{live.Feature}' is not a feature of '{live.Entity}'; its features: {string.Join(", ", catalog.FeaturesOf(entity).Select(f => f.Name))}"
                            : feature.Definition.Aggregation is Freshet.Features.AggregationKind.TopK or Freshet.Features.AggregationKind.LastK or Freshet.Features.AggregationKind.Trend
                                ? $"live feature '{live.Feature}' is {Freshet.Features.FeatureDefinitionLoader.AggregationName(feature.Definition.Aggregation)}; live features must be numbers with windows (count, sum, mean, ratio…)"
                                : !feature.Definition.WindowsMs.Contains(live.WindowMs)
                                    ? $"live feature '{live.Feature}' has no window {Duration.Format(live.WindowMs)}; its windows: {string.Join(", ", feature.Definition.WindowsMs.Select(Duration.Format))}"
                                    : null;
                if (problem is not null)
                {
                    problems.Add(new ModelDefinitionError(source, line, column, model.Name, problem));
                }
            }
        }

        return problems;
    }

    public static ModelSet Parse(string yaml, string source)
    {
        var errors = new List<ModelDefinitionError>();
        var reader = new Reader(source, errors);
        var stream = YamlDocumentLoader.Load(yaml, reader.ReportDuplicate, (at, message) => reader.Error(at, null, message));
        var set = stream is null || stream.Documents.Count == 0 ? ModelSet.Empty : reader.ReadFile(stream.Documents[0].RootNode);
        return errors.Count > 0 ? throw new ModelDefinitionException([.. errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]) : set;
    }

    private sealed class Reader(string source, List<ModelDefinitionError> errors)
    {
        /// <summary>Words a key the <see cref="DuplicateKeyFilter"/> dropped for where it is in a models file.</summary>
        public void ReportDuplicate(DuplicateKey duplicate)
        {
            // Path 0 is the top-level map, 1 the map under 'models', 2 one model, deeper its 'ftrl' or a live feature.
            var (key, at, first, path) = duplicate;
            int depth = path.Count - 1;
            string? section = path.Count > 1 ? path[1] : null;
            string lines = $"lines {first.Line} and {at.Line}";
            (string? model, string message) = (depth, section) switch
            {
                (0, _) => (null, $"top-level key '{key}' appears twice ({lines}); only the first is read, so merge them into one"),
                (1, "models") => (key, $"declared on both line {first.Line} and line {at.Line}; model names must be unique, so rename or remove one"),
                (>= 2, "models") => (path[2], $"key '{key}' appears twice ({lines}); keep one"),
                _ => (null, $"key '{key}' appears twice in the same map ({lines}); keep one"),
            };
            Error(at, model, message);
        }

        public ModelSet ReadFile(YamlNode root)
        {
            if (root is not YamlMappingNode top)
            {
                Error(root, null, "a models file is a map with a 'models' key");
                return ModelSet.Empty;
            }

            CheckKeys(top, TopKeys, null, "at the top");
            if (!TryGet(top, "models", out var modelsNode) || modelsNode is not YamlMappingNode models)
            {
                Error(top, null, "'models' must be a map of model name to definition");
                return ModelSet.Empty;
            }

            var click = ImmutableArray.CreateBuilder<ClickModelDefinition>();
            var recommenders = ImmutableArray.CreateBuilder<RecommenderDefinition>();
            foreach (var (nameNode, body) in models.Children)
            {
                string name = (nameNode as YamlScalarNode)?.Value ?? "";
                if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                {
                    Error(nameNode, null, $"model name '{name}' must be letters, digits, '_' or '-'");
                    continue;
                }

                if (body is not YamlMappingNode map)
                {
                    Error(body, name, "a model is a map with a 'kind' (click or recommender)");
                    continue;
                }

                string? kind = Scalar(map, "kind", name);
                switch (kind)
                {
                    case "click":
                        if (ReadClick(map, name) is { } c)
                        {
                            click.Add(c);
                        }

                        break;
                    case "recommender":
                        if (ReadRecommender(map, name) is { } r)
                        {
                            recommenders.Add(r);
                        }

                        break;
                    case null:
                        Error(map, name, "'kind' is missing; use click or recommender");
                        break;
                    default:
                        Error(Value(map, "kind"), name, $"unknown kind '{kind}'; use click or recommender{DidYouMean(kind, Kinds)}");
                        break;
                }
            }

            return new ModelSet(click.ToImmutable(), recommenders.ToImmutable());
        }

        private ClickModelDefinition? ReadClick(YamlMappingNode map, string name)
        {
            int before = errors.Count;
            CheckKeys(map, ClickKeys, name, "in a click model");
            var exposure = Names(map, "exposure", name, required: true);
            var outcome = Names(map, "outcome", name, required: true);
            var key = Names(map, "key", name, required: true);
            foreach (string type in exposure.Intersect(outcome))
            {
                Error(Value(map, "outcome"), name, $"event type '{type}' is both an exposure and an outcome");
            }

            long window = Duration(map, "window", name) ?? (10 * 60_000);
            var fields = Names(map, "fields", name, required: false);
            var crosses = ImmutableArray.CreateBuilder<(string, string)>();
            if (TryGet(map, "crosses", out var crossesNode))
            {
                if (crossesNode is not YamlSequenceNode list)
                {
                    Error(crossesNode, name, "'crosses' is a list of field pairs, e.g. [[user, category]]");
                }
                else
                {
                    foreach (var pair in list.Children)
                    {
                        if (pair is YamlSequenceNode { Children.Count: 2 } p && p.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }))
                        {
                            crosses.Add((((YamlScalarNode)p.Children[0]).Value!, ((YamlScalarNode)p.Children[1]).Value!));
                        }
                        else
                        {
                            Error(pair, name, "a cross is a pair of fields, e.g. [user, category]");
                        }
                    }
                }
            }

            var live = ImmutableArray.CreateBuilder<LiveFeature>();
            var livePositions = ImmutableArray.CreateBuilder<(int, int)>();
            if (TryGet(map, "live", out var liveNode))
            {
                if (liveNode is not YamlSequenceNode list)
                {
                    Error(liveNode, name, "'live' is a list such as - { entity: item, key: item, feature: item_views, window: 1h }");
                }
                else
                {
                    foreach (var item in list.Children)
                    {
                        if (item is not YamlMappingNode m)
                        {
                            Error(item, name, "a live feature is a map such as { entity: item, key: item, feature: item_views, window: 1h }");
                            continue;
                        }

                        CheckKeys(m, LiveKeys, name, "in a live feature");
                        string? entity = Scalar(m, "entity", name);
                        string? feature = Scalar(m, "feature", name);
                        long? liveWindow = Duration(m, "window", name);
                        if (entity is null || feature is null || liveWindow is null)
                        {
                            Error(m, name, "a live feature needs entity, feature and window (key defaults to the entity's name)");
                            continue;
                        }

                        live.Add(new LiveFeature(entity, Scalar(m, "key", name) ?? entity, feature, liveWindow.Value));
                        livePositions.Add(((int)m.Start.Line, (int)m.Start.Column));
                    }
                }
            }

            var ftrl = new FtrlOptions { PriorRate = 0.01 };
            if (TryGet(map, "ftrl", out var ftrlNode))
            {
                if (ftrlNode is not YamlMappingNode f)
                {
                    Error(ftrlNode, name, "'ftrl' is a map such as { alpha: 0.1, beta: 1, l1: 1, l2: 1, bits: 22, prior_rate: 0.01 }");
                }
                else
                {
                    CheckKeys(f, FtrlKeys, name, "in 'ftrl'");
                    ftrl = ftrl with
                    {
                        Alpha = Number(f, "alpha", name) ?? ftrl.Alpha,
                        Beta = Number(f, "beta", name) ?? ftrl.Beta,
                        L1 = Number(f, "l1", name) ?? ftrl.L1,
                        L2 = Number(f, "l2", name) ?? ftrl.L2,
                        Bits = (int?)Number(f, "bits", name) ?? ftrl.Bits,
                        PriorRate = Number(f, "prior_rate", name) ?? ftrl.PriorRate,
                    };
                    Validate(ftrl.Validate, f, name);
                }
            }

            int maxPending = (int?)Number(map, "max_pending", name) ?? 1_000_000;
            if (maxPending < 1)
            {
                Error(Value(map, "max_pending"), name, "max_pending must be at least 1");
            }

            double sample = Sample(map, name);
            return errors.Count > before ? null : new ClickModelDefinition
            {
                Name = name,
                ExposureEvents = exposure,
                OutcomeEvents = outcome,
                KeyFields = key,
                WindowMs = window,
                Fields = fields,
                Crosses = crosses.ToImmutable(),
                Live = live.ToImmutable(),
                LivePositions = livePositions.ToImmutable(),
                Ftrl = ftrl,
                MaxPending = maxPending,
                Sample = sample,
            };
        }

        private RecommenderDefinition? ReadRecommender(YamlMappingNode map, string name)
        {
            int before = errors.Count;
            CheckKeys(map, RecommenderKeys, name, "in a recommender");
            var events = Names(map, "events", name, required: true);
            var defaults = new MfOptions();
            var options = defaults with
            {
                Factors = (int?)Number(map, "factors", name) ?? defaults.Factors,
                LearningRate = Number(map, "learning_rate", name) ?? defaults.LearningRate,
                Regularization = Number(map, "regularization", name) ?? defaults.Regularization,
                Negatives = (int?)Number(map, "negatives", name) ?? defaults.Negatives,
                Seed = (int?)Number(map, "seed", name) ?? defaults.Seed,
            };
            Validate(options.Validate, map, name);
            double sample = Sample(map, name);
            double? evaluate = Number(map, "evaluate", name);
            if (TryGet(map, "evaluate", out var evaluateNode) && evaluate is { } share && !(share >= 0 && share <= 1))
            {
                Error(evaluateNode, name, FormattableString.Invariant($"evaluate must be a share of interactions from 0 to 1 (0.01 scores one in a hundred, 0 none), not {evaluate}"));
            }

            return errors.Count > before ? null : new RecommenderDefinition
            {
                Name = name,
                Events = events,
                UserField = Scalar(map, "user", name) ?? "user",
                ItemField = Scalar(map, "item", name) ?? "item",
                Factorization = options,
                Sample = sample,
                Evaluate = evaluate,
            };
        }

        /// <summary>The optional <c>sample</c> share of keys (1 when absent).</summary>
        private double Sample(YamlMappingNode map, string model)
        {
            double sample = Number(map, "sample", model) ?? 1;
            if (TryGet(map, "sample", out var node))
            {
                Validate(() => KeySample.Validate(sample), node, model);
            }

            return sample;
        }

        private void Validate(Action validate, YamlNode node, string model)
        {
            try
            {
                validate();
            }
            catch (ArgumentException e)
            {
                Error(node, model, e.Message);
            }
        }

        private ImmutableArray<string> Names(YamlMappingNode map, string key, string model, bool required)
        {
            if (!TryGet(map, key, out var node))
            {
                if (required)
                {
                    Error(map, model, $"'{key}' is missing");
                }

                return [];
            }

            var names = node switch
            {
                YamlScalarNode { Value.Length: > 0 } s => [s.Value!],
                YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }) => list.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
                _ => null,
            };
            if (names is null || names.Count == 0)
            {
                Error(node, model, $"'{key}' is a name or a list of names, e.g. [view]");
                return [];
            }

            return [.. names];
        }

        private string? Scalar(YamlMappingNode map, string key, string model)
        {
            if (!TryGet(map, key, out var node))
            {
                return null;
            }

            if (node is YamlScalarNode { Value.Length: > 0 } s)
            {
                return s.Value;
            }

            Error(node, model, $"'{key}' must be a name");
            return null;
        }

        private double? Number(YamlMappingNode map, string key, string model)
        {
            if (!TryGet(map, key, out var node))
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            {
                return value;
            }

            Error(node, model, $"'{key}' must be a number");
            return null;
        }

        private long? Duration(YamlMappingNode map, string key, string model)
        {
            if (!TryGet(map, key, out var node))
            {
                return null;
            }

            if (node is YamlScalarNode { Value: { } text } && Time.Duration.TryParse(text, out long ms) && ms > 0)
            {
                return ms;
            }

            Error(node, model, $"'{key}' must be a duration such as 10m, 1h or 7d");
            return null;
        }

        private void CheckKeys(YamlMappingNode map, string[] allowed, string? model, string where)
        {
            foreach (var key in map.Children.Keys)
            {
                string name = KeyName(key);
                if (!allowed.Contains(name))
                {
                    Error(key, model, $"unknown key '{name}' {where}; expected one of: {string.Join(", ", allowed)}{DidYouMean(name, allowed)}");
                }
            }
        }

        private static bool TryGet(YamlMappingNode map, string key, out YamlNode value) => YamlNodes.TryGet(map, key, out _, out value);

        private static YamlNode Value(YamlMappingNode map, string key) => TryGet(map, key, out var node) ? node : map;

        private void Error(YamlNode node, string? model, string message) => Error(node.Start, model, message);

        public void Error(Mark at, string? model, string message) =>
            errors.Add(new ModelDefinitionError(source, (int)Math.Max(at.Line, 1), (int)Math.Max(at.Column, 1), model, message));
    }
}
