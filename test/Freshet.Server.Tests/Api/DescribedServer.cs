using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
using Freshet.Server.Tests.Learning;
using Freshet.Testing.TestData;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Freshet.Server.Tests.Api;

/// <summary>
/// The real server on a loopback port, with a click model and a recommender that have learned a small shop stream, and
/// one addition a test can make to a real pipeline: every query parameter an endpoint looks up is recorded, by
/// endpoint name. That shows which parameters each endpoint really reads, whatever its code looks like, so the OpenAPI
/// document can be checked against it.
/// </summary>
public sealed class DescribedServer : IAsyncLifetime
{
    public const string Models = ShopModels.WithLiveFeaturesYaml;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> _queryRead = new(StringComparer.Ordinal);
    private FreshetEngine _engine = null!;
    private WebApplication _app = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Every endpoint the server maps (the route table the root page and the document are generated from).</summary>
    public IReadOnlyList<RouteEndpoint> Endpoints => _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    /// <summary>The query parameters each endpoint (by name) looked up in the requests so far.</summary>
    public IReadOnlySet<string> QueryRead(string endpointName) =>
        _queryRead.TryGetValue(endpointName, out var names) ? names.Keys.ToHashSet(StringComparer.Ordinal) : [];

    public async Task InitializeAsync()
    {
        _engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(TestServer.Yaml, "test.yaml"), new EngineOptions { ShardCount = 2 });
        var options = new ServerOptions
        {
            Url = "http://127.0.0.1:0",
            FrameworkLogging = false,
            Models = ModelDefinitionLoader.Parse(Models, "models.yaml"),
        };
        _app = FreshetServer.Build(_engine, options);

        // Runs after routing chose the endpoint and before it executes: the endpoint then reads the query through this.
        _app.Use((http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } name)
            {
                var read = _queryRead.GetOrAdd(name, _ => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal));
                http.Features.Set<IQueryFeature>(new RecordingQueryFeature(new RecordingQuery(http.Request.Query, read)));
            }

            return next(http);
        });
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };

        var (lines, _) = ShopStream.Generate(seed: 7, views: 400, itemsPerCategory: 20, stepMs: 1_000);
        await PostAndLearnAsync(lines);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _engine.DisposeAsync();
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return await TestServer.ReadAsync(response, 200);
    }

    private async Task PostAndLearnAsync(IReadOnlyList<string> lines)
    {
        using var content = new StringContent(string.Concat(lines), System.Text.Encoding.UTF8, "application/x-ndjson");
        using var response = await Client.PostAsync("v1/events?wait=true", content);
        await TestServer.ReadAsync(response, 200);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        long learned = 0;
        while ((learned = (await GetJsonAsync("v1/models")).GetProperty("events_learned").GetInt64()) < lines.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(learned == lines.Count, $"the models learned {learned} of {lines.Count} events within 20 s");
        _queryRead.Clear();
    }

    private sealed class RecordingQueryFeature(IQueryCollection query) : IQueryFeature
    {
        public IQueryCollection Query { get; set; } = query;
    }

    /// <summary>The request's query, noting each name looked up.</summary>
    private sealed class RecordingQuery(IQueryCollection inner, ConcurrentDictionary<string, bool> read) : IQueryCollection
    {
        public int Count => inner.Count;

        public ICollection<string> Keys => inner.Keys;

        public StringValues this[string key]
        {
            get
            {
                read[key] = true;
                return inner[key];
            }
        }

        public bool ContainsKey(string key)
        {
            read[key] = true;
            return inner.ContainsKey(key);
        }

        public bool TryGetValue(string key, out StringValues value)
        {
            read[key] = true;
            return inner.TryGetValue(key, out value);
        }

        public IEnumerator<KeyValuePair<string, StringValues>> GetEnumerator() => inner.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
