using System.Net.Sockets;
using Freshet.Cli.Serve;
using Freshet.Engine;
using Freshet.Learning.Pipeline;
using Freshet.Server;

namespace Freshet.Cli.Demo;

/// <summary>
/// Starts the HTTP server on the engine the demo's producer feeds: the producer keeps ingesting in process and the
/// server reads the same engine, so what the live view shows is what the curl examples return. The server learns the
/// demo's models from the stream, as <c>freshet serve --models</c> would.
/// </summary>
internal static class DemoServer
{
    /// <summary>The default address with port 0: any free port on the same interface.</summary>
    private static readonly string FallbackUrl = new UriBuilder(ServerOptions.DefaultUrl) { Port = 0 }.Uri.ToString().TrimEnd('/');

    /// <summary>
    /// Starts the server on <paramref name="url"/>. When the user gave no --url (null) and the default port is taken, a
    /// newcomer should still get a running demo, so it listens on a free port instead and the returned note says so; an
    /// address the user asked for is never swapped for another: that fails with one line on <paramref name="error"/>.
    /// </summary>
    /// <returns>The running server, or null when it could not listen (the reason is written to <paramref name="error"/>).</returns>
    public static async Task<(RunningServer? Server, string? Note)> StartAsync(FreshetEngine engine, ModelSet models, string? url, TextWriter error,
        CancellationToken cancellationToken)
    {
        // Without ASP.NET Core's own log: it would write over the live view, and a port that is taken would come with a
        // stack trace before the one line that says so. What the demo's server does shows in its views and summary.
        var options = new ServerOptions { Url = url ?? ServerOptions.DefaultUrl, FrameworkLogging = false, Models = models };
        if (url is not null)
        {
            return (await ServeOptions.TryStartAsync(engine, options, error, cancellationToken), null);
        }

        try
        {
            return (await FreshetServer.StartAsync(engine, options, cancellationToken), null);
        }
        catch (IOException e) when (IsAddressInUse(e))
        {
            var server = await ServeOptions.TryStartAsync(engine, options with { Url = FallbackUrl }, error, cancellationToken);
            string? note = server is null ? null
                : $"{ServerOptions.DefaultUrl} is already in use (another freshet?), so the demo listens on a free port instead: {server.BaseAddress}";
            return (server, note);
        }
    }

    /// <summary>Kestrel's bind failure when the port is taken (an IOException around the socket error; the message on some platforms).</summary>
    private static bool IsAddressInUse(IOException e) =>
        e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || e.InnerException?.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
        || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
