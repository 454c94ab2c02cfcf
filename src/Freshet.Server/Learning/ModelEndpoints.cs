using System.Text.Json;
using Freshet.Contracts;
using Freshet.Learning.Hosting;
using Freshet.Learning.Pipeline;
using Freshet.Server.Serving;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Learning;

/// <summary>The models learned from the stream: their live figures, ranking candidates, recommendations and similar items.</summary>
internal sealed class ModelEndpoints(LearningHost learning, ServerOptions options)
{
    private static readonly Dictionary<string, string> EmptyFields = [];

    private static readonly ApiDescription.QueryParameter ModelParameter = new("model", ApiDescription.QueryValue.Text,
        "The recommender model, by its name in the models file (404 unknown-model otherwise).", "M") { Required = true };

    private static readonly ApiDescription.QueryParameter KParameter = new("k", ApiDescription.QueryValue.Integer, "How many items.", "10")
    {
        Default = "10",
        Minimum = 1,
        Maximum = 1000,
    };

    /// <summary>What <see cref="Recommend"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] RecommendQuery =
    [
        ModelParameter,
        new("user", ApiDescription.QueryValue.Text, "The user to recommend for; a user never seen gets the most popular items.", "U") { Required = true },
        KParameter,
    ];

    /// <summary>What <see cref="Similar"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] SimilarQuery =
    [
        ModelParameter,
        new("item", ApiDescription.QueryValue.Text, "The item to find similar items for (404 unknown-item when the model has not seen it).", "I") { Required = true },
        KParameter,
    ];

    /// <summary>What <see cref="FlushAsync"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] FlushQuery =
    [
        new("close_windows", ApiDescription.QueryValue.Boolean, "Close every open attribution window once the models have caught up (the stream has ended): exposures without an outcome get their final negative label.", "true") { Default = "false" },
        new("timeout", ApiDescription.QueryValue.Window, "How long to wait for the learners before answering 503 learners-behind; at most 10m.", "60s") { Default = "60s" },
    ];

    public IResult GetAll() => TypedResults.Json(ModelsResponseMapper.ToResponse(learning.Figures()), ServerJsonContext.Default.ModelsResponse);

    /// <summary>How long <c>POST /v1/models/flush</c> waits for the learner unless told otherwise, and at most.</summary>
    private static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(60), MaxFlushTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// <c>POST /v1/models/flush[?close_windows=true][&amp;timeout=60s]</c>: waits until the models have learned every
    /// event accepted before the request and, with <c>close_windows</c>, closes every open attribution window (the
    /// stream has ended); answers the models' figures as <c>GET /v1/models</c> does, or 503 when the timeout passed first.
    /// </summary>
    public async Task<IResult> FlushAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        string? closeText = request.Query["close_windows"].FirstOrDefault();
        bool closeWindows = false;
        if (closeText is not null && !bool.TryParse(closeText, out closeWindows))
        {
            return Problems.Problems.BadParameter("close_windows", $"close_windows: '{closeText}' is not true or false");
        }

        var timeout = DefaultFlushTimeout;
        string? timeoutText = request.Query["timeout"].FirstOrDefault();
        if (timeoutText is not null)
        {
            if (!Time.Duration.TryParse(timeoutText, out long ms) || ms <= 0 || ms > (long)MaxFlushTimeout.TotalMilliseconds)
            {
                return Problems.Problems.BadParameter("timeout",
                    $"timeout: '{timeoutText}' is not a duration from 1ms to {Time.Duration.Format((long)MaxFlushTimeout.TotalMilliseconds)}; write {Time.Duration.Syntax}");
            }

            timeout = TimeSpan.FromMilliseconds(ms);
        }

        if (!await learning.FlushAsync(closeWindows, timeout, cancellationToken).ConfigureAwait(false))
        {
            var figures = ModelsResponseMapper.ToResponse(learning.Figures());
            return Problems.Problems.Of(StatusCodes.Status503ServiceUnavailable, "learners-behind", "Learners behind",
                $"the models had not learned the events accepted before this request within {Time.Duration.Format((long)timeout.TotalMilliseconds)} "
                + $"({figures.EventsLearned:N0} learned so far); retry, with a longer timeout",
                [new("events_learned", figures.EventsLearned)]);
        }

        return TypedResults.Json(ModelsResponseMapper.ToResponse(learning.Figures()), ServerJsonContext.Default.ModelsResponse);
    }

    public async Task<IResult> ScoreAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ScoreRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, ServerJsonContext.Default.ScoreRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            // The serializer knows where it stopped and what it expected; say both instead of a bare 400.
            return Problems.Problems.Of(StatusCodes.Status400BadRequest, "malformed-json", "Malformed JSON",
                $"the body is not a valid score request: {Problems.JsonErrors.Describe(e)}; send {ScoreExample}",
                [new("line", (e.LineNumber ?? 0) + 1), new("byte_in_line", (e.BytePositionInLine ?? 0) + 1), new("path", e.Path)]);
        }

        return Score(body);
    }

    private const string ScoreExample = "{\"model\": \"clicks\", \"context\": {\"user\": \"u1\"}, \"candidates\": [{\"item\": \"i1\"}, …]}";

    public IResult Score(ScoreRequest? body)
    {
        if (body is null)
        {
            return Problems.Problems.BadParameter("body", $"send a JSON object: {ScoreExample}");
        }

        var model = learning.ClickModels.FirstOrDefault(m => m.Definition.Name == body.Model);
        if (model is null)
        {
            return UnknownModel(body.Model, learning.ClickModels.Select(m => m.Definition.Name), "click");
        }

        if (body.Candidates is not { Count: > 0 } candidates)
        {
            return Problems.Problems.BadParameter("candidates", "'candidates' must be a non-empty list of objects of field values, e.g. [{\"item\": \"i1\", \"category\": \"shoes\"}]");
        }

        if (candidates.Count > options.MaxScoreCandidates)
        {
            return Problems.Problems.BadParameter("candidates", $"{candidates.Count} candidates; at most {options.MaxScoreCandidates} per request");
        }

        var probabilities = model.Score(body.Context, candidates);
        var scored = new List<ScoredCandidate>(candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
        {
            scored.Add(new ScoredCandidate(i, probabilities[i], candidates[i] ?? EmptyFields));
        }

        scored.Sort((a, b) => b.Probability != a.Probability ? b.Probability.CompareTo(a.Probability) : a.Index.CompareTo(b.Index));
        return TypedResults.Json(new ScoreResponse(model.Definition.Name, scored), ServerJsonContext.Default.ScoreResponse);
    }

    public IResult Recommend(HttpRequest request)
    {
        if (!TryRecommender(request, out var recommender, out var k, out var problem))
        {
            return problem;
        }

        string? user = request.Query["user"].FirstOrDefault();
        if (string.IsNullOrEmpty(user))
        {
            return Problems.Problems.BadParameter("user", "'user' is required: the user to recommend for (a user never seen gets the most popular items)");
        }

        var items = recommender.Recommend(user, k).Select(r => new RecommendedItem(r.Item, r.Score)).ToList();
        return TypedResults.Json(new RecommendResponse(recommender.Definition.Name, user, null, items), ServerJsonContext.Default.RecommendResponse);
    }

    public IResult Similar(HttpRequest request)
    {
        if (!TryRecommender(request, out var recommender, out var k, out var problem))
        {
            return problem;
        }

        string? item = request.Query["item"].FirstOrDefault();
        if (string.IsNullOrEmpty(item))
        {
            return Problems.Problems.BadParameter("item", "'item' is required: the item to find similar items for");
        }

        if (recommender.Similar(item, k) is not { } similar)
        {
            return Problems.Problems.Of(StatusCodes.Status404NotFound, "unknown-item", "Unknown item",
                $"model '{recommender.Definition.Name}' has not seen item '{item}' yet", [new("item", item)]);
        }

        var items = similar.Select(r => new RecommendedItem(r.Item, r.Score)).ToList();
        return TypedResults.Json(new RecommendResponse(recommender.Definition.Name, null, item, items), ServerJsonContext.Default.RecommendResponse);
    }

    private bool TryRecommender(HttpRequest request, out Recommender recommender, out int k, out IResult problem)
    {
        string? name = request.Query["model"].FirstOrDefault();
        recommender = learning.Recommenders.FirstOrDefault(r => r.Definition.Name == name)!;
        k = 10;
        if (recommender is null)
        {
            problem = UnknownModel(name, learning.Recommenders.Select(r => r.Definition.Name), "recommender");
            return false;
        }

        if (!QueryArgs.TryInt("k", request.Query["k"].FirstOrDefault(), 1, 1000, out int? asked, out var bad))
        {
            problem = bad;
            return false;
        }

        k = asked ?? 10;
        problem = null!;
        return true;
    }

    private static IResult UnknownModel(string? name, IEnumerable<string> known, string kind)
    {
        var names = known.ToArray();
        return Problems.Problems.Of(StatusCodes.Status404NotFound, "unknown-model", "Unknown model",
            name is null
                ? $"name the {kind} model ('model'); {kind} models: {(names.Length == 0 ? "none (serve --models FILE declares them)" : string.Join(", ", names))}"
                : $"unknown {kind} model '{name}'; {kind} models: {(names.Length == 0 ? "none (serve --models FILE declares them)" : string.Join(", ", names))}",
            [new("known_models", names)]);
    }

}
