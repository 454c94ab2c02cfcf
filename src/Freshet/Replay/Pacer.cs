namespace Freshet.Cli.Replay;

/// <summary>
/// Paces a replay at N× real time by the events' own times: an event <c>d</c> ms after the first one is due
/// <c>d / N</c> ms after the replay started. An event whose time has already come (or that is older than one already
/// sent, in an unsorted file) goes at once.
/// </summary>
internal sealed class Pacer(double speed, TimeProvider time)
{
    /// <summary>Shorter waits are not worth a timer: the events go in the current batch.</summary>
    private static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(2);

    private long _firstEventMs = long.MinValue;
    private long _startTimestamp;

    public double Speed => speed;

    /// <summary>How long to wait before sending an event of time <paramref name="eventMs"/>; zero when it is due.</summary>
    public TimeSpan DelayFor(long eventMs)
    {
        if (_firstEventMs == long.MinValue)
        {
            _firstEventMs = eventMs;
            _startTimestamp = time.GetTimestamp();
            return TimeSpan.Zero;
        }

        var due = TimeSpan.FromMilliseconds((eventMs - _firstEventMs) / speed);
        var wait = due - time.GetElapsedTime(_startTimestamp);
        return wait >= MinWait ? wait : TimeSpan.Zero;
    }
}
