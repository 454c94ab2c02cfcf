using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Freshet.Files.Mapping;
using Freshet.Time;

namespace Freshet.Cli.Replay;

/// <summary>The server's settings that matter to a replay, from <c>GET /v1/features</c>.</summary>
internal sealed record ServerInfo(string Clock, long AllowedLatenessMs, long? NowMs)
{
    public bool WallClock => Clock == "wall";
}

internal sealed partial class ServerTarget
{
    /// <summary>Consecutive failures to connect (or to get an answer) before a request is given up.</summary>
    private const int MaxConnectAttempts = 8;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    /// <summary>How long one batch may keep being refused as overloaded before the replay gives up.</summary>
    private static readonly TimeSpan MaxOverloaded = TimeSpan.FromMinutes(2);

    private static readonly MediaTypeHeaderValue Ndjson = new("application/x-ndjson");

    /// <summary>Asks the server for its settings; the error says what went wrong when it cannot be reached.</summary>
    public static async Task<(ServerTarget? Target, string? Error)> ConnectAsync(ServerTargetOptions options, FieldNameTable names,
        ReplayCounters counters, CancellationToken cancellationToken)
    {
        var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxInFlight + 1,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            BaseAddress = options.Server,
            Timeout = TimeSpan.FromMinutes(2),
        };
        try
        {
            using var response = await http.GetAsync("v1/features", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                http.Dispose();
                return (null, $"{options.Server} answered GET /v1/features with {(int)response.StatusCode} {response.ReasonPhrase}: is it a Freshet server?");
            }

            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
            var root = document.RootElement;
            string clock = root.TryGetProperty("clock", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "event_time";
            long lateness = root.TryGetProperty("allowed_lateness", out var l) && l.ValueKind == JsonValueKind.String
                && Duration.TryParse(l.GetString(), out long ms) ? ms : 0;
            long? now = root.TryGetProperty("now", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : null;
            return (new ServerTarget(options, names, counters, http, new ServerInfo(clock, lateness, now)), null);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            http.Dispose();
            return (null, $"cannot reach the Freshet server at {options.Server}: {Reason(e)} (is `freshet serve` running there?)");
        }
    }

    /// <summary>Posts events <paramref name="first"/>..+<paramref name="count"/> of a batch until the server answers for them.</summary>
    private async Task PostAsync(OutgoingBatch batch, int first, int count, bool wait, CancellationToken cancellationToken)
    {
        var body = Encode(batch.Body(first, count));
        var overloadedSince = DateTime.UtcNow;
        int failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HttpStatusCode status;
            TimeSpan retryAfter;
            byte[] answer;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, wait ? "v1/events?wait=true" : "v1/events") { Content = Content(body) };
                _counters.Request();
                using var response = await _http.SendAsync(request, cancellationToken);
                status = response.StatusCode;
                retryAfter = RetryAfter(response);
                // Reading the answer is part of the exchange: a connection lost here is retried like one lost sending.
                answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (++failures >= MaxConnectAttempts)
                {
                    throw new ReplayFailedException($"the server at {_options.Server} did not answer {failures} times in a row: {Reason(e)}");
                }

                _counters.Retry();
                await Task.Delay(Backoff(failures), cancellationToken);
                continue;
            }

            failures = 0;
            if (status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                if (DateTime.UtcNow - overloadedSince > MaxOverloaded)
                {
                    throw new ReplayFailedException($"the server stayed overloaded ({(int)status}) for {MaxOverloaded.TotalMinutes:0} minutes");
                }

                _counters.Retry();
                await Task.Delay(retryAfter, cancellationToken);
                continue;
            }

            if (status == HttpStatusCode.RequestEntityTooLarge && count > 1)
            {
                // Too big for this server's limit: send the halves, each answered for its own events.
                int half = count / 2;
                await PostAsync(batch, first, half, wait: false, cancellationToken);
                await PostAsync(batch, first + half, count - half, wait, cancellationToken);
                return;
            }

            Answer(batch, first, count, status, answer);
            return;
        }
    }

    /// <summary>
    /// Counts what the server said about the events it was sent: 200 took them all; 400 and 422 list the rejected ones
    /// (the others were taken); 504 took them but could not show them in time; 413 for a single event rejects that
    /// event. Anything else means the server will not take these events at all, and the replay stops.
    /// </summary>
    private void Answer(OutgoingBatch batch, int first, int count, HttpStatusCode status, byte[] body)
    {
        var reply = IngestReply.TryParse(body);
        bool answered = status switch
        {
            HttpStatusCode.OK or HttpStatusCode.GatewayTimeout => reply is not null,
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => reply?.Rejected is not null,
            _ => false,
        };
        if (!answered || reply is null)
        {
            if (status == HttpStatusCode.RequestEntityTooLarge)
            {
                _counters.Answered(count, 0, 0);
                _counters.RejectByTarget(new Rejection(batch.LineOf(first), "too_large", $"the event alone is larger than the server takes: {reply?.Detail}"));
                return;
            }

            throw new ReplayFailedException($"the server refused the events: {(int)status} {reply?.Title ?? status.ToString()}"
                + (reply?.Detail is { } detail ? $": {detail}" : ""));
        }

        _counters.Answered(count, reply.Accepted, reply.Duplicates);
        int listed = 0;
        foreach (var rejected in reply.Rejected ?? [])
        {
            long line = rejected.Index >= 0 && rejected.Index < count ? batch.LineOf(first + rejected.Index) : 0;
            _counters.RejectByTarget(new Rejection(line, rejected.Reason, rejected.Message));
            listed++;
        }

        _counters.RejectUnlisted(reply.RejectedCount - listed);
        if (status == HttpStatusCode.GatewayTimeout)
        {
            NotVisible = reply.Detail;
        }
    }

    /// <summary>Set when the server took the last batch but could not say it was visible in time (504).</summary>
    public string? NotVisible { get; private set; }

    private ReadOnlyMemory<byte> Encode(ReadOnlyMemory<byte> ndjson)
    {
        if (!_options.Gzip)
        {
            return ndjson;
        }

        using var compressed = new MemoryStream(ndjson.Length / 4);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(ndjson.Span);
        }

        return compressed.GetBuffer().AsMemory(0, (int)compressed.Length);
    }

    private ReadOnlyMemoryContent Content(ReadOnlyMemory<byte> body)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = Ndjson;
        if (_options.Gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return content;
    }

    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        var delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(1));
        return delay < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : delay > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : delay;
    }

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, failures)));

    private static string Reason(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound => "no such host",
            SocketError.TimedOut => "timed out",
            _ => s.Message,
        },
        TaskCanceledException => "no answer in time",
        _ => e.Message,
    };
}
