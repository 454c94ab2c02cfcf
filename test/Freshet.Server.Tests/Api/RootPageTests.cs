using Freshet.Server.ApiDescription;
using Microsoft.AspNetCore.Routing;

namespace Freshet.Server.Tests.Api;

/// <summary><c>GET /</c> lists every endpoint the server maps, with the query parameters each reads, on an 80-column screen.</summary>
public sealed class RootPageTests(DescribedServer server) : IClassFixture<DescribedServer>
{
    [Fact]
    public async Task Root_ListsEveryMappedRouteWithItsQueryParameters()
    {
        using var response = await server.Client.GetAsync("");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);

        var lines = text.Split('\n');
        var missing = new List<string>();
        foreach (var endpoint in server.Endpoints)
        {
            string route = endpoint.RoutePattern.RawText!.Replace("{documentName}", "v1", StringComparison.Ordinal);
            foreach (string method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                // "  GET  /v1/vector/{entity}?key=K&features=a,b…" (the query may continue on the next lines).
                int at = Array.FindIndex(lines, l => l.StartsWith($"  {method,-4} {route}", StringComparison.Ordinal)
                    && (l.Length == $"  {method,-4} {route}".Length || l[$"  {method,-4} {route}".Length] == '?'));
                if (at < 0)
                {
                    missing.Add($"{method} {route}");
                    continue;
                }

                string entry = string.Concat(lines.Skip(at).Take(4).Select(l => l.Trim()));
                foreach (var parameter in endpoint.Metadata.GetMetadata<QueryParametersMetadata>()?.Parameters ?? [])
                {
                    if (!entry.Contains($"{parameter.Name}=", StringComparison.Ordinal))
                    {
                        missing.Add($"{method} {route}: ?{parameter.Name}");
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, $"GET / leaves out:\n{string.Join("\n", missing)}\n---\n{text}");
        Assert.Contains("  GET  /v1/models", lines);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"a line of {l.Length} characters: {l}"));
    }
}
