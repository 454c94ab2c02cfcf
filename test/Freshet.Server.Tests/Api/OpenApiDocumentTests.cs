using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Freshet.Server.Tests.Api;

/// <summary>
/// The OpenAPI document the running server serves describes every endpoint it maps well enough for a generated client:
/// each parameter (and exactly the query parameters the endpoint reads), each request body, and each answer with a
/// schema the real answers match.
/// </summary>
public sealed class OpenApiDocumentTests(DescribedServer server) : IClassFixture<DescribedServer>
{
    [Fact]
    public async Task Document_EveryMappedEndpoint_IsDescribedCompletely()
    {
        var document = await server.GetJsonAsync("openapi/v1.json");
        var problems = new List<string>();
        foreach (var (endpoint, method) in DescribedEndpoints())
        {
            string route = endpoint.RoutePattern.RawText!;
            string where = $"{method} {route}";
            if (!document.GetProperty("paths").TryGetProperty(route, out var path) || !path.TryGetProperty(method.ToLowerInvariant(), out var operation))
            {
                problems.Add($"{where}: not in the document");
                continue;
            }

            foreach (string member in new[] { "operationId", "summary", "tags" })
            {
                if (!operation.TryGetProperty(member, out _))
                {
                    problems.Add($"{where}: no {member}");
                }
            }

            var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
            foreach (var routeParameter in endpoint.RoutePattern.Parameters)
            {
                if (!parameters.Any(p => p.GetProperty("in").GetString() == "path" && p.GetProperty("name").GetString() == routeParameter.Name
                    && p.TryGetProperty("required", out var required) && required.GetBoolean()))
                {
                    problems.Add($"{where}: the path parameter '{routeParameter.Name}' is not described as required");
                }
            }

            foreach (var parameter in parameters)
            {
                string name = $"{where} parameter '{parameter.GetProperty("name").GetString()}'";
                if (!HasText(parameter, "description"))
                {
                    problems.Add($"{name}: no description");
                }

                if (!parameter.TryGetProperty("schema", out var schema) || SchemaCheck.Resolve(document, schema).EnumerateObject().All(m => m.Name == "description"))
                {
                    problems.Add($"{name}: no schema (type)");
                }
            }

            if (method == "POST" && endpoint.Metadata.GetMetadata<Freshet.Server.ApiDescription.EndpointDescriptions.NoBodyMetadata>() is null)
            {
                if (!operation.TryGetProperty("requestBody", out var body) || !body.TryGetProperty("content", out var bodyContent)
                    || !bodyContent.EnumerateObject().Any()
                    || bodyContent.EnumerateObject().Any(c => !c.Value.TryGetProperty("schema", out _)))
                {
                    problems.Add($"{where}: no request body with a schema for each content type");
                }
            }

            if (!operation.TryGetProperty("responses", out var responses))
            {
                problems.Add($"{where}: no responses");
                continue;
            }

            bool success = false;
            foreach (var response in responses.EnumerateObject())
            {
                int status = int.Parse(response.Name, System.Globalization.CultureInfo.InvariantCulture);
                string answer = $"{where} → {status}";
                if (!HasText(response.Value, "description") || response.Value.GetProperty("description").GetString() == ReasonPhrases.GetReasonPhrase(status))
                {
                    problems.Add($"{answer}: says only '{ReasonPhrases.GetReasonPhrase(status)}', not when it is answered");
                }

                if (!response.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any()
                    || content.EnumerateObject().Any(c => !c.Value.TryGetProperty("schema", out _)))
                {
                    problems.Add($"{answer}: no content with a schema");
                    continue;
                }

                success |= status is >= 200 and < 300;

                // Readiness answers 503 with the same body as 200 (probes read the status; people read the reason).
                bool readiness = operation.GetProperty("operationId").GetString() == "Ready";
                if (status >= 400 && !readiness && !(content.TryGetProperty("application/problem+json", out var problem)
                    && SchemaCheck.Resolve(document, problem.GetProperty("schema")).TryGetProperty("properties", out var members)
                    && new[] { "type", "title", "status", "detail" }.All(m => members.TryGetProperty(m, out _))))
                {
                    problems.Add($"{answer}: not a problem document");
                }
            }

            if (!success)
            {
                problems.Add($"{where}: no successful answer with a schema");
            }
        }

        Assert.True(problems.Count == 0, "The OpenAPI document leaves out:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task Document_QueryParameters_AreExactlyTheOnesEachEndpointReads()
    {
        await RunSamplesAsync();
        var document = await server.GetJsonAsync("openapi/v1.json");
        var problems = new List<string>();
        foreach (var (endpoint, method) in DescribedEndpoints())
        {
            string name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName;
            var operation = document.GetProperty("paths").GetProperty(endpoint.RoutePattern.RawText!).GetProperty(method.ToLowerInvariant());
            var documented = (operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray() : default)
                .Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToHashSet();
            var read = server.QueryRead(name);
            if (!documented.SetEquals(read))
            {
                problems.Add($"{method} {endpoint.RoutePattern.RawText} ({name}) reads [{string.Join(", ", read.Order())}] "
                    + $"but the document lists [{string.Join(", ", documented.Order())}]");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Answers_OfEveryEndpoint_MatchTheDocumentedSchemas()
    {
        var document = await server.GetJsonAsync("openapi/v1.json");
        var problems = new List<string>();
        foreach (var (sample, status, contentType, body) in await RunSamplesAsync())
        {
            var (endpoint, method) = DescribedEndpoints().Single(e => e.Endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName == sample.Endpoint);
            var operation = document.GetProperty("paths").GetProperty(endpoint.RoutePattern.RawText!).GetProperty(method.ToLowerInvariant());
            if (status != sample.Status)
            {
                problems.Add($"{sample}: answered {status}: {body}");
                continue;
            }

            if (!operation.GetProperty("responses").TryGetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response))
            {
                problems.Add($"{sample}: the status {status} is not documented");
                continue;
            }

            if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty(contentType, out var media))
            {
                problems.Add($"{sample}: answered {contentType}, documented [{(response.TryGetProperty("content", out content) ? string.Join(", ", content.EnumerateObject().Select(c => c.Name)) : "")}]");
                continue;
            }

            if (!media.TryGetProperty("schema", out var schema))
            {
                problems.Add($"{sample}: no schema documented for {contentType}");
                continue;
            }

            if (contentType.Contains("json", StringComparison.Ordinal))
            {
                problems.AddRange(SchemaCheck.Errors(document, schema, JsonDocument.Parse(body).RootElement, sample.ToString()));
            }
        }

        Assert.True(problems.Count == 0, "Answers that do not match the document:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task Document_ReadsBackAsValidOpenApi()
    {
        string json = await server.Client.GetStringAsync("openapi/v1.json");

        var read = OpenApiDocument.Parse(json, "json");
        Assert.True(read.Diagnostic?.Errors.Count is null or 0, string.Join("\n", read.Diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        var errors = read.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Pointer}: {e.Message}")));
    }

    /// <summary>Every endpoint of the route table in the document (all but the document itself), with each of its methods.</summary>
    private IEnumerable<(RouteEndpoint Endpoint, string Method)> DescribedEndpoints()
    {
        var endpoints = server.Endpoints
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (e, m)))
            .ToList();
        Assert.True(endpoints.Count >= 16, $"only {endpoints.Count} endpoints found");
        return endpoints;
    }

    /// <summary>Sends every sample request; every endpoint in the document must have one that succeeds.</summary>
    private async Task<List<(ApiSample Sample, int Status, string ContentType, string Body)>> RunSamplesAsync()
    {
        var names = DescribedEndpoints().Select(e => e.Endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName).ToList();
        Assert.DoesNotContain(null, names);
        var missing = names.Where(n => !ApiSamples.All.Any(s => s.Endpoint == n && s.Status is >= 200 and < 300)).ToList();
        Assert.True(missing.Count == 0, $"no successful sample request in ApiSamples for: {string.Join(", ", missing)}");

        var answers = new List<(ApiSample, int, string, string)>();
        foreach (var sample in ApiSamples.All)
        {
            using var request = sample.Request();
            using var response = await server.Client.SendAsync(request);
            answers.Add((sample, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync()));
        }

        return answers;
    }

    private static bool HasText(JsonElement element, string member) =>
        element.TryGetProperty(member, out var text) && !string.IsNullOrWhiteSpace(text.GetString());
}
