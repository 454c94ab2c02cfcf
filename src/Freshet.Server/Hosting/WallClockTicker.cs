using Freshet.Engine;
using Freshet.Features;
using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Hosting;

/// <summary>
/// In wall-clock mode, advances the engine's clock once a second even when no events arrive, so idle tiles still close,
/// roll up and expire on time. In event-time mode now only moves with events, and this does nothing.
/// </summary>
internal sealed class WallClockTicker(FreshetEngine engine) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (engine.Catalog.Settings.Clock == ClockMode.Wall)
                {
                    // Tick may wait for room in a full shard queue; off the request path, that is harmless.
                    await Task.Run(engine.Tick, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
