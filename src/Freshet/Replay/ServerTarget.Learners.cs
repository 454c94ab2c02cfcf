using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Freshet.Cli.Replay;

/// <summary>
/// What became of the replayed events in the server's models: how far the learner was behind when the last event was
/// answered (<see cref="LagAtEnd"/>), whether the replay then waited until it had learned them, how long that took,
/// what is still not learned (<see cref="Remaining"/>), and events the models skipped during the replay (the learner
/// fell a whole queue behind). <see cref="WindowsClosed"/>: null when the replay left the attribution windows open,
/// otherwise what closing them at the end of the stream gave ("closed", or why not).
/// </summary>
internal sealed record LearnerReport(int Models, long LagAtEnd, bool Waited, TimeSpan WaitTime, long Remaining, long Skipped, string? GaveUp)
{
    public string? WindowsClosed { get; init; }
}

internal sealed partial class ServerTarget
{
    /// <summary>How long the learner may make no progress at all before the replay stops waiting for it.</summary>
    private static readonly TimeSpan MaxLearnerStall = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan LearnerPollInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan LearnerLineInterval = TimeSpan.FromSeconds(1);

    /// <summary>The learner's figures when the replay started (null: the server has no models, or does not say).</summary>
    private LearnerPosition? _learnersAtStart;

    /// <summary>The server's models and learner positions, from <c>GET /v1/models</c>; null when it has no models.</summary>
    private async Task<LearnerPosition?> ReadLearnersAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("v1/models", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null; // A server without the model endpoints.
        }

        response.EnsureSuccessStatusCode();
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        var root = document.RootElement;
        int models = root.TryGetProperty("models", out var list) && list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
        if (models == 0 || !root.TryGetProperty("learned_through", out var learned) || !root.TryGetProperty("accepted_through", out var accepted))
        {
            return null;
        }

        long skipped = root.TryGetProperty("events_skipped", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 0;
        return new LearnerPosition(models, accepted.GetInt64(), learned.GetInt64(), skipped);
    }

    /// <summary>Notes the learner's figures before the first event is sent, so the summary can say what this replay made it skip.</summary>
    public async Task NoteLearnersAtStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _learnersAtStart = await ReadLearnersAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException)
        {
            _learnersAtStart = null; // Said nothing useful: the replay goes on, without the learners' line.
        }
    }

    /// <summary>
    /// Once every event is answered: reads where the server's learner is, and when <paramref name="wait"/>, polls until its
    /// models have learned (or skipped) every event accepted so far, printing the lag every second. Gives up when the
    /// learner makes no progress for <see cref="MaxLearnerStall"/>. Null when the server has no models.
    /// </summary>
    public async Task<LearnerReport?> WaitForLearnersAsync(bool wait, TextWriter output, CancellationToken cancellationToken)
    {
        if (_learnersAtStart is null)
        {
            return null;
        }

        LearnerPosition? first;
        try
        {
            first = await ReadLearnersAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException)
        {
            return new LearnerReport(_learnersAtStart.Models, 0, false, TimeSpan.Zero, 0, 0, $"GET /v1/models failed: {Reason(e)}");
        }

        if (first is null)
        {
            return null;
        }

        // Every event of this replay was answered before this read, so each one is before AcceptedThrough.
        long target = first.AcceptedThrough;
        long lagAtEnd = target - first.LearnedThrough;
        var clock = Stopwatch.StartNew();
        var current = first;
        string? gaveUp = null;
        if (wait && current.LearnedThrough < target)
        {
            var lastProgress = clock.Elapsed;
            var lastLine = TimeSpan.Zero;
            output.WriteLine($"waiting for the server's models to learn {ReplayFormat.Plural(lagAtEnd, "event", "events")} (--no-wait-for-learners does not wait)");
            while (current.LearnedThrough < target)
            {
                await Task.Delay(LearnerPollInterval, cancellationToken);
                LearnerPosition? next;
                try
                {
                    next = await ReadLearnersAsync(cancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException)
                {
                    gaveUp = $"GET /v1/models failed: {Reason(e)}";
                    break;
                }

                if (next is null)
                {
                    gaveUp = "the server no longer reports its models";
                    break;
                }

                if (next.LearnedThrough > current.LearnedThrough)
                {
                    lastProgress = clock.Elapsed;
                }
                else if (clock.Elapsed - lastProgress > MaxLearnerStall)
                {
                    gaveUp = $"the models learned nothing for {MaxLearnerStall.TotalSeconds:F0} s";
                    break;
                }

                current = next;
                if (clock.Elapsed - lastLine >= LearnerLineInterval && current.LearnedThrough < target)
                {
                    lastLine = clock.Elapsed;
                    output.WriteLine($"{ReplayFormat.Seconds(clock.Elapsed),9}  models: {ReplayFormat.Count(target - current.LearnedThrough)} events to learn");
                }
            }
        }

        return new LearnerReport(first.Models, lagAtEnd, wait, clock.Elapsed, Math.Max(0, target - current.LearnedThrough),
            current.Skipped - _learnersAtStart.Skipped, gaveUp);
    }

    /// <summary>How long the server may take to close the windows (it first waits for its learners, which have caught up).</summary>
    private static readonly TimeSpan CloseWindowsTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The end of the file ends the stream: asks the server to close every open attribution window
    /// (<c>POST /v1/models/flush?close_windows=true</c>), so the click models' figures cover every exposure with its final
    /// label. Returns "closed", or why not (the replay still succeeds: its events are all in).
    /// </summary>
    public async Task<string> CloseWindowsAsync(CancellationToken cancellationToken)
    {
        try
        {
            string timeout = $"{(long)CloseWindowsTimeout.TotalSeconds}s";
            using var response = await _http.PostAsync($"v1/models/flush?close_windows=true&timeout={timeout}", content: null, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return "closed";
            }

            return response.StatusCode == HttpStatusCode.NotFound
                ? "not closed: the server cannot close them (no POST /v1/models/flush)"
                : $"not closed: POST /v1/models/flush answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"not closed: POST /v1/models/flush failed: {Reason(e)}";
        }
    }

    private sealed record LearnerPosition(int Models, long AcceptedThrough, long LearnedThrough, long Skipped);
}
