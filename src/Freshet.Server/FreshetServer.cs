using System.ComponentModel;
using System.Runtime.CompilerServices;
using Freshet.Contracts;
using Freshet.Engine;
using Freshet.Learning.Hosting;
using Freshet.Seams;
using Freshet.Server.ApiDescription;
using Freshet.Server.Catalog;
using Freshet.Server.Health;
using Freshet.Server.Hosting;
using Freshet.Server.Ingest;
using Freshet.Server.Learning;
using Freshet.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
    public static WebApplication Build(FreshetEngine engine, ServerOptions options) => Build(engine, options, engine.Router);

    /// <summary>
    /// Builds the application with <paramref name="router"/> taking the events: the ingest, health and stats endpoints
    /// see only that seam (the engine's own router, or another backend's), the other endpoints the engine.
    /// </summary>
    internal static WebApplication Build(FreshetEngine engine, ServerOptions options, IEventRouter router)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ServerOptionsValidator.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(router);
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

            // The endpoints write with ServerJsonContext's own options; these make the OpenAPI document (generated from
            // the options here) describe the same thing: numbers are numbers, null members are left out, and a feature
            // value is written by its converter.
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Converters.Add(new FeatureValueConverter());
        });
        builder.Services.AddProblemDetails();
        RequestGuards.AddServices(builder.Services, options);
        FreshetOpenApi.Add(builder.Services);
        builder.Services.AddSingleton<RootPage>();
        builder.Services.AddSingleton(engine);
        // The ingest, health and learning endpoints depend on the seams; the storage figures have none (the embedded backend's own).
        builder.Services.AddSingleton(router);
        builder.Services.AddSingleton(new StorageStatsSource(engine.GetStorageStats));
        builder.Services.AddSingleton(engine.Reader);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<EventsEndpoint>();
        builder.Services.AddSingleton<VectorEndpoints>();
        builder.Services.AddSingleton<SeriesEndpoints>();
        builder.Services.AddSingleton<TopEndpoint>();
        builder.Services.AddSingleton<CatalogEndpoints>();
        builder.Services.AddSingleton<HealthEndpoints>();
        builder.Services.AddHostedService<WallClockTicker>();
        builder.Services.AddHostedService<IdleMemoryRelease>();
        // The learner pairs the engine's router with its feed: the clock, strings and positions it sees are one backend's.
        builder.Services.AddSingleton(new LearningHost(engine.Router, engine.Feed, engine.Reader, engine.Log, options.Models, options.ModelStateDirectory, options.ModelSaveInterval));
        builder.Services.AddHostedService<LearningHostedService>();
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
    public static Task<RunningServer> StartAsync(FreshetEngine engine, ServerOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(engine, options, engine.Router, cancellationToken);

    /// <summary>Builds and starts the server with <paramref name="router"/> taking the events (see <see cref="Build(FreshetEngine, ServerOptions, IEventRouter)"/>).</summary>
    internal static async Task<RunningServer> StartAsync(FreshetEngine engine, ServerOptions options, IEventRouter router, CancellationToken cancellationToken = default)
    {
        var app = Build(engine, options, router);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/"));
    }

    private static void MapEndpoints(WebApplication app)
    {
        // Every endpoint says what it answers and when (ApiDescription/EndpointDescriptions): the OpenAPI document and
        // the root page are generated from that metadata and the response types, so they cannot drift from the routes.
        app.MapOpenApi("/openapi/{documentName}.json")
            .WithTags(OperationsTag)
            .WithSummary("This OpenAPI document");

        app.MapGet("/", (RootPage page) => page.Get())
            .WithName("Root")
            .WithTags(OperationsTag)
            .WithSummary("Every endpoint on one screen (text)")
            .Returns<string>("A plain-text list of every endpoint, its query parameters and summary.", contentType: "text/plain");

        app.MapPost("/v1/events", (HttpContext http, EventsEndpoint endpoint, string? wait, CancellationToken ct) => endpoint.HandleAsync(http, wait, ct))
            .WithName("IngestEvents")
            .WithTags("Ingest")
            .WithSummary("Ingest events (JSON array or NDJSON, optionally gzip)")
            .WithDescription("Every valid event is accepted even when others in the same request are rejected: a 400 or 422 says how many were "
                + "accepted and lists each rejected event by its 0-based index with a reason code and a message. Events with an 'id' are "
                + "remembered for the dedup horizon, so resending a request after a timeout counts nothing twice.")
            .WithQuery(EventsEndpoint.Query)
            // Not .Accepts(...): that makes routing refuse other content types with a bare 415 before the endpoint can
            // explain; RequestGuards checks the type of every body. The request body is described for OpenAPI here instead.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = IngestBody.Describe();
                return Task.CompletedTask;
            })
            .Returns<IngestResponse>("Every event was accepted (duplicates: retries of events already accepted, acknowledged and not counted again).")
            .WithProblem(StatusCodes.Status400BadRequest, "Part of the body is not JSON (rejected-events: the valid events were accepted, with "
                + "accepted, duplicates, rejected_count and rejected), or the body is empty, not valid gzip or badly framed (empty-body, bad-gzip, bad-framing).",
                typeof(RejectedEventsProblem))
            .WithProblem(StatusCodes.Status408RequestTimeout, "The body arrived too slowly (body-timeout); nothing was taken and the connection closes.")
            .WithProblem(StatusCodes.Status413PayloadTooLarge, "The body is over the server's --max-body, counted after gzip (body-too-large, with max_bytes); nothing was taken.")
            .WithProblem(StatusCodes.Status415UnsupportedMediaType, "No JSON or NDJSON Content-Type (unsupported-media-type, with accepted_media_types), "
                + "or a Content-Encoding other than gzip (unsupported-encoding); nothing was taken.")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "Some events break a rule (rejected-events: the valid ones were accepted; "
                + "accepted, duplicates, rejected_count and rejected say which were not, and why).", typeof(RejectedEventsProblem))
            .WithProblem(StatusCodes.Status429TooManyRequests, "Too many ingest requests at once, or the bodies in flight fill the buffer budget "
                + "(overloaded, with Retry-After); nothing was taken.")
            .WithProblem(StatusCodes.Status503ServiceUnavailable, "The shard queues are full, or the dedup window's memory budget is full inside its "
                + "horizon (overloaded, with Retry-After), or the event log cannot be written (storage-failed); nothing was taken.")
            .WithProblem(StatusCodes.Status504GatewayTimeout, "?wait=true and the accepted events were not visible within 30 s (not-yet-visible), or ?wait=learned and the models had not learned them (not-yet-learned); they are kept.")
            .WithProblem(StatusCodes.Status507InsufficientStorage, "The disk holding the event log is full (storage-failed); nothing was acknowledged.");

        app.MapGet("/v1/vector/{entity}", ([Description(EntityDescription)] string entity, HttpRequest request, VectorEndpoints endpoints) => endpoints.GetOne(entity, request))
            .WithName("GetVector")
            .WithTags(FeaturesTag)
            .WithSummary("Feature vector of one key")
            .WithDescription("Every feature of the entity (or those asked) for each of its windows: feature → window → reading, each reading with the interval [from, to) it summed.")
            .WithQuery(VectorEndpoints.GetOneQuery)
            .Returns<VectorResponse>("The vector: feature → window → {value, from, to}; known_key is false for a key never seen (counts 0).")
            .WithProblem(StatusCodes.Status400BadRequest, ReadBadRequest)
            .WithProblem(StatusCodes.Status404NotFound, "No such entity (unknown-entity, with known_entities) or feature of it (unknown-feature, with known_features).")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, ReadUnprocessable);

        app.MapPost("/v1/vectors/{entity}", ([Description(EntityDescription)] string entity, HttpRequest request, VectorEndpoints endpoints, CancellationToken ct) => endpoints.PostBatchAsync(entity, request, ct))
            .WithName("GetVectors")
            .WithTags(FeaturesTag)
            .WithSummary("Feature vectors of many keys at one as-of time")
            .WithDescription("Body: {\"keys\": [\"i1\", \"i2\"], \"features\": [...], \"windows\": [\"1h\"], \"as_of\": T}; every key is read at the same instant.")
            .Accepts<VectorBatchRequest>("application/json")
            .Returns<VectorBatchResponse>("One vector per key, in the order asked, all as of the same time.")
            .WithProblem(StatusCodes.Status400BadRequest, "The body is not JSON (malformed-json), has no keys or more than the server allows, or a key, "
                + "window or time does not parse (bad-parameter, bad-key, bad-window).")
            .WithProblem(StatusCodes.Status404NotFound, "No such entity (unknown-entity) or feature of it (unknown-feature).")
            .WithProblem(StatusCodes.Status413PayloadTooLarge, "The body is over the server's --max-body.")
            .WithProblem(StatusCodes.Status415UnsupportedMediaType, "The body is not declared application/json (unsupported-media-type).")
            .WithProblem(StatusCodes.Status422UnprocessableEntity, ReadUnprocessable);

        app.MapGet("/v1/series/{feature}", ([Description(FeatureDescription)] string feature, HttpRequest request, SeriesEndpoints endpoints) => endpoints.GetSeries(feature, request))
            .WithName("GetSeries")
            .WithTags(FeaturesTag)
            .WithSummary("A feature bucket by bucket")
            .WithDescription("The feature's value in each bucket of the range, oldest first (default: the last 7 days, hour by hour).")
            .WithQuery(SeriesEndpoints.SeriesQuery)
            .Returns<SeriesResponse>("The buckets of [from, to), oldest first, each with its start and value.")
            .WithProblem(StatusCodes.Status400BadRequest, ReadBadRequest + " from after to is bad-range.")
            .WithProblem(StatusCodes.Status404NotFound, UnknownFeature)
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "The range is past the resolution's retention or has too many buckets (out-of-range), "
                + "or the feature has no series (not-supported: a trend).");

        app.MapGet("/v1/profile/{feature}", ([Description(FeatureDescription)] string feature, HttpRequest request, SeriesEndpoints endpoints) => endpoints.GetProfile(feature, request))
            .WithName("GetProfile")
            .WithTags(FeaturesTag)
            .WithSummary("A feature folded by hour of day or day of week (UTC)")
            .WithDescription("The feature's buckets over the last days, summed into the 24 hours of the day or the 7 days of the week.")
            .WithQuery(SeriesEndpoints.ProfileQuery)
            .Returns<ProfileResponse>("One slot per hour (00-23) or weekday (mon-sun), over [from, to).")
            .WithProblem(StatusCodes.Status400BadRequest, ReadBadRequest)
            .WithProblem(StatusCodes.Status404NotFound, UnknownFeature)
            .WithProblem(StatusCodes.Status422UnprocessableEntity, ReadUnprocessable);

        app.MapGet("/v1/top/{feature}", ([Description("A top_k feature, as named in the definitions.")] string feature, HttpRequest request, TopEndpoint endpoint) => endpoint.Get(feature, request))
            .WithName("GetTop")
            .WithTags(FeaturesTag)
            .WithSummary("The top items of a top_k feature over a window")
            .WithDescription("The heaviest items over one window, optionally with features of each item (with=) and re-ranked by one of them (order_by=).")
            .WithQuery(TopEndpoint.Query)
            .Returns<TopResponse>("The items, heaviest first (or by order_by), with the Space-Saving error bound when not 0.")
            .WithProblem(StatusCodes.Status400BadRequest, ReadBadRequest + " with= names features but no entity is keyed by the top_k field.")
            .WithProblem(StatusCodes.Status404NotFound, UnknownFeature)
            .WithProblem(StatusCodes.Status422UnprocessableEntity, "The feature is not top_k (not-supported, with top_k_features), or the as-of time is out of range (out-of-range).");

        app.MapGet("/v1/features", (CatalogEndpoints endpoints) => endpoints.GetAll())
            .WithName("GetCatalog")
            .WithTags(CatalogTag)
            .WithSummary("The loaded catalog: settings, entities, and every feature")
            .Returns<CatalogResponse>("The catalog: where it was loaded from, its version, settings, entities and every feature as declared with its version.");

        app.MapGet("/v1/features/{name}", ([Description(FeatureDescription)] string name, CatalogEndpoints endpoints) => endpoints.GetOne(name))
            .WithName("GetFeature")
            .WithTags(CatalogTag)
            .WithSummary("One feature as declared, with its version")
            .Returns<FeatureDto>("The feature as declared, its tile ladder, version (changes with any part of the definition) and state_version.")
            .WithProblem(StatusCodes.Status404NotFound, UnknownFeature);

        app.MapGet("/v1/stats", (HealthEndpoints endpoints) => endpoints.Stats())
            .WithName("GetStats")
            .WithTags(OperationsTag)
            .WithSummary("Counters since start: accepted, duplicates, rejected by reason, shard progress")
            .Returns<StatsResponse>("Counters since start, the dedup window, ingest admission, the event log (absent in memory) and each shard's progress.");

        app.MapGet("/v1/models", (ModelEndpoints endpoints) => endpoints.GetAll())
            .WithName("GetModels")
            .WithTags(ModelsTag)
            .WithSummary("Models learned from the stream and their live quality")
            .WithDescription("Click models: exposures scored, FTRL updates, the label join (positives, negatives, labels final, pending) and the progressive quality of the scores served at each exposure (log loss, AUC, normalized entropy, calibration) beside the constant rate's, over the exposures whose attribution window has closed. Recommenders: users, items and interactions.")
            .Returns<ModelsResponse>("Every model declared with serve --models (none: an empty list) and the learner's counters.");
        app.MapPost("/v1/models/flush", (HttpRequest request, ModelEndpoints endpoints, CancellationToken ct) => endpoints.FlushAsync(request, ct))
            .WithName("FlushModels")
            .WithTags(ModelsTag)
            .WithSummary("Wait for the models to learn what was accepted; optionally close every attribution window")
            .WithDescription("Waits until the models have learned every event accepted before the request (timeout, default 60s, at most 10m), then, with "
                + "close_windows=true (the end of a stream, e.g. of a replay), closes every open attribution window: exposures without an outcome get "
                + "their final negative label, so the click models' figures cover every exposure. Answers the figures as GET /v1/models does; 503 "
                + "learners-behind when the timeout passed first.")
            .WithQuery(ModelEndpoints.FlushQuery)
            .WithoutBody()
            .Returns<ModelsResponse>("The models' figures once they have learned every event accepted before the request (and, with close_windows, with every window closed).")
            .WithProblem(StatusCodes.Status400BadRequest, "close_windows is not true or false, or timeout is not a duration within 10m (bad-parameter, naming it).")
            .WithProblem(StatusCodes.Status503ServiceUnavailable, "The learners had not caught up when the timeout passed (learners-behind); retry the flush.");
        app.MapPost("/v1/score", (HttpRequest request, ModelEndpoints endpoints, CancellationToken ct) => endpoints.ScoreAsync(request, ct))
            .WithName("Score")
            .WithTags(ModelsTag)
            .WithSummary("Rank candidates by a click model's probability")
            .WithDescription("Body: {\"model\": \"clicks\", \"context\": {\"user\": \"u1\"}, \"candidates\": [{\"item\": \"i1\", \"category\": \"c\"}]}. Each candidate's fields override the context's; the answer lists them most likely first, with their index in the request.")
            // The endpoint reads the body itself (to say where malformed JSON went wrong); this describes it for OpenAPI.
            .Accepts<ScoreRequest>("application/json")
            .Returns<ScoreResponse>("The candidates, most likely first, each with its index in the request, probability and fields.")
            .WithProblem(StatusCodes.Status400BadRequest, "The body is not JSON (malformed-json, with line, byte_in_line and path), or has no candidates "
                + "or more than the server allows (bad-parameter).")
            .WithProblem(StatusCodes.Status404NotFound, "No click model of that name (unknown-model, with known_models).")
            .WithProblem(StatusCodes.Status413PayloadTooLarge, "The body is over the server's --max-body.")
            .WithProblem(StatusCodes.Status415UnsupportedMediaType, "The body is not declared application/json (unsupported-media-type).");
        app.MapGet("/v1/recommend", (HttpRequest request, ModelEndpoints endpoints) => endpoints.Recommend(request))
            .WithName("Recommend")
            .WithTags(ModelsTag)
            .WithSummary("Items for a user from a recommender")
            .WithDescription("The k best items the user has not interacted with, by the real-time factorization; a user never seen gets the most popular ones.")
            .WithQuery(ModelEndpoints.RecommendQuery)
            .Returns<RecommendResponse>("The items, best first, with their scores.")
            .WithProblem(StatusCodes.Status400BadRequest, "No user, or k is not a whole number from 1 to 1000 (bad-parameter).")
            .WithProblem(StatusCodes.Status404NotFound, "No recommender of that name (unknown-model, with known_models).");
        app.MapGet("/v1/similar", (HttpRequest request, ModelEndpoints endpoints) => endpoints.Similar(request))
            .WithName("Similar")
            .WithTags(ModelsTag)
            .WithSummary("Items like an item from a recommender")
            .WithDescription("The k items whose factors are closest (cosine) to the item's.")
            .WithQuery(ModelEndpoints.SimilarQuery)
            .Returns<RecommendResponse>("The items, most similar first, with their cosine similarity.")
            .WithProblem(StatusCodes.Status400BadRequest, "No item, or k is not a whole number from 1 to 1000 (bad-parameter).")
            .WithProblem(StatusCodes.Status404NotFound, "No recommender of that name (unknown-model), or an item it has not seen (unknown-item).");
        app.MapGet("/healthz", HealthEndpoints.Live)
            .WithName("Live")
            .WithTags(OperationsTag)
            .WithSummary("Liveness: the process answers")
            .Returns<HealthResponse>("The process answers: {\"status\": \"ok\"}.");

        app.MapGet("/readyz", (HealthEndpoints endpoints) => endpoints.Ready())
            .WithName("Ready")
            .WithTags(OperationsTag)
            .WithSummary("Readiness: 200 when taking traffic, 503 while stopping or while shard queues are full")
            .Returns<ReadyResponse>("Ready: the server takes traffic.")
            .Returns<ReadyResponse>("Not ready, and the reason: stopping, the event log cannot be written, or the shard queues are full.", StatusCodes.Status503ServiceUnavailable);
    }

    private const string FeaturesTag = "Features";

    private const string CatalogTag = "Catalog";

    private const string ModelsTag = "Models";

    private const string OperationsTag = "Operations";

    private const string EntityDescription = "An entity, as named in the definitions (item, user, user_category…).";

    private const string FeatureDescription = "A feature, as named in the definitions.";

    private const string UnknownFeature = "No such feature (unknown-feature, with known_features).";

    private const string ReadBadRequest = "A parameter does not parse or is out of range (bad-parameter, naming it), a window is not one the feature "
        + "keeps (bad-window), or the key has the wrong number of parts (bad-key).";

    private const string ReadUnprocessable = "The as-of time is after now or before the oldest tile kept, or too many buckets (out-of-range), "
        + "or the feature cannot answer this query (not-supported).";
}

/// <summary>A started server: where it listens, and how to stop it.</summary>
public sealed class RunningServer(WebApplication app, Uri baseAddress) : IAsyncDisposable
{
    /// <summary>The address it listens on, ending in '/', e.g. <c>http://127.0.0.1:7700/</c>.</summary>
    public Uri BaseAddress { get; } = baseAddress;

    public WebApplication App { get; } = app;

    /// <summary>The models learning from the stream and their live figures, as <c>GET /v1/models</c> answers (no models: an empty list).</summary>
    public ModelsResponse Models() => ModelsResponseMapper.ToResponse(_learning.Figures());

    /// <summary>Resolved while the server runs, so the figures can still be read after it stopped (for a summary).</summary>
    private readonly LearningHost _learning = app.Services.GetRequiredService<LearningHost>();

    /// <summary>Stops taking requests, finishes the ones in flight, and releases the port.</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
