using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Freshet.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

/// <summary>
/// Reads a YAML feature-definitions file (see <c>samples/features.yaml</c> for the format, worked through) into a
/// validated <see cref="FeatureSet"/>. Every problem in the file is collected before anything is thrown, and each
/// one names the file, line, column, the feature and the rule it breaks, so a user fixes a file in one pass.
/// </summary>
/// <remarks>
/// The loader is split by concern: this file holds the public API and the top level of the file;
/// <c>.Yaml.cs</c> reading values and wording errors (over the node reader shared with the models file, in
/// <c>Freshet.Yaml</c>); <c>.DuplicateKeys.cs</c> how a duplicate key is worded in a features file; <c>.Settings.cs</c> settings, tile ladders and entities; <c>.Features.cs</c> one
/// feature; <c>.Filter.cs</c> filters; <c>.Derived.cs</c> windows and the references of ratios and trends;
/// <c>.Draft.cs</c> the half-read feature and how it becomes a <see cref="FeatureDefinition"/>.
/// </remarks>
public static partial class FeatureDefinitionLoader
{
    private static readonly string[] TopLevelKeys = ["version", "settings", "entities", "features"];

    /// <summary>Loads and validates the definitions file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="DefinitionException">The file is invalid; <see cref="DefinitionException.Errors"/> has every problem.</exception>
    public static FeatureSet Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Feature definitions file '{path}' was not found (looked for '{Path.GetFullPath(path)}').", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Validates definitions given as text; <paramref name="sourceName"/> is used in messages.</summary>
    /// <exception cref="DefinitionException">The text is invalid; <see cref="DefinitionException.Errors"/> has every problem.</exception>
    public static FeatureSet Parse(string yaml, string sourceName) =>
        TryParse(yaml, sourceName, out var set, out var errors) ? set : throw new DefinitionException(errors);

    /// <summary>
    /// Validates definitions given as text. Returns false with every error (in file order) when the text is invalid.
    /// </summary>
    public static bool TryParse(
        string yaml, string sourceName, [NotNullWhen(true)] out FeatureSet? set, out IReadOnlyList<DefinitionError> errors)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var reader = new Reader(sourceName);
        set = reader.Read(yaml);
        errors = reader.SortedErrors();
        return set is not null;
    }

    /// <summary>One pass over one file: owns the error list and the facts later sections depend on.</summary>
    private sealed partial class Reader(string source)
    {
        private readonly List<DefinitionError> _errors = [];

        public IReadOnlyList<DefinitionError> SortedErrors() =>
            [.. _errors.OrderBy(e => e.Line).ThenBy(e => e.Column)];

        public FeatureSet? Read(string yaml)
        {
            var root = LoadRoot(yaml);
            if (root is null)
            {
                return null;
            }

            CheckKeys(root, TopLevelKeys, null, "at the top level");
            string? version = ReadVersion(root);

            // Sections are read in dependency order, whatever their order in the file: tile ladders need the
            // allowed lateness, and features need the declared entities and the default ladder.
            var settings = ReadSettings(root);
            var entities = ReadEntities(root);
            var features = ReadFeatures(root, settings);
            return _errors.Count == 0 ? new FeatureSet(source, version, settings, entities, features) : null;
        }

        /// <summary>Parses the text into one YAML document whose root is a map, or records why it is not.</summary>
        private YamlMappingNode? LoadRoot(string yaml)
        {
            var stream = YamlDocumentLoader.Load(yaml, ReportDuplicate, (at, message) => Error(at, null, message));
            if (stream is null)
            {
                return null;
            }

            if (stream.Documents.Count == 0)
            {
                Error(Mark.Empty, null, "the file is empty; expected a map with 'entities' and 'features' (see samples/features.yaml)");
                return null;
            }

            if (stream.Documents.Count > 1)
            {
                Error(stream.Documents[1].RootNode, null,
                    $"expected one YAML document, found {stream.Documents.Count}; put every definition in one document (remove the extra '---')");
            }

            var rootNode = stream.Documents[0].RootNode;
            if (rootNode is YamlMappingNode root)
            {
                return root;
            }

            Error(rootNode, null, $"the file must be a map with 'entities' and 'features' at the top; found {Describe(rootNode)}");
            return null;
        }

        private string? ReadVersion(YamlMappingNode root)
        {
            if (!TryGet(root, "version", out _, out var node))
            {
                return null;
            }

            return ReadText(node, null, "'version'");
        }

        private ImmutableArray<FeatureDefinition> ReadFeatures(YamlMappingNode root, CatalogSettings settings)
        {
            if (!TryGet(root, "features", out var key, out var node))
            {
                Error(root, null, "missing 'features': declare at least one feature, e.g. features: { item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] } }");
                return [];
            }

            if (node is YamlSequenceNode)
            {
                Error(node, null, "'features' must be a map from feature name to definition (item_views: { entity: item, ... }); found a list");
                return [];
            }

            if (node is not YamlMappingNode map || map.Children.Count == 0)
            {
                Error(IsNull(node) ? key : node, null, $"'features' is empty; declare at least one feature (found {Describe(node)})");
                return [];
            }

            var drafts = new List<Draft>();
            foreach (var (nameNode, body) in map.Children)
            {
                if (ReadFeature(nameNode, body, settings) is { } draft)
                {
                    drafts.Add(draft);
                }
            }

            ResolveDerived(drafts);
            return _errors.Count == 0 ? [.. drafts.Select(d => Build(d, settings))] : [];
        }
    }
}
