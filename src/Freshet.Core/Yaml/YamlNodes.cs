using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Freshet.Yaml;

/// <summary>
/// Reading YAML nodes the way every Freshet definitions file does (features, models): absent values, what a node is
/// for "found …" in messages, keys of a map, and the "did you mean" of a misspelt name.
/// </summary>
public static class YamlNodes
{
    /// <summary>True for an absent value: <c>key:</c> with nothing after it, <c>~</c> or <c>null</c>.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>What a node is, for "found …" in messages.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode { Children.Count: 0 } => "an empty map",
        YamlMappingNode => "a map",
        YamlSequenceNode { Children.Count: 0 } => "an empty list",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };

    /// <summary>The value of <paramref name="key"/> in <paramref name="map"/> and the key's own node (both the map when absent).</summary>
    public static bool TryGet(YamlMappingNode map, string key, out YamlNode keyNode, out YamlNode value)
    {
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key)
            {
                keyNode = k;
                value = v;
                return true;
            }
        }

        keyNode = value = map;
        return false;
    }

    /// <summary>A scalar's text as the user wrote it, for quoting in messages.</summary>
    public static string TextOf(YamlNode node) => node is YamlScalarNode { Value: { } text } ? text.Trim() : Describe(node);

    /// <summary>A map key's name, or what it is when it is not a scalar.</summary>
    public static string KeyName(YamlNode key) => key is YamlScalarNode { Value: { } name } ? name : Describe(key);

    /// <summary>" (did you mean 'x'?)" when a candidate is a small edit away from <paramref name="given"/>.</summary>
    public static string DidYouMean(string given, IEnumerable<string> candidates) =>
        ClosestMatch(given, candidates) is { } best ? $" (did you mean '{best}'?)" : "";

    /// <summary>The candidate a small edit away from <paramref name="given"/>, if there is one.</summary>
    public static string? ClosestMatch(string given, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = EditDistance(given.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        // One typo in a short word, two in a longer one; beyond that a suggestion is more noise than help.
        int allowed = given.Length <= 4 ? 1 : 2;
        return best is not null && bestDistance <= allowed && best != given ? best : null;
    }

    /// <summary>Levenshtein distance with adjacent transpositions counted as one edit.</summary>
    public static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
