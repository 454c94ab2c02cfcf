using System.Net.Http.Json;
using System.Text;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Hosting;

/// <summary>Requests broken at the transport or in their arguments get a 4xx problem that says what was wrong, never a 500 or an empty 200.</summary>
public sealed class MalformedRequestTests
{
    [Theory]
    [InlineData("/v1/events", "application/x-ndjson")]
    [InlineData("/v1/vectors/item", "application/json")]
    [InlineData("/v1/score", "application/json")]
    public async Task Post_WithAChunkSizeThatIsNotHex_Is400(string path, string contentType)
    {
        await using var server = await StartAsync();
        using var connection = await RawConnection.OpenAsync(server);

        await connection.SendHeadAsync(server, "POST", path, [$"Content-Type: {contentType}", "Transfer-Encoding: chunked"], "zz\r\n{}\r\n0\r\n\r\n");
        var answer = await connection.ReadResponseAsync(TimeSpan.FromSeconds(15));

        Assert.True(answer is { Status: 400 }, $"expected 400 for a malformed chunk size; got {answer?.Text ?? "no answer"}");
    }

    [Theory]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775807")]
    [InlineData("-5")]
    [InlineData("0")]
    public async Task GetVector_AsOfOutsideTheAcceptedRange_Is400SayingTheRange(string asOf)
    {
        await using var server = await StartAsync();

        var problem = await server.GetJsonAsync($"v1/vector/item?key=a&as_of={asOf}", 400);

        string detail = problem.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("epoch seconds", detail, StringComparison.Ordinal);
        Assert.Contains("out of range", detail, StringComparison.Ordinal);
        Assert.Contains("1973", detail, StringComparison.Ordinal);
        Assert.Contains("9999", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetVector_AsOfInEpochSeconds_StillGetsTheMillisecondsHint()
    {
        await using var server = await StartAsync();

        var problem = await server.GetJsonAsync($"v1/vector/item?key=a&as_of={T0 / 1000}", 400);

        Assert.Contains("looks like epoch seconds", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSeries_FromAfterTo_Is400NamingBoth()
    {
        await using var server = await StartAsync();
        await ReadAsync(await server.PostEventsAsync(Event("view", T0, "a")), 200);

        var problem = await server.GetJsonAsync($"v1/series/item_views?key=a&from={T0 + 3_600_000}&to={T0}", 400);

        Assert.Equal("https://freshet.dev/problems/bad-range", problem.GetProperty("type").GetString());
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"{T0 + 3_600_000}", detail, StringComparison.Ordinal);
        Assert.Contains($"{T0}", detail, StringComparison.Ordinal);
        Assert.Equal(T0, problem.GetProperty("to").GetInt64());
    }

    [Fact]
    public async Task PostScore_MalformedJson_IsAProblemNamingThePositionAndWhatWasWrong()
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync("v1/score", new StringContent("{\"model\": \"clicks\",\n \"candidates\": [x]}", Encoding.UTF8, "application/json"));
        var problem = await ReadAsync(response, 400);

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://freshet.dev/problems/malformed-json", problem.GetProperty("type").GetString());
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("line 2", detail, StringComparison.Ordinal);
        Assert.Contains("'x' is an invalid start of a value", detail, StringComparison.Ordinal);
        Assert.Equal(2, problem.GetProperty("line").GetInt64());
    }

    [Fact]
    public async Task PostScore_WellFormed_StillAnswers()
    {
        await using var server = await StartAsync();

        // No models are declared: the request is read and the answer says which models exist.
        using var response = await server.Client.PostAsJsonAsync("v1/score", new { model = "clicks", candidates = new[] { new { item = "a" } } });

        var problem = await ReadAsync(response, 404);
        Assert.Equal("https://freshet.dev/problems/unknown-model", problem.GetProperty("type").GetString());
    }
}
