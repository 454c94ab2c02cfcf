using System.Diagnostics.CodeAnalysis;
using Freshet.Features;

namespace Freshet.Cli;

/// <summary>Finds and loads a feature definitions file, reporting problems the way users fix them: one per line.</summary>
internal static class FeaturesFile
{
    /// <summary>The sample file, relative to the current directory, a source checkout, or the binary (which ships a copy).</summary>
    public const string DefaultRelativePath = "samples/features.yaml";

    /// <summary>
    /// The file to use: <paramref name="path"/> when given, else the sample the user would edit (see <see cref="ResolveSample"/>).
    /// </summary>
    public static string Resolve(string? path) => ResolveSample(path, DefaultRelativePath);

    /// <summary>
    /// <paramref name="path"/> when given; else <paramref name="relativePath"/> under the current directory, else in the
    /// source checkout the binary was built in, else the copy shipped next to the binary. The copy in <c>bin/</c> is
    /// only refreshed by a build, so preferring the files a user edits makes an edit count at the next start.
    /// </summary>
    internal static string ResolveSample(string? path, string relativePath)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            return path;
        }

        string inCurrent = Path.Combine(Directory.GetCurrentDirectory(), relativePath);
        if (File.Exists(inCurrent))
        {
            return inCurrent;
        }

        if (SourceCheckout() is { } checkout && File.Exists(Path.Combine(checkout, relativePath)))
        {
            return Path.Combine(checkout, relativePath);
        }

        string besideBinary = Path.Combine(AppContext.BaseDirectory, relativePath);
        return File.Exists(besideBinary) ? besideBinary : inCurrent;
    }

    /// <summary>Which of the places <see cref="ResolveSample"/> looks <paramref name="resolved"/> is, for the start-up line; empty for a file given by name.</summary>
    public static string Origin(string resolved, string relativePath = DefaultRelativePath)
    {
        string full = Path.GetFullPath(resolved);
        if (full == Path.GetFullPath(Path.Combine(Directory.GetCurrentDirectory(), relativePath)))
        {
            return "the sample in the current directory";
        }

        if (SourceCheckout() is { } checkout && full == Path.GetFullPath(Path.Combine(checkout, relativePath)))
        {
            return "the sample of the source checkout";
        }

        return full == Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, relativePath))
            ? $"the copy shipped with freshet; a {relativePath} in the current directory, or --features, takes its place"
            : "";
    }

    /// <summary>The root of the source checkout the running binary was built in (it holds Freshet.slnx), or null for an installed binary.</summary>
    private static string? SourceCheckout()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Freshet.slnx")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>Loads <paramref name="path"/>; on failure writes each problem as one <c>file:line:column: message</c> line.</summary>
    public static bool TryLoad(string path, TextWriter error, [NotNullWhen(true)] out FeatureSet? features)
    {
        features = null;
        try
        {
            features = FeatureDefinitionLoader.Load(path);
            return true;
        }
        catch (FileNotFoundException)
        {
            error.WriteLine($"{path}: feature definitions file not found (looked for '{Path.GetFullPath(path)}')");
        }
        catch (DefinitionException e)
        {
            foreach (var problem in e.Errors)
            {
                error.WriteLine(problem.ToString());
            }

            error.WriteLine($"{e.Errors.Count} problem{(e.Errors.Count == 1 ? "" : "s")} in {path}; nothing was started.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{path}: cannot read the feature definitions file: {e.Message}");
        }

        return false;
    }
}
