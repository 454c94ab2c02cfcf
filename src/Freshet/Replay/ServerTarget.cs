using System.Collections.Concurrent;
using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary>What the replay needs to know to post events to a server.</summary>
internal sealed record ServerTargetOptions(Uri Server, int BatchSize, int MaxInFlight, bool Gzip, byte[] IdPrefix);

/// <summary>
/// Replays into a running server: events are written as NDJSON batches and posted to <c>POST /v1/events</c>, a few
/// requests in flight at once. Requests in flight together may be applied in any order, so a batch is sent alongside
/// earlier ones only when its newest event is no more than the server's allowed lateness ahead of their oldest one;
/// otherwise it waits, and an event-time server never sees an event made late by the replay's own concurrency. The
/// last batch is sent with <c>?wait=true</c> once the others are answered, so when the replay ends every event is
/// visible to queries. A request that fails to connect, or that the server refuses as overloaded (429, 503), is
/// retried; every event carries an id, so a retry is never counted twice.
/// </summary>
internal sealed partial class ServerTarget : IReplayTarget
{
    private readonly ServerTargetOptions _options;
    private readonly FieldNameTable _names;
    private readonly ReplayCounters _counters;
    private readonly HttpClient _http;
    private readonly ConcurrentBag<OutgoingBatch> _pool = [];
    private readonly Lock _gate = new();
    private readonly List<OutgoingBatch> _inFlight = [];
    private readonly long _latenessMs;
    private TaskCompletionSource _changed = NewSignal();
    private OutgoingBatch _current;
    private string? _failure;

    private ServerTarget(ServerTargetOptions options, FieldNameTable names, ReplayCounters counters, HttpClient http, ServerInfo info)
    {
        _options = options;
        _names = names;
        _counters = counters;
        _http = http;
        Info = info;
        // In wall-clock mode lateness is judged against the wall clock, not against other batches: any order is safe.
        _latenessMs = info.WallClock ? long.MaxValue : info.AllowedLatenessMs;
        _current = new OutgoingBatch(options.BatchSize);
    }

    /// <summary>What the server said about itself before the replay.</summary>
    public ServerInfo Info { get; }

    public string Description => _options.Server.ToString();

    public int Pending => _current.Count;

    public bool IsBatchFull => _current.Count >= _options.BatchSize;

    public void Add(MappedEvent e) => _current.Add(e, _names, _options.IdPrefix);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_current.Count == 0)
        {
            await ThrowIfFailedAsync(cancellationToken);
            return;
        }

        var batch = _current;
        await WaitForRoomAsync(batch, cancellationToken);
        _current = _pool.TryTake(out var next) ? next : new OutgoingBatch(_options.BatchSize);
        _ = Task.Run(() => SendAsync(batch, wait: false, cancellationToken), CancellationToken.None);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        // Everything else first: the last batch's ?wait=true then covers every event sent before it.
        await DrainAsync(cancellationToken);
        await ThrowIfFailedAsync(cancellationToken);
        if (_current.Count > 0)
        {
            var batch = _current;
            lock (_gate)
            {
                _inFlight.Add(batch);
            }

            _current = new OutgoingBatch(1);
            await SendAsync(batch, wait: true, cancellationToken);
        }

        await ThrowIfFailedAsync(cancellationToken);
    }

    public IReadOnlyList<string> Report() => [];

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask WaitForRoomAsync(OutgoingBatch batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            await ThrowIfFailedAsync(cancellationToken);
            Task changed;
            lock (_gate)
            {
                if (_inFlight.Count == 0 || (_inFlight.Count < _options.MaxInFlight && _inFlight.TrueForAll(earlier => CanOvertake(earlier, batch))))
                {
                    _inFlight.Add(batch);
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Whether <paramref name="later"/> may be applied before <paramref name="earlier"/> without making any of its events
    /// late: the server's clock would then be at least <paramref name="later"/>'s newest time, and an event is late
    /// when it is more than the allowed lateness behind the clock.
    /// </summary>
    private bool CanOvertake(OutgoingBatch earlier, OutgoingBatch later) =>
        _latenessMs == long.MaxValue || later.MaxTimeMs - earlier.MinTimeMs <= _latenessMs;

    private async Task SendAsync(OutgoingBatch batch, bool wait, CancellationToken cancellationToken)
    {
        try
        {
            await PostAsync(batch, 0, batch.Count, wait, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Fail("stopped before the server answered");
        }
        catch (ReplayFailedException e)
        {
            Fail(e.Message);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or IOException)
        {
            Fail($"sending failed: {e.Message}");
        }
        finally
        {
            lock (_gate)
            {
                _inFlight.Remove(batch);
                var changed = _changed;
                _changed = NewSignal();
                changed.TrySetResult();
            }

            batch.Clear();
            _pool.Add(batch);
        }
    }

    private void Fail(string message)
    {
        lock (_gate)
        {
            _failure ??= message;
        }
    }

    /// <summary>
    /// After a request failed for good: waits for the others in flight to be answered (so the summary counts them),
    /// then stops the replay with the reason.
    /// </summary>
    private async ValueTask ThrowIfFailedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _failure) is null)
        {
            return;
        }

        await DrainAsync(cancellationToken);
        throw new ReplayFailedException(_failure!);
    }

    /// <summary>Waits until no request is in flight.</summary>
    private async ValueTask DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_inFlight.Count == 0)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The replay cannot go on (the server is unreachable or refused the events outright); the message says why.</summary>
internal sealed class ReplayFailedException(string message) : Exception(message);
