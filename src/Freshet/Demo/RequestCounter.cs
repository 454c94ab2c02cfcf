using System.Diagnostics.Metrics;
using Freshet.Server;

namespace Freshet.Cli.Demo;

/// <summary>
/// Counts the HTTP requests one running server has answered, by listening to ASP.NET Core's own request-duration
/// metric (one measurement per finished request). That costs the server nothing it does not already do, and needs no
/// middleware in a server the demo only borrows.
/// </summary>
internal sealed class RequestCounter : IDisposable
{
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";

    private readonly MeterListener _listener = new();
    private long _count;

    public RequestCounter(RunningServer server)
    {
        // Meters made by the application's meter factory carry it as their scope; matching it keeps out the requests
        // of any other server in the same process (tests run several).
        object? factory = server.App.Services.GetService(typeof(IMeterFactory));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HostingMeter && instrument.Name == RequestDuration
                && (factory is null || ReferenceEquals(instrument.Meter.Scope, factory)))
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<double>(static (_, _, _, state) => ((RequestCounter)state!).Increment());
        _listener.Start();
    }

    /// <summary>Requests answered so far (any status).</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();

    private void Increment() => Interlocked.Increment(ref _count);
}
