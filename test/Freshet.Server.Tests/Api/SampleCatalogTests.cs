using Freshet.Features;
using Freshet.Testing.TestData;

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
        string path = SharedData.RepositoryFile("samples", "features.yaml");
        string yaml = await File.ReadAllTextAsync(path);
        Assert.Contains("description: How often the item was viewed   # optional, shown by GET /v1/features", yaml);
        var declared = FeatureDefinitionLoader.Parse(yaml, "features.yaml").Features.Single(f => f.Name == "item_views").Description;

        await using var server = await TestServer.StartAsync(yaml: yaml, sourceName: "features.yaml");
        var feature = await server.GetJsonAsync("v1/features/item_views");

        Assert.Equal("How often the item was viewed", declared);
        Assert.Equal(declared, feature.GetProperty("description").GetString());
    }
}
