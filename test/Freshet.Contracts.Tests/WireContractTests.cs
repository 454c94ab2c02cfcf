using System.Text.Json;
using Freshet.Aggregation;

namespace Freshet.Contracts.Tests;

/// <summary>A client reads and writes the API's bodies with the contracts alone, exactly as the server writes them.</summary>
public sealed class WireContractTests
{
    [Fact]
    public void ContractsAssembly_ReferencedByAClient_PullsInNoAspNetCoreAndNoServer()
    {
        var references = typeof(VectorResponse).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.DoesNotContain(references, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, name => name is "Freshet.Server" or "Freshet.Engine" or "Freshet.Learning");
    }

    [Fact]
    public void ServerJsonContext_VectorResponse_WritesSnakeCaseAndFeatureValuesAsTheServerDoes()
    {
        var response = new VectorResponse("item", ["i42"], 3_600_000, "1970-01-01T01:00:00Z", KnownKey: true,
            new Dictionary<string, IReadOnlyDictionary<string, ReadingDto>>
            {
                ["item_views"] = new Dictionary<string, ReadingDto> { ["1h"] = new(FeatureValue.Of(3), 0, 3_600_000) },
                ["item_top_users"] = new Dictionary<string, ReadingDto>
                {
                    ["1h"] = new(FeatureValue.Of([new ItemValue("u1", 2, Error: 1)]), 0, 3_600_000),
                },
                ["item_mean_price"] = new Dictionary<string, ReadingDto> { ["1h"] = new(FeatureValue.Missing, 0, 3_600_000) },
            });

        string json = JsonSerializer.Serialize(response, ServerJsonContext.Default.VectorResponse);

        Assert.Equal(
            """{"entity":"item","key":["i42"],"at":3600000,"at_utc":"1970-01-01T01:00:00Z","known_key":true,"features":{"item_views":{"1h":{"value":3,"from":0,"to":3600000}},"item_top_users":{"1h":{"value":[{"item":"u1","value":2,"error":1}],"from":0,"to":3600000}},"item_mean_price":{"1h":{"value":null,"from":0,"to":3600000}}}}""",
            json);
    }

    [Fact]
    public void ServerJsonContext_ReadsBackWhatItWrites()
    {
        var request = new ScoreRequest("ctr", new Dictionary<string, string> { ["user"] = "u1" },
            [new Dictionary<string, string> { ["item"] = "i1" }, new Dictionary<string, string> { ["item"] = "i2" }]);

        string json = JsonSerializer.Serialize(request, ServerJsonContext.Default.ScoreRequest);
        var read = JsonSerializer.Deserialize(json, ServerJsonContext.Default.ScoreRequest)!;

        Assert.Equal("""{"model":"ctr","context":{"user":"u1"},"candidates":[{"item":"i1"},{"item":"i2"}]}""", json);
        Assert.Equal("ctr", read.Model);
        Assert.Equal(["i1", "i2"], read.Candidates!.Select(c => c["item"]));
    }

    [Theory]
    [InlineData("https://freshet.dev/problems/unknown-feature", ProblemTypes.UnknownFeature)]
    [InlineData("https://freshet.dev/problems/rejected-events", ProblemTypes.RejectedEvents)]
    [InlineData("https://tools.ietf.org/html/rfc9110#section-15.5.1", null)]
    [InlineData(null, null)]
    public void ProblemTypes_CodeOf_IsTheCodeOfFreshetTypesOnly(string? type, string? code)
    {
        Assert.Equal(code, ProblemTypes.CodeOf(type));
        if (code is not null)
        {
            Assert.Equal(type, ProblemTypes.Uri(code));
        }
    }
}
