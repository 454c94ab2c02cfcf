namespace Freshet.Server.Problems;

/// <summary>
/// Names files relative to the data directory in what the server tells its clients. The engine's storage messages are
/// written for the operator at the console and name absolute paths (the runtime's own I/O messages do too); a client
/// of the HTTP API, which may be any page or process that reaches the port, learns nothing from where the data lives
/// except the layout of the machine, so the server cuts the directory off at this boundary.
/// </summary>
internal static class DataPaths
{
    /// <summary><c>could not write /srv/freshet/log/0001.seg</c> → <c>could not write log/0001.seg</c>.</summary>
    public static string Relative(string text, string? dataDirectory)
    {
        if (string.IsNullOrEmpty(dataDirectory) || string.IsNullOrEmpty(text))
        {
            return text;
        }

        string directory = Path.TrimEndingDirectorySeparator(dataDirectory);
        return text
            .Replace(directory + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
            .Replace(directory, DirectoryName(directory), StringComparison.Ordinal);
    }

    /// <summary>The data directory as clients see it: its own name (<c>freshet-data</c>), not where it is.</summary>
    public static string DirectoryName(string dataDirectory) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(dataDirectory)) is { Length: > 0 } name ? name : ".";

    /// <summary>A file outside the data directory (the features file): its name only.</summary>
    public static string FileName(string path) => Path.GetFileName(path) is { Length: > 0 } name ? name : path;
}
