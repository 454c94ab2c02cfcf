using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Hosting;

/// <summary>
/// Gives memory back once the server goes quiet after a burst. The GC only runs when something allocates, so after an
/// overload (a flood of large requests, parsed and thrown away) an idle server kept the heap the burst grew — 600 to
/// 780 MB of RSS that no request would ever use again. When the process has allocated a lot since the last trim and then
/// nearly nothing for a few seconds, one aggressive, compacting full collection returns the free space to the system.
/// It never runs while the server is busy, so its pause (a full collection) costs no request latency under load.
/// </summary>
internal sealed class IdleMemoryTrimmer : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly IdleTrimPolicy _policy = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_policy.ShouldTrim(GC.GetTotalAllocatedBytes(precise: false)))
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    _policy.Trimmed(GC.GetTotalAllocatedBytes(precise: false));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}

/// <summary>
/// When to trim, from the process's allocated-bytes counter sampled at a fixed interval: after at least
/// <see cref="BurstBytes"/> were allocated since the last trim, once <see cref="QuietSamples"/> samples in a row each
/// allocated less than <see cref="QuietBytes"/>.
/// </summary>
internal sealed class IdleTrimPolicy
{
    /// <summary>Allocation since the last trim that makes a trim worth its pause.</summary>
    public const long BurstBytes = 256L << 20;

    /// <summary>Allocation per sample that still counts as quiet (a health check, a metrics scrape).</summary>
    public const long QuietBytes = 4L << 20;

    /// <summary>Quiet samples in a row before trimming, so a pause between two bursts does not trim.</summary>
    public const int QuietSamples = 2;

    private long _last = -1;
    private long _sinceTrim;
    private int _quiet;

    /// <summary>Takes one sample of the allocated-bytes counter; true when a trim is due now.</summary>
    public bool ShouldTrim(long allocated)
    {
        long delta = _last < 0 ? 0 : Math.Max(0, allocated - _last);
        _last = allocated;
        _sinceTrim += delta;
        _quiet = delta < QuietBytes ? _quiet + 1 : 0;
        return _sinceTrim >= BurstBytes && _quiet >= QuietSamples;
    }

    /// <summary>Records a trim (the collection itself allocates nothing worth counting).</summary>
    public void Trimmed(long allocated)
    {
        _last = allocated;
        _sinceTrim = 0;
        _quiet = 0;
    }
}
