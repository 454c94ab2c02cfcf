namespace Freshet.Cli.Demo;

/// <summary>
/// The engine's wall clock during the demo: simulated time, set by the producer after each batch. The engine checks
/// max_future (and, with <c>clock: wall</c>, measures windows) against its wall clock, and the demo's events live in
/// simulated time, which runs thousands of times faster than real time; against the real clock they would soon all
/// be "from the future".
/// </summary>
internal sealed class SimulatedClock(long startMs) : TimeProvider
{
    private long _nowMs = startMs;

    public long NowMs => Volatile.Read(ref _nowMs);

    /// <summary>Moves the clock to <paramref name="nowMs"/>; it never goes back.</summary>
    public void Advance(long nowMs)
    {
        if (nowMs > _nowMs)
        {
            Volatile.Write(ref _nowMs, nowMs);
        }
    }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}
