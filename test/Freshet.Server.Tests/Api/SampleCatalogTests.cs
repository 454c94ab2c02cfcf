using Freshet.Features;

namespace Freshet.Server.Tests.Api;

/// <summary>
/// samples/features.yaml says a feature's description is "shown by GET /v1/features and `freshet query features`"
/// (it used to promise a dashboard that does not exist); the server shows it there.
/// </summary>
public sealed class SampleCatalogTests
{
    [Fact]
    public async Task GetFeature_SampleCatalog_ShowsTheDescriptionTheSampleDeclares()
    {
        string path = SamplePath();
        string yaml = await File.ReadAllTextAsync(path);
        Assert.Contains("description: How often the item was viewed   # optional, shown by GET /v1/features", yaml);
        var declared = FeatureDefinitionLoader.Parse(yaml, "features.yaml").Features.Single(f => f.Name == "item_views").Description;

        await using var server = await TestServer.StartAsync(yaml: yaml, sourceName: "features.yaml");
        var feature = await server.GetJsonAsync("v1/features/item_views");

        Assert.Equal("How often the item was viewed", declared);
        Assert.Equal(declared, feature.GetProperty("description").GetString());
    }

    /// <summary>Finds samples/features.yaml by walking up to the directory that holds Freshet.slnx.</summary>
    private static string SamplePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Freshet.slnx")))
            {
                return Path.Combine(dir.FullName, "samples", "features.yaml");
            }
        }

        throw new InvalidOperationException($"no Freshet.slnx above {AppContext.BaseDirectory}");
    }
}
