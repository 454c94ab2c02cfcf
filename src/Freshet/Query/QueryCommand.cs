using System.CommandLine;
using System.CommandLine.Parsing;
using Freshet.Server;
using Freshet.Time;

namespace Freshet.Cli.Query;

/// <summary>
/// <c>freshet query</c>: the serving API from a terminal. Each subcommand is one endpoint; the options every one of
/// them takes (<c>--server</c>, <c>--json</c>, <c>--timeout</c>) live here, as does running a request and turning its
/// failure into one line on stderr.
/// </summary>
internal static class QueryCommand
{
    /// <summary>The environment variable that names the server when <c>--server</c> is not given.</summary>
    public const string ServerVariable = "FRESHET_URL";

    private const string Prefix = "freshet query: ";

    private static readonly long DefaultTimeoutMs = 10 * Duration.Second;

    public static Command Create()
    {
        var common = new QueryOptions(
            new Option<Uri?>("--server", "-s")
            {
                Description = $"The Freshet server [default: ${ServerVariable}, else {ServerOptions.DefaultUrl}]",
                HelpName = "url",
                Recursive = true,
                CustomParser = ParseServer,
            },
            new Option<bool>("--json")
            {
                Description = "Print the server's JSON answer as it is (indented) instead of a table: for scripts and jq",
                Recursive = true,
            },
            QueryArguments.DurationOption("--timeout", $"How long to wait for an answer, e.g. 5s, 1m [default: {Duration.Format(DefaultTimeoutMs)}]"));
        common.Timeout.Recursive = true;

        var command = new Command("query",
            "Read a running Freshet server (see 'freshet serve'): the feature catalog, feature vectors, series, profiles, "
            + "top-k lists and counters, as tables, or as the server's JSON with --json.\n\n"
            + "Examples:\n"
            + "  freshet query features                         every feature: entity, aggregation, windows, version\n"
            + "  freshet query vector item i42                  every feature of item i42 over each of its windows\n"
            + "  freshet query vector user_category u1 shoes    a composite key: one value per key field\n"
            + "  freshet query vectors item --keys i1,i2,i3 --features item_views --windows 1h\n"
            + "  freshet query series item_views i42 --resolution 1h\n"
            + "  freshet query top site_top_items --window 1h -k 10 --with item_ctr --order-by item_ctr\n"
            + "  freshet query stats --json | jq .accepted")
        {
            common.Server, common.Json, common.Timeout,
        };
        command.Subcommands.Add(QueryFeatures.Create(common));
        command.Subcommands.Add(QueryVector.Create(common));
        command.Subcommands.Add(QueryVectors.Create(common));
        command.Subcommands.Add(QuerySeries.Create(common));
        command.Subcommands.Add(QueryProfile.Create(common));
        command.Subcommands.Add(QueryTop.Create(common));
        command.Subcommands.Add(QueryStats.Create(common));
        return command;
    }

    /// <summary>
    /// Sends the request <paramref name="fetch"/> makes and prints the answer: the body re-indented with
    /// <c>--json</c>, else what <paramref name="render"/> draws. A failure is one line on stderr and exit code 3.
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult result,
        QueryOptions options,
        Func<QueryClient, CancellationToken, Task<string>> fetch,
        Action<string, QueryView> render,
        CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        var server = result.GetValue(options.Server);
        if (server is null)
        {
            string fromEnvironment = Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } variable ? variable : ServerOptions.DefaultUrl;
            if (!TryServer(fromEnvironment, out server, out string? problem))
            {
                await error.WriteLineAsync($"{Prefix}{ServerVariable}: {problem}".AsMemory(), cancellationToken);
                return ExitCodes.Usage;
            }
        }

        long timeoutMs = result.GetValue(options.Timeout) ?? DefaultTimeoutMs;
        using var client = new QueryClient(server, TimeSpan.FromMilliseconds(timeoutMs));
        try
        {
            string body = await fetch(client, cancellationToken);
            if (result.GetValue(options.Json))
            {
                await output.WriteLineAsync(ApiJson.Indent(body).AsMemory(), cancellationToken);
                await output.FlushAsync(cancellationToken);
                return ExitCodes.Success;
            }

            var view = QueryView.Create(output);
            render(body, view);
            view.Flush();
            return ExitCodes.Success;
        }
        catch (QueryFailure e)
        {
            await error.WriteLineAsync((Prefix + e.Message).AsMemory(), cancellationToken);
            return ExitCodes.Failure;
        }
    }

    private static Uri? ParseServer(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryServer(text, out var uri, out string? problem))
        {
            return uri;
        }

        result.AddError($"--server: {problem}");
        return null;
    }

    /// <summary>An http(s) address; <c>host:port</c> alone means http. The base ends in '/' so relative paths append.</summary>
    public static bool TryServer(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? server, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        server = null;
        string candidate = text.Trim();
        if (!candidate.Contains("://", StringComparison.Ordinal))
        {
            candidate = "http://" + candidate;
        }

        if (Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0)
        {
            server = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
            problem = null;
            return true;
        }

        problem = $"'{text}' is not an http:// address like {ServerOptions.DefaultUrl}.";
        return false;
    }
}

/// <summary>The options every query subcommand takes; they are declared once on <c>query</c> and inherited.</summary>
internal sealed record QueryOptions(Option<Uri?> Server, Option<bool> Json, Option<long?> Timeout);
