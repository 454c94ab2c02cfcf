using System.Collections.Concurrent;
using System.Text.Json;
using Freshet.Contracts;
using Freshet.Events;
using Freshet.Seams;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Ingest;

/// <summary>
/// <c>POST /v1/events</c>: reads the body (JSON array or NDJSON, optionally gzip) into a pooled buffer, parses it
/// straight into an event batch and hands the batch to the router (<see cref="IEventRouter"/>). Every valid event is kept; each rejected one is
/// reported by its position in the request. Status: 200 when nothing was rejected; 400 when some of the body is not
/// JSON; 422 when it is JSON but some events break a rule (the valid events of the same request are accepted either
/// way, and the response says how many); 408, 413, 415 (encoding), 429 and 503 refuse the whole request before anything
/// is taken. The content type is checked for every endpoint by <see cref="Hosting.RequestGuards"/>.
/// </summary>
internal sealed class EventsEndpoint(IEventRouter router, Health.StorageStatsSource storage, ServerOptions options, Freshet.Learning.Hosting.LearningHost learning)
{
    /// <summary>The query parameter, bound by the framework (described here for the API).</summary>
    public static readonly ApiDescription.QueryParameter[] Query =
    [
        new("wait", ApiDescription.QueryValue.Choice,
            "true: answer only once the accepted events are visible to queries (read-your-writes); learned: also once the models "
            + "have learned them (GET /v1/models then shows their effect). 504 not-yet-visible / not-yet-learned when that takes over 30 s.", "true")
        {
            Default = "false",
            Choices = ["false", "true", "learned"],
        },
    ];

    /// <summary>Rejections listed one by one in a response; the count covers the rest.</summary>
    private const int MaxListedRejections = 1000;

    /// <summary>Largest batch (in events) whose scratch is returned to the pool.</summary>
    private const int PooledBatchEventsMax = 64 * 1024;

    // Parsers and batches are reused across requests (a parser is single-threaded; a batch keeps its arrays).
    private readonly ConcurrentBag<Scratch> _scratch = [];

    // The body is read first, without a permit, so bytes not yet received never hold one: a client that trickles its
    // upload costs only its own buffer (bounded by the body budget) until Kestrel's minimum data rate or the read
    // timeout cuts it off. Then at most MaxConcurrentIngests requests parse and ingest at once and as many wait for a
    // turn, their bodies already read; the rest get 429. (A SemaphoreSlim rather than ASP.NET Core's rate-limiting
    // middleware: the endpoint then decides, and answers with its own problem document.)
    private readonly SemaphoreSlim _permits = new(options.MaxConcurrentIngests, options.MaxConcurrentIngests);
    private readonly BodyBudget _budget = new(Math.Max(options.MaxBufferedBodyBytes, BodyBudget.MinimumFor(options.MaxBodyBytes)));
    private int _waiting;
    private int _inProgress;
    private long _refusedTooMany;
    private long _refusedOverloaded;
    private long _refusedSlow;

    /// <summary>What admission is doing now and has refused since start (for <c>/v1/stats</c>).</summary>
    public IngestAdmission Admission => new(
        Volatile.Read(ref _inProgress), Volatile.Read(ref _waiting), options.MaxConcurrentIngests,
        Interlocked.Read(ref _refusedTooMany), Interlocked.Read(ref _refusedOverloaded),
        _budget.Reading, _budget.UsedBytes, _budget.LimitBytes, Interlocked.Read(ref _refusedSlow));

    /// <summary>What <c>?wait=</c> asks for before the answer.</summary>
    internal enum WaitFor
    {
        Durable,
        Visible,
        Learned,
    }

    /// <summary>Reads <c>?wait=</c>: false (the default), true (visible to queries) or learned (and learned by the models).</summary>
    public static bool TryParseWait(string? text, out WaitFor wait)
    {
        (bool known, wait) = text?.ToLowerInvariant() switch
        {
            null or "" or "false" => (true, WaitFor.Durable),
            "true" => (true, WaitFor.Visible),
            "learned" => (true, WaitFor.Learned),
            _ => (false, WaitFor.Durable),
        };
        return known;
    }

    public async Task<IResult> HandleAsync(HttpContext http, string? waitText, CancellationToken cancellationToken)
    {
        if (!TryParseWait(waitText, out var wait))
        {
            return Problems.Problems.BadParameter("wait", $"wait: '{waitText}' is not false, true (visible to queries) or learned (and learned by the models)");
        }

        if (router.Failure is { } failure)
        {
            return Problems.Problems.StorageFailed(failure, storage.DataDirectory);
        }

        // Shed load before reading the body: a full shard queue means the engine is behind, and holding the request
        // would only hold its memory too.
        if (router.IsSaturated)
        {
            Interlocked.Increment(ref _refusedOverloaded);
            return Problems.Problems.Overloaded(http, StatusCodes.Status503ServiceUnavailable,
                "the engine's shard queues are full; retry after the Retry-After delay (events with ids are safe to resend)", options.RetryAfterSeconds);
        }

        var (body, error, detail) = await RequestBodyReader.ReadAsync(http.Request, options.MaxBodyBytes, _budget, options.BodyReadTimeout, cancellationToken)
            .ConfigureAwait(false);
        if (Refusal(http, error, detail) is { } refused)
        {
            return refused;
        }

        Ingested ingested;
        using (body)
        {
            if (!_permits.Wait(0, CancellationToken.None))
            {
                if (Interlocked.Increment(ref _waiting) > options.MaxConcurrentIngests)
                {
                    Interlocked.Decrement(ref _waiting);
                    Interlocked.Increment(ref _refusedTooMany);
                    return Problems.Problems.Overloaded(http, StatusCodes.Status429TooManyRequests,
                        $"{options.MaxConcurrentIngests} ingest requests are being processed and as many are waiting; retry after the Retry-After delay",
                        options.RetryAfterSeconds);
                }

                try
                {
                    await _permits.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _waiting);
                }
            }

            Interlocked.Increment(ref _inProgress);
            try
            {
                ingested = Ingest(http, body);
            }
            finally
            {
                Interlocked.Decrement(ref _inProgress);
                _permits.Release();
            }
        }

        // Waiting for the log to be safe holds no permit and no buffer: more requests can join the same group commit.
        return ingested.Answer ?? await AnswerAsync(ingested, wait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The problem document for a body that could not be read, or null when it was.</summary>
    private IResult? Refusal(HttpContext http, BodyError error, string? detail)
    {
        switch (error)
        {
            case BodyError.None:
                return null;
            case BodyError.TooLarge:
                return Problems.Problems.Of(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Body too large", detail!,
                    [new("max_bytes", options.MaxBodyBytes)]);
            case BodyError.UnsupportedEncoding:
                return Problems.Problems.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-encoding", "Unsupported content encoding", detail!);
            case BodyError.BadGzip:
                return Problems.Problems.Of(StatusCodes.Status400BadRequest, "bad-gzip", "Body is not valid gzip", detail!);
            case BodyError.BadFraming:
                return Problems.Problems.Of(StatusCodes.Status400BadRequest, "bad-framing", "Malformed request body", detail!);
            case BodyError.TimedOut:
                Interlocked.Increment(ref _refusedSlow);

                // The rest of the body is not worth waiting for: the connection closes after this answer.
                http.Response.Headers.Connection = "close";
                return Problems.Problems.Of(StatusCodes.Status408RequestTimeout, "body-timeout", "Body too slow", detail!,
                    [new("min_bytes_per_second", options.BodyMinBytesPerSecond), new("read_timeout_seconds", options.BodyReadTimeout.TotalSeconds)]);
            default:
                Interlocked.Increment(ref _refusedTooMany);
                return Problems.Problems.Overloaded(http, StatusCodes.Status429TooManyRequests, detail!, options.RetryAfterSeconds);
        }
    }

    /// <summary>The answer to a request the engine took: after its events are durable (and, with ?wait=true, visible).</summary>
    private async Task<IResult> AnswerAsync(Ingested ingested, WaitFor wait, CancellationToken cancellationToken)
    {
        var result = ingested.Result!;
        try
        {
            // Acknowledge only what the durability policy calls safe (immediately for an in-memory engine).
            await router.WaitDurableAsync(result).ConfigureAwait(false);
        }
        catch (Exception storageError) when (IsLogFailure(storageError))
        {
            return Problems.Problems.StorageFailed(storageError, storage.DataDirectory, ingested.EventCount);
        }

        if (wait != WaitFor.Durable && result.Accepted > 0
            && !await router.WaitAppliedAsync(result.Sequence, options.VisibleTimeout, cancellationToken).ConfigureAwait(false))
        {
            return Problems.Problems.Of(StatusCodes.Status504GatewayTimeout, "not-yet-visible", "Accepted, not yet visible",
                $"the {result.Accepted} accepted events were not visible to queries within {options.VisibleTimeout.TotalSeconds:0} s; they are kept and will be",
                [new("accepted", result.Accepted), new("duplicates", result.Duplicates), new("sequence", result.Sequence)]);
        }

        // The learner queued this request's events while the engine took them, so a flush behind them waits for them
        // (and for anything accepted before); no models: nothing to wait for.
        if (wait == WaitFor.Learned && result.Accepted > 0
            && !await learning.FlushAsync(closeWindows: false, options.VisibleTimeout, cancellationToken).ConfigureAwait(false))
        {
            return Problems.Problems.Of(StatusCodes.Status504GatewayTimeout, "not-yet-learned", "Accepted and visible, not yet learned",
                $"the models had not learned the {result.Accepted} accepted events within {options.VisibleTimeout.TotalSeconds:0} s; they are kept and will be (GET /v1/models: learned_through)",
                [new("accepted", result.Accepted), new("duplicates", result.Duplicates), new("sequence", result.Sequence)]);
        }

        if (ingested.Rejected!.Count == 0)
        {
            return TypedResults.Json(new IngestResponse(result.Accepted, result.Duplicates, [], result.Sequence), ServerJsonContext.Default.IngestResponse);
        }

        return Rejected(result.Accepted, result.Duplicates, result.Sequence, ingested.Rejected);
    }

    /// <summary>Either an answer already (the request was refused), or what the engine took and what it rejected.</summary>
    private readonly record struct Ingested(IResult? Answer, IngestResult? Result = null, List<RejectedEvent>? Rejected = null, int EventCount = 0);

    /// <summary>Parses a body that was read in full and hands its events to the engine; runs under an ingest permit.</summary>
    private Ingested Ingest(HttpContext http, RequestBody body)
    {
        var scratch = _scratch.TryTake(out var s) ? s : new Scratch(router.Strings);
        try
        {
            if (IsBlank(body.Span))
            {
                return new Ingested(Problems.Problems.Of(StatusCodes.Status400BadRequest, "empty-body", "Empty body",
                    "the body has no events; send a JSON array of event objects or one object per line (NDJSON)"));
            }

            scratch.Parser.Parse(body.Span, scratch.Batch, scratch.Errors);

            IngestResult result;
            try
            {
                result = router.Ingest(scratch.Batch);
            }
            catch (Exception storageError) when (IsLogFailure(storageError))
            {
                return new Ingested(Problems.Problems.StorageFailed(storageError, storage.DataDirectory, scratch.Batch.Count));
            }

            if (result.Refused is { } refusal)
            {
                // The dedup window's budget is full inside its horizon: nothing was taken, so the client resends later.
                return new Ingested(Problems.Problems.Overloaded(http, StatusCodes.Status503ServiceUnavailable, refusal.Message,
                    (int)Math.Min(int.MaxValue, (refusal.RetryAfterMs + 999) / 1000)));
            }

            router.CountRejected(scratch.Errors);
            return new Ingested(null, result, Merge(scratch.Errors, result.Rejected), scratch.Batch.Count);
        }
        finally
        {
            // A scratch that grew for an unusually large request is left to the GC rather than pooled, so the pool
            // holds typical requests' worth of memory, not the largest ever seen.
            if (scratch.Batch.Count <= PooledBatchEventsMax)
            {
                scratch.Reset();
                _scratch.Add(scratch);
            }
        }
    }

    /// <summary>Whether <paramref name="error"/> says the log failed (the embedded log's exception, or the router's failure), not a bug.</summary>
    private bool IsLogFailure(Exception error) => error is Engine.Storage.StorageException || ReferenceEquals(error, router.Failure);

    private static IResult Rejected(int accepted, int duplicates, long sequence, List<RejectedEvent> rejected)
    {
        bool malformed = rejected.Any(r => r.Reason is "malformed_json" or "not_an_object");
        int total = accepted + duplicates + rejected.Count;
        var listed = rejected.Count > MaxListedRejections ? rejected.GetRange(0, MaxListedRejections) : rejected;
        string first = rejected[0].Message;
        string detail = accepted + duplicates == 0
            ? $"none of the {total} events was accepted; the first problem: event {rejected[0].Index}: {first}"
            : $"{rejected.Count} of {total} events were rejected and the other {accepted + duplicates} were accepted; the first problem: event {rejected[0].Index}: {first}";
        return Problems.Problems.Of(
            malformed ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity,
            "rejected-events",
            malformed ? "Some of the body is not valid JSON" : "Some events were rejected",
            detail,
            [
                new("accepted", accepted),
                new("duplicates", duplicates),
                new("rejected_count", rejected.Count),
                new("rejected", listed),
                new("sequence", sequence),
            ]);
    }

    private static List<RejectedEvent> Merge(List<EventError> parsed, IReadOnlyList<EventError> ingested)
    {
        var all = new List<RejectedEvent>(parsed.Count + ingested.Count);
        foreach (var e in parsed)
        {
            all.Add(ToDto(e));
        }

        foreach (var e in ingested)
        {
            all.Add(ToDto(e));
        }

        all.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return all;
    }

    private static RejectedEvent ToDto(EventError e) => new(e.Index, ReasonCode(e.Reason), e.Field, e.Message);

    /// <summary>The reason's code in responses and stats: <c>MissingType</c> → <c>missing_type</c>.</summary>
    public static string ReasonCode(EventRejectReason reason) => JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    private static bool IsBlank(ReadOnlySpan<byte> utf8)
    {
        foreach (byte b in utf8)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Ingest requests parsed and ingested now, waiting for a turn (body read), the limit of each, refusals since start,
    /// and the bodies being received with the bytes their buffers hold against the budget.
    /// </summary>
    public readonly record struct IngestAdmission(int InProgress, int Waiting, int Limit, long RefusedTooManyRequests, long RefusedOverloaded,
        int Reading, long BufferedBytes, long BufferedBytesLimit, long RefusedSlow);

    private sealed class Scratch(StringInterner strings)
    {
        public EventJsonParser Parser { get; } = new(strings);

        public EventBatch Batch { get; } = new(4096);

        public List<EventError> Errors { get; } = [];

        public void Reset()
        {
            Batch.Clear();
            Errors.Clear();
        }
    }
}
