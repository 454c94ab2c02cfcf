using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net.Sockets;
using Freshet.Engine;
using Freshet.Server;
using Freshet.Time;

namespace Freshet.Cli.Serve;

/// <summary>Options and start-up shared by the commands that run a server (<c>serve</c>, <c>demo</c>).</summary>
internal static class ServeOptions
{
    public static Option<int?> Shards()
    {
        var shards = new Option<int?>("--shards")
        {
            Description = $"Engine shards (single-writer partitions of state) [default: one per core, {Environment.ProcessorCount} here]",
            HelpName = "n",
        };
        shards.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } n && n is < 1 or > 256)
            {
                result.AddError($"--shards must be between 1 and 256, not {n}.");
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

    /// <summary>A byte size: <c>16MiB</c>, <c>512KiB</c>, <c>1GiB</c>, <c>16MB</c> (read as MiB) or plain bytes, at most 2 GiB.</summary>
    public static long ParseSize(ArgumentResult result) => ParseSize(result, 1L << 31);

    /// <summary>A byte size up to <paramref name="max"/> bytes (<c>TiB</c> accepted too).</summary>
    public static long ParseSize(ArgumentResult result, long max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        (string Suffix, long Factor)[] units = [("tib", 1L << 40), ("tb", 1L << 40), ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("kb", 1L << 10), ("mb", 1L << 20), ("gb", 1L << 30), ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("b", 1)];
        long factor = 1;
        string number = text;
        foreach (var (suffix, f) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                number = text[..^suffix.Length];
                break;
            }
        }

        if (long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= max / factor)
        {
            return n * factor;
        }

        result.AddError($"--{result.Argument?.Name ?? "size"}: '{text}' is not a size like 16MiB, 512KiB or a number of bytes (at most {FormatSize(max)}).");
        return 0;
    }

    public static long ParseDuration(ArgumentResult result, bool allowZero)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (allowZero && text.Trim() == "0")
        {
            return 0;
        }

        if (Duration.TryParse(text, out long ms))
        {
            return ms;
        }

        result.AddError($"--{result.Argument?.Name ?? "duration"}: '{text}' is not {Duration.Syntax}.");
        return 0;
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 40 when bytes % (1L << 40) == 0 => $"{bytes >> 40} TiB",
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        _ => $"{bytes} bytes",
    };
}
