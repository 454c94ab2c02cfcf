using System.Globalization;
using System.Text;

namespace Freshet.Cli.Tests.Replay;

/// <summary>Temporary input files, and the CLI run in process.</summary>
internal static class ReplayFiles
{
    /// <summary>Writes <paramref name="content"/> to a new temporary file with <paramref name="extension"/> (".csv").</summary>
    public static string Write(string content, string extension)
    {
        string dir = Path.Combine(Path.GetTempPath(), "freshet-replay-tests");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        int exitCode = await FreshetCommand.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
