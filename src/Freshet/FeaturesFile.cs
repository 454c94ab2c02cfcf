using System.Diagnostics.CodeAnalysis;
using Freshet.Features;

namespace Freshet.Cli;

/// <summary>Finds and loads a feature definitions file, reporting problems the way users fix them: one per line.</summary>
internal static class FeaturesFile
{
    /// <summary>The sample shipped next to the binary (the project copies <c>samples/features.yaml</c> to the output).</summary>
    public const string DefaultRelativePath = "samples/features.yaml";

    /// <summary>
    /// The file to use: <paramref name="path"/> when given, else the sample next to the binary, else the sample under
    /// the current directory (running from a source checkout).
    /// </summary>
    public static string Resolve(string? path) => ResolveSample(path, DefaultRelativePath);

    /// <summary><paramref name="path"/> when given, else the sample <paramref name="relativePath"/> next to the binary, else under the current directory.</summary>
    internal static string ResolveSample(string? path, string relativePath)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            return path;
        }

        string besideBinary = Path.Combine(AppContext.BaseDirectory, relativePath);
        return File.Exists(besideBinary) ? besideBinary : Path.Combine(Directory.GetCurrentDirectory(), relativePath);
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
