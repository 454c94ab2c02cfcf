namespace Freshet.Learning.Tests;

/// <summary>Finds the shared sample data (../shared/data beside the repository), which is never copied into the repo.</summary>
internal static class TestData
{
    public static string? Root { get; } = Find();

    public static string PathOf(string relative) => Path.Combine(Root ?? throw new InvalidOperationException("shared data not found"), relative);

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Freshet.slnx")))
            {
                string data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(data) ? data : null;
            }
        }

        return null;
    }
}

/// <summary>A fact that needs a dataset from ../shared/data; skipped, saying why, when it is absent (CI always has it).</summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(string dataset)
    {
        if (TestData.Root is null || !Directory.Exists(Path.Combine(TestData.Root, dataset)))
        {
            Skip = $"needs ../shared/data/{dataset} beside the repository (the sample data is not redistributable, so it is not in the repo); put the shared folder there to run it";
        }
    }
}
