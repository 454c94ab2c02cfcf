using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Freshet.Server.Hosting;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Hosting;

/// <summary>
/// What a web page the user visits can make the server do: nothing. A body must be declared JSON or NDJSON (types a
/// page cannot send without a preflight the server never answers), and the Host header must name the server.
/// </summary>
public sealed class RequestGuardsTests
{
    private static HttpContent Body(string text, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData(null)]
    public async Task PostEvents_WithATypeAPageCanSendUnasked_Is415WithTheCurlFix_AndNothingIsTaken(string? contentType)
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync("v1/events", Body(Event("view", T0, "a"), contentType));
        var problem = await ReadAsync(response, 415);

        Assert.Equal("https://freshet.dev/problems/unsupported-media-type", problem.GetProperty("type").GetString());
        Assert.Contains("-H 'Content-Type: application/x-ndjson'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("application/json", problem.GetProperty("accepted_media_types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(0, (await server.GetJsonAsync("v1/stats")).GetProperty("accepted").GetInt64());
    }

    [Theory]
    [InlineData("application/x-ndjson; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/vnd.acme.events+json")]
    public async Task PostEvents_JsonTypesWithCharsetOrSuffix_AreAccepted(string contentType)
    {
        await using var server = await StartAsync();

        var result = await ReadAsync(await server.PostEventsAsync(Event("view", T0, "a"), contentType), 200);

        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
    }

    [Theory]
    [InlineData("v1/score", """{"model": "clicks", "candidates": [{"item": "a"}]}""")]
    [InlineData("v1/vectors/item", """{"keys": ["a"]}""")]
    public async Task PostOtherEndpoints_AsTextPlain_Is415Problem(string path, string json)
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync(path, Body(json, "text/plain"));
        var problem = await ReadAsync(response, 415);

        Assert.Equal("https://freshet.dev/problems/unsupported-media-type", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:7700")]
    [InlineData("127.0.0.1.evil.example")]
    public async Task Request_WithTheHostOfAnotherSite_Is400NamingTheAcceptedHosts(string host)
    {
        await using var server = await StartAsync();

        using var response = await SendWithHostAsync(server, host);
        var problem = await ReadAsync(response, 400);

        Assert.Equal("https://freshet.dev/problems/host-not-allowed", problem.GetProperty("type").GetString());
        Assert.Contains(host, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(["localhost", "127.0.0.1", "[::1]"], problem.GetProperty("allowed_hosts").EnumerateArray().Select(h => h.GetString()!).ToArray());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:1234")]
    [InlineData("127.0.0.1:9")]
    [InlineData("[::1]:7700")]
    public async Task Request_WithALoopbackNameOnAnyPort_IsServed(string host)
    {
        await using var server = await StartAsync();

        using var response = await SendWithHostAsync(server, host);

        await ReadAsync(response, 200);
    }

    [Fact]
    public async Task Request_WithConfiguredAllowedHosts_ServesThoseAndRefusesLoopbackNames()
    {
        await using var server = await StartAsync(new ServerOptions { AllowedHosts = ["feed.example.com", "*.internal.example"] });

        await ReadAsync(await SendWithHostAsync(server, "feed.example.com:8080"), 200);
        await ReadAsync(await SendWithHostAsync(server, "a.internal.example"), 200);
        var problem = await ReadAsync(await SendWithHostAsync(server, "localhost"), 400);
        Assert.Contains("--allowed-hosts", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7700", "localhost,127.0.0.1,[::1]")]
    [InlineData("http://localhost:7700", "localhost,127.0.0.1,[::1]")]
    [InlineData("http://[::1]:0", "localhost,127.0.0.1,[::1]")]
    [InlineData("http://0.0.0.0:8080", "*")]
    [InlineData("http://[::]:8080", "*")]
    [InlineData("http://*:8080", "*")]
    [InlineData("http://+:8080", "*")]
    [InlineData("http://feed.example.com:8080", "feed.example.com")]
    [InlineData("http://10.1.2.3:8080", "10.1.2.3")]
    public void DefaultAllowedHosts_FollowTheBoundAddress(string url, string expected)
    {
        Assert.Equal(expected, string.Join(',', RequestGuards.DefaultAllowedHosts(url)));
    }

    private static Task<HttpResponseMessage> SendWithHostAsync(TestServer server, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "v1/stats");
        request.Headers.Host = host;
        return server.Client.SendAsync(request);
    }

    [Fact]
    public async Task Problem_ForAnUnsupportedType_ParsesAsJson()
    {
        await using var server = await StartAsync();

        using var response = await server.Client.PostAsync("v1/events", Body("x", "text/plain"));

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).Dispose();
    }
}
