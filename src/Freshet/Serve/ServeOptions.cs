using System.CommandLine;
using System.Net.Sockets;
using Freshet.Engine;
using Freshet.Server;

namespace Freshet.Cli.Serve;

/// <summary>Options and start-up shared by the commands that run an engine or a server (<c>serve</c>, <c>demo</c>, <c>replay</c>).</summary>
internal static class ServeOptions
{
    /// <summary>The most shards a command line may ask for.</summary>
    public const int MaxShards = 256;

    /// <summary><c>--shards</c>, for every command that runs an embedded engine (serve, demo, replay), with its one range check.</summary>
    public static Option<int?> Shards(string? description = null)
    {
        var shards = new Option<int?>("--shards")
        {
            Description = description ?? $"Engine shards (single-writer partitions of state) [default: one per core, {Environment.ProcessorCount} here]",
            HelpName = "n",
        };
        shards.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } n && n is < 1 or > MaxShards)
            {
                result.AddError($"--shards must be between 1 and {MaxShards}, not {n}.");
            }
        });
        return shards;
    }

    /// <summary>Starts the server, or writes one line saying why it could not listen (port taken, address not local) and returns null.</summary>
    public static async Task<RunningServer?> TryStartAsync(FreshetEngine engine, ServerOptions options, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            return await FreshetServer.StartAsync(engine, options, cancellationToken);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            error.WriteLine($"Cannot listen on {options.Url}: the address is already in use (another freshet?). Pass --url with another port, or port 0 for any free one.");
        }
        catch (IOException e)
        {
            error.WriteLine($"Cannot listen on {options.Url}: {e.Message}");
        }

        return null;
    }
}
