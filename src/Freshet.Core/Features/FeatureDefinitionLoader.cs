using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Freshet.Features;

/// <summary>
/// Reads a YAML feature-definitions file (see <c>samples/features.yaml</c> for the format, worked through) into a
/// validated <see cref="FeatureSet"/>. Every problem in the file is collected before anything is thrown, and each
/// one names the file, line, column, the feature and the rule it breaks, so a user fixes a file in one pass.
/// </summary>
/// <remarks>
/// The loader is split by concern: this file holds the public API and the top level of the file;
/// <c>.Yaml.cs</c> reading nodes and wording errors; <c>.DuplicateKeys.cs</c> the duplicate-key check YamlDotNet
/// would otherwise stop at; <c>.Settings.cs</c> settings, tile ladders and entities; <c>.Features.cs</c> one
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
            var stream = new YamlStream();
            var parser = new DuplicateKeyFilter(new Parser(new Scanner(new StringReader(yaml))), this);
            try
            {
                stream.Load(parser);
            }
            catch (YamlException e)
            {
                SyntaxError(e.Start, e.Message, yaml);
                return null;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet 16.3 throws this instead of a YamlException when a flow list or map ([ or {) is not
                // closed before the next key; point at the bracket that was left open.
                var open = parser.InnermostOpenFlow;
                Error(open ?? parser.LastPosition, null, open is null
                    ? "YAML syntax error: the document ends in the middle of a value"
                    : "YAML syntax error: this '[' or '{' is never closed; close it on the same line or continue it with more items");
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

        private void SyntaxError(Mark at, string message, string yaml)
        {
            string text = message.TrimEnd('.');
            text = text.Length > 0 ? char.ToLowerInvariant(text[0]) + text[1..] : "the text is not valid YAML";

            // YamlDotNet places some tab errors at the start of the enclosing map, which can be far above the tab.
            var lines = yaml.Split('\n');
            int tabLine = -1;
            for (int i = (int)Math.Max(at.Line - 1, 0); i < lines.Length && tabLine < 0; i++)
            {
                string line = lines[i];
                if (line[..(line.Length - line.TrimStart().Length)].Contains('\t', StringComparison.Ordinal))
                {
                    tabLine = i;
                }
            }

            if (tabLine >= 0 && (tabLine == at.Line - 1 || text.Contains("tab", StringComparison.Ordinal)))
            {
                at = new Mark(0, tabLine + 1, lines[tabLine].IndexOf('\t', StringComparison.Ordinal) + 1);
                Error(at, null, $"YAML syntax error: {text}; YAML indents with spaces only, and this line has a tab");
                return;
            }

            string hint = text.Contains("did not find expected key", StringComparison.Ordinal)
                ? "; check the indentation of this line (the keys of one map start in the same column)"
                : "";
            Error(at, null, $"YAML syntax error: {text}{hint}");
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
