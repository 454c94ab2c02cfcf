namespace Freshet.Testing.TestData;

/// <summary>
/// Finds the repository and the shared sample data (../shared/data beside it, never copied into the repository):
/// the one copy every test project uses.
/// </summary>
public static class SharedData
{
    /// <summary>The repository root (the directory holding Freshet.slnx), or null when the tests run outside it.</summary>
    public static string? Repository { get; } = FindRepository();

    /// <summary>../shared/data beside the repository, or null when it is absent.</summary>
    public static string? Root { get; } = FindData();

    /// <summary>A file or folder of the shared data; throws when the data is absent (guard the test with <see cref="DataFactAttribute"/>).</summary>
    public static string PathOf(string relative) => Path.Combine(Root ?? throw new InvalidOperationException("shared data not found"), relative);

    /// <summary>A file of the repository (samples/models.yaml…); throws naming where it looked when the repository is not found.</summary>
    public static string RepositoryFile(params string[] parts) =>
        Path.Combine([Repository ?? throw new InvalidOperationException($"the repository root (Freshet.slnx) was not found above {AppContext.BaseDirectory}"), .. parts]);

    private static string? FindRepository()
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

    private static string? FindData()
    {
        if (Repository is null)
        {
            return null;
        }

        string data = Path.GetFullPath(Path.Combine(Repository, "..", "shared", "data"));
        return Directory.Exists(data) ? data : null;
    }
}

/// <summary>A fact that needs a dataset from ../shared/data; skipped, saying why, when it is absent (CI always has it).</summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(string dataset)
    {
        if (SharedData.Root is null || !Directory.Exists(Path.Combine(SharedData.Root, dataset)))
        {
            Skip = $"needs ../shared/data/{dataset} beside the repository (the sample data is not redistributable, so it is not in the repo); put the shared folder there to run it";
        }
    }
}
