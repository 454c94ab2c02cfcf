using Freshet.Features;
using Freshet.Learning.Pipeline;

namespace Freshet.Cli;

/// <summary>Loads a models file and checks it against the feature catalog, reporting problems one per line.</summary>
internal static class ModelsFile
{
    /// <summary>The sample shipped next to the binary, which <c>freshet demo</c> learns by default.</summary>
    public const string DefaultRelativePath = "samples/models.yaml";

    /// <summary>The file to use: <paramref name="path"/> when given, else the sample next to the binary or under the current directory.</summary>
    public static string Resolve(string? path) => FeaturesFile.ResolveSample(path, DefaultRelativePath);

    public static bool TryLoad(string path, TextWriter error, out ModelSet models)
    {
        models = ModelSet.Empty;
        try
        {
            models = ModelDefinitionLoader.Load(path);
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error.WriteLine($"{path}: models file not found (looked for '{Path.GetFullPath(path)}')");
        }
        catch (ModelDefinitionException e)
        {
            Report(e.Errors, path, error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{path}: cannot read the models file: {e.Message}");
        }

        return false;
    }

    /// <summary>True when every live feature the models read exists in <paramref name="catalog"/>.</summary>
    public static bool FitsCatalog(ModelSet models, FeatureCatalog catalog, string path, TextWriter error)
    {
        var problems = ModelDefinitionLoader.Check(models, catalog, path);
        if (problems.Count > 0)
        {
            Report(problems, path, error);
        }

        return problems.Count == 0;
    }

    private static void Report(IReadOnlyList<ModelDefinitionError> errors, string path, TextWriter error)
    {
        foreach (var problem in errors)
        {
            error.WriteLine(problem.ToString());
        }

        error.WriteLine($"{errors.Count} problem{(errors.Count == 1 ? "" : "s")} in {path}; nothing was started.");
    }
}
