using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Freshet.Yaml;

/// <summary>
/// Parses a definitions file into YAML documents through the <see cref="DuplicateKeyFilter"/>, turning what the
/// parser throws into one placed, worded error: a tab in the indentation, a bracket never closed, an indentation
/// that breaks a map. The features and the models files both load through it, so both say the same about the same
/// mistake.
/// </summary>
public static class YamlDocumentLoader
{
    /// <summary>
    /// The documents of <paramref name="yaml"/>, or null after reporting the syntax error to <paramref name="error"/>.
    /// Duplicate keys go to <paramref name="duplicate"/> and are left out of the documents.
    /// </summary>
    public static YamlStream? Load(string yaml, Action<DuplicateKey> duplicate, Action<Mark, string> error)
    {
        var stream = new YamlStream();
        var parser = new DuplicateKeyFilter(new Parser(new Scanner(new StringReader(yaml))), duplicate);
        try
        {
            stream.Load(parser);
            return stream;
        }
        catch (YamlException e)
        {
            SyntaxError(e.Start, e.Message, yaml, error);
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16.3 throws this instead of a YamlException when a flow list or map ([ or {) is not
            // closed before the next key; point at the bracket that was left open.
            var open = parser.InnermostOpenFlow;
            error(open ?? parser.LastPosition, open is null
                ? "YAML syntax error: the document ends in the middle of a value"
                : "YAML syntax error: this '[' or '{' is never closed; close it on the same line or continue it with more items");
            return null;
        }
    }

    private static void SyntaxError(Mark at, string message, string yaml, Action<Mark, string> error)
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
            error(new Mark(0, tabLine + 1, lines[tabLine].IndexOf('\t', StringComparison.Ordinal) + 1),
                $"YAML syntax error: {text}; YAML indents with spaces only, and this line has a tab");
            return;
        }

        string hint = text.Contains("did not find expected key", StringComparison.Ordinal)
            ? "; check the indentation of this line (the keys of one map start in the same column)"
            : "";
        error(at, $"YAML syntax error: {text}{hint}");
    }
}
