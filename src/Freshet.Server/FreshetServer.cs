using System.Globalization;
using System.Runtime.CompilerServices;
using Freshet.Engine;
using Freshet.Server.Catalog;
using Freshet.Server.Health;
using Freshet.Server.Hosting;
using Freshet.Server.Ingest;
using Freshet.Server.Json;
using Freshet.Server.Learning;
using Freshet.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.OpenApi;

namespace Freshet.Server;

/// <summary>
/// The Freshet HTTP server around an embedded engine: Kestrel, the ingest and serving endpoints, problem details for
/// every error, and the OpenAPI document. The caller owns the engine (it outlives the server and is disposed by whoever
/// created it), which is how <c>freshet serve</c> and <c>freshet demo</c> share one engine with other producers.
/// </summary>
public static class FreshetServer
{
    /// <summary>The category the generic host logs its start and stop under.</summary>
    private const string HostLogCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Builds the application without starting it.</summary>
    public static WebApplication Build(FreshetEngine engine, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Url);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The ingest endpoint enforces its own limit (on decompressed bytes, with a problem document); this one is
            // the backstop for every other endpoint.
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes + 1;
            kestrel.AddServerHeader = false;

            // A client that sends a body slower than this after the grace period is cut off (408), so a stalled upload
            // cannot hold its buffer for ever; one that never finishes its headers is cut off too.
            kestrel.Limits.MinRequestBodyDataRate = options.BodyMinBytesPerSecond > 0
                ? new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(options.BodyMinBytesPerSecond, options.BodyGracePeriod)
                : null;
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
        });
        builder.Logging.ClearProviders();
        var started = new StrongBox<bool>();
        if (options.FrameworkLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);

            // A failure to start (the port in use) is thrown to whoever starts the server, which says it in one line
            // ("Cannot listen on …: the address is already in use"); the host would first log it with its whole stack
            // trace. The host's own log is quiet until it has started, and speaks (a background service failing) after.
            builder.Logging.AddFilter((category, _) => Volatile.Read(ref started.Value) || category != HostLogCategory);
        }

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
        });
        builder.Services.AddProblemDetails();
        RequestGuards.AddServices(builder.Services, options);
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Freshet";
            document.Info.Description = "Fresh behaviour signals: ingest events, read windowed feature vectors, series, profiles and top-k lists. "
                + "Windows are [t - W, t); the start is rounded down to the finest tile still kept at that age and the end up to the end "
                + "of the bucket containing t, and every reading reports the interval it summed (from, to).";
            return Task.CompletedTask;
        }));
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EventsEndpoint>();
        builder.Services.AddSingleton<VectorEndpoints>();
        builder.Services.AddSingleton<SeriesEndpoints>();
        builder.Services.AddSingleton<TopEndpoint>();
        builder.Services.AddSingleton<CatalogEndpoints>();
        builder.Services.AddSingleton<HealthEndpoints>();
        builder.Services.AddHostedService<WallClockTicker>();
        builder.Services.AddSingleton(new LearningService(engine, options.Models, options.ModelStateDirectory, options.ModelSaveInterval));
        builder.Services.AddHostedService(services => services.GetRequiredService<LearningService>());
        builder.Services.AddSingleton<ModelEndpoints>();

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => Volatile.Write(ref started.Value, true));
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Kestrel reports a broken request (a chunk size that is not hex, a body too slow or too large) by throwing
            // from the body read; that is the client's error with its own status, not a 500.
            StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        RequestGuards.Use(app);
        MapEndpoints(app);
        return app;
    }

    /// <summary>The Host header values a server at <paramref name="url"/> accepts when <see cref="ServerOptions.AllowedHosts"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultAllowedHosts(string url) => RequestGuards.DefaultAllowedHosts(url);

    /// <summary>Builds and starts the server; the returned handle knows the address it really listens on.</summary>
    public static async Task<RunningServer> StartAsync(FreshetEngine engine, ServerOptions options, CancellationToken cancellationToken = default)
    {
        var app = Build(engine, options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/"));
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");

        app.MapGet("/", () => TypedResults.Text(RootText, "text/plain; charset=utf-8"))
            .ExcludeFromDescription();

        app.MapPost("/v1/events", (HttpContext http, EventsEndpoint endpoint, bool? wait, CancellationToken ct) => endpoint.HandleAsync(http, wait ?? false, ct))
            .WithName("IngestEvents")
            .WithSummary("Ingest events (JSON array or NDJSON, optionally gzip)")
            .WithDescription("Every valid event is accepted even when others in the same request are rejected. 200: all accepted (duplicates are "
                + "retries of events with the same id inside the dedup horizon: acknowledged, not counted again). 400: part of the body is not JSON; "
                + "422: some events break a rule; both list each rejected event by index with a reason and say how many were accepted. "
                + "408: the body arrived too slowly. 413: body too large. 415: no JSON/NDJSON Content-Type, or an unsupported encoding. "
                + "429/503: overloaded, retry after Retry-After. "
                + "?wait=true answers only once the events are visible to queries.")
            // Not .Accepts(...): that makes routing refuse other content types with a bare 415 before the endpoint can
            // explain; RequestGuards checks the type of every body. The request body is described for OpenAPI here instead.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "Events: a JSON array of objects or NDJSON (one object per line). 'type' and 'time' (epoch ms or ISO-8601) "
                        + "are required, 'id' makes retries safe; every other key is a field (string, number or boolean).",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/x-ndjson"] = new(),
                        ["application/json"] = new(),
                    },
                };
                return Task.CompletedTask;
            })
            .Produces<IngestResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status408RequestTimeout)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/v1/vector/{entity}", (string entity, HttpRequest request, VectorEndpoints endpoints) => endpoints.GetOne(entity, request))
            .WithName("GetVector")
            .WithSummary("Feature vector of one key: ?key=K (repeat key per part of a composite key) &features=a,b &windows=1h,1d &as_of=T")
            .Produces<VectorResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        app.MapPost("/v1/vectors/{entity}", (string entity, HttpRequest request, VectorEndpoints endpoints, CancellationToken ct) => endpoints.PostBatchAsync(entity, request, ct))
            .WithName("GetVectors")
            .WithSummary("Feature vectors of many keys at one as-of time")
            .Accepts<VectorBatchRequest>("application/json")
            .Produces<VectorBatchResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        app.MapGet("/v1/series/{feature}", (string feature, HttpRequest request, SeriesEndpoints endpoints) => endpoints.GetSeries(feature, request))
            .WithName("GetSeries")
            .WithSummary("A feature bucket by bucket: ?key=K &resolution=1h &from=T &to=T (default: the last 7 days hour by hour)")
            .Produces<SeriesResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        app.MapGet("/v1/profile/{feature}", (string feature, HttpRequest request, SeriesEndpoints endpoints) => endpoints.GetProfile(feature, request))
            .WithName("GetProfile")
            .WithSummary("A feature folded by hour of day or day of week (UTC): ?key=K &kind=hour_of_day|day_of_week &days=N")
            .Produces<ProfileResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        app.MapGet("/v1/top/{feature}", (string feature, HttpRequest request, TopEndpoint endpoint) => endpoint.Get(feature, request))
            .WithName("GetTop")
            .WithSummary("The top items of a top_k feature over a window: ?window=1h &k=10 &key=K &as_of=T &with=item_ctr,item_trend &order_by=item_trend")
            .Produces<TopResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        app.MapGet("/v1/features", (CatalogEndpoints endpoints) => endpoints.GetAll())
            .WithName("GetCatalog")
            .WithSummary("The loaded catalog: settings, entities, and every feature as declared with its version")
            .Produces<CatalogResponse>();

        app.MapGet("/v1/features/{name}", (string name, CatalogEndpoints endpoints) => endpoints.GetOne(name))
            .WithName("GetFeature")
            .WithSummary("One feature as declared, with its version")
            .Produces<FeatureDto>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/stats", (HealthEndpoints endpoints) => endpoints.Stats())
            .WithName("GetStats")
            .WithSummary("Counters since start: accepted, duplicates, rejected by reason, shard progress")
            .Produces<StatsResponse>();

        app.MapGet("/v1/models", (ModelEndpoints endpoints) => endpoints.GetAll())
            .WithName("GetModels")
            .WithSummary("Models learned from the stream and their live quality")
            .WithDescription("Click models: examples learned, the label join (exposures, positives, negatives, pending) and the progressive quality of the scores served at each exposure (log loss, AUC, normalized entropy, calibration) beside the constant rate's. Recommenders: users, items and interactions.");
        app.MapPost("/v1/score", (HttpRequest request, ModelEndpoints endpoints, CancellationToken ct) => endpoints.ScoreAsync(request, ct))
            .WithName("Score")
            .WithSummary("Rank candidates by a click model's probability")
            .WithDescription("Body: {\"model\": \"clicks\", \"context\": {\"user\": \"u1\"}, \"candidates\": [{\"item\": \"i1\", \"category\": \"c\"}]}. Each candidate's fields override the context's; the answer lists them most likely first, with their index in the request.")
            // The endpoint reads the body itself (to say where malformed JSON went wrong); this describes it for OpenAPI.
            .Accepts<ScoreRequest>("application/json")
            .Produces<ScoreResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        app.MapGet("/v1/recommend", (HttpRequest request, ModelEndpoints endpoints) => endpoints.Recommend(request))
            .WithName("Recommend")
            .WithSummary("Items for a user from a recommender (model, user, k)")
            .WithDescription("The k best items the user has not interacted with, by the real-time factorization; a user never seen gets the most popular ones.");
        app.MapGet("/v1/similar", (HttpRequest request, ModelEndpoints endpoints) => endpoints.Similar(request))
            .WithName("Similar")
            .WithSummary("Items like an item from a recommender (model, item, k)")
            .WithDescription("The k items whose factors are closest (cosine) to the item's.");
        app.MapGet("/healthz", HealthEndpoints.Live)
            .WithName("Live")
            .WithSummary("Liveness: the process answers")
            .Produces<HealthResponse>();

        app.MapGet("/readyz", (HealthEndpoints endpoints) => endpoints.Ready())
            .WithName("Ready")
            .WithSummary("Readiness: 200 when taking traffic, 503 while stopping or while shard queues are full")
            .Produces<ReadyResponse>()
            .Produces<ReadyResponse>(StatusCodes.Status503ServiceUnavailable);
    }

    private static readonly string RootText = string.Create(CultureInfo.InvariantCulture, $"""
        Freshet: fresh behaviour signals.

          POST /v1/events                 ingest events (NDJSON or a JSON array, with -H 'Content-Type: application/x-ndjson'
                                          or application/json; gzip accepted; ?wait=true)
          GET  /v1/features               the catalog: every feature as declared, with its version
          GET  /v1/vector/{"{entity}"}?key=K    a feature vector (&features=a,b &windows=1h,1d &as_of=T)
          POST /v1/vectors/{"{entity}"}         vectors of many keys: {"{"}"keys": ["k1", "k2"]{"}"}
          GET  /v1/series/{"{feature}"}?key=K   bucket by bucket (&resolution=1h &from=T &to=T)
          GET  /v1/profile/{"{feature}"}?key=K  by hour of day or day of week (&kind=day_of_week)
          GET  /v1/top/{"{feature}"}?window=1h  top items of a top_k feature (&with=item_ctr &order_by=...)
          GET  /v1/stats  /healthz  /readyz
          GET  /openapi/v1.json           the OpenAPI document

        """);
}

/// <summary>A started server: where it listens, and how to stop it.</summary>
public sealed class RunningServer(WebApplication app, Uri baseAddress) : IAsyncDisposable
{
    /// <summary>The address it listens on, ending in '/', e.g. <c>http://127.0.0.1:7700/</c>.</summary>
    public Uri BaseAddress { get; } = baseAddress;

    public WebApplication App { get; } = app;

    /// <summary>The models learning from the stream and their live figures, as <c>GET /v1/models</c> answers (no models: an empty list).</summary>
    public ModelsResponse Models() => _learning.Describe();

    /// <summary>Resolved while the server runs, so the figures can still be read after it stopped (for a summary).</summary>
    private readonly LearningService _learning = app.Services.GetRequiredService<LearningService>();

    /// <summary>Stops taking requests, finishes the ones in flight, and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
