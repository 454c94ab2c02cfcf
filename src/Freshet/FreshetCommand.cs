using System.CommandLine;
using Freshet.Cli.Demo;
using Freshet.Cli.Replay;
using Freshet.Cli.Serve;

namespace Freshet.Cli;

/// <summary>The <c>freshet</c> root command: its description and subcommands, and running it on given writers.</summary>
internal static class FreshetCommand
{
    /// <summary>Time a command gets after Ctrl+C (or SIGTERM) to stop cleanly and print its summary.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Freshet keeps fresh behaviour signals: declare windowed features in YAML, stream user activity in, read "
            + "feature vectors, trends and top-k lists out in microseconds.\n\n"
            + "New here? Start with:\n"
            + "  freshet demo                     the engine on a live synthetic shop, served over HTTP, until Ctrl+C\n"
            + "  freshet demo --duration 30s      the same for 30 seconds, then a summary\n"
            + "  freshet demo --rate max          as fast as the engine takes events (the default is 50k a second)");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(Query.QueryCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(Check.CheckCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="output"/> and <paramref name="error"/>.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            ProcessTerminationTimeout = StopGrace,
        };
        return Create().Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}
