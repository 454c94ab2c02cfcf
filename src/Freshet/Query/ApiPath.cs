namespace Freshet.Cli.Query;

/// <summary>The paths and query strings of the serving API's requests, escaped; every subcommand builds its request with these.</summary>
internal static class ApiPath
{
    /// <summary>A path segment (an entity or feature name) escaped for the URL.</summary>
    public static string Segment(string name) => Uri.EscapeDataString(name);

    /// <summary>A query string from the parameters that are set; values are escaped.</summary>
    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var set = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return set.Length == 0 ? "" : "?" + string.Join('&', set);
    }

    /// <summary>The key parts as repeated <c>key=</c> parameters, in order.</summary>
    public static IEnumerable<(string, string?)> KeyParameters(IEnumerable<string> key) => key.Select(part => ("key", (string?)part));
}
