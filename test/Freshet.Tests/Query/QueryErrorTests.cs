using System.Net;
using System.Net.Sockets;

namespace Freshet.Cli.Tests.Query;

/// <summary>
/// What <c>freshet query</c> says when something is wrong: a problem document from the server becomes one line on
/// stderr with its status and code; bad command-line input is refused before any request; an unreachable server is
/// named with what to do.
/// </summary>
public sealed class QueryErrorTests(QueryServerFixture server) : IClassFixture<QueryServerFixture>
{
    [Fact]
    public async Task Vector_UnknownFeature_PrintsOneLineNamingTheKnownFeatures()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "item", "a", "--features", "item_view");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("freshet query: unknown feature 'item_view'; known features of 'item': item_views, item_clicks, item_ctr, item_revenue, "
            + "item_trend (404 unknown-feature)", SingleLine(error));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Vector_UnknownEntity_PrintsOneLineNamingTheKnownEntities()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "itm", "a");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("freshet query: unknown entity 'itm'; known entities: item, user, user_category, site (404 unknown-entity)", SingleLine(error));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Vector_WrongNumberOfKeyParts_SaysWhatTheKeyIs()
    {
        var (exitCode, _, error) = await server.QueryAsync("vector", "user_category", "u1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("freshet query: entity 'user_category' is keyed by [user, category]: give 2 key part(s), not 1 (400 bad-key)", SingleLine(error));
    }

    [Fact]
    public async Task Vector_WindowTheServerCannotAnswer_PrintsTheServersReason()
    {
        // 90s parses as a duration, so only the server can say it is not a whole number of the finest tiles.
        var (exitCode, _, error) = await server.QueryAsync("vector", "item", "a", "--windows", "90s");

        Assert.Equal(ExitCodes.Failure, exitCode);
        string line = SingleLine(error);
        Assert.StartsWith("freshet query: ", line, StringComparison.Ordinal);
        Assert.EndsWith("(400 bad-window)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Top_NotATopKFeature_PrintsOneLine()
    {
        var (exitCode, _, error) = await server.QueryAsync("top", "item_views");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal("freshet query: feature 'item_views' is count, not top_k; top_k features: site_top_items (422 not-supported)", SingleLine(error));
    }

    [Fact]
    public async Task Features_UnknownName_PrintsOneLine()
    {
        var (exitCode, _, error) = await server.QueryAsync("features", "nope");

        Assert.Equal(ExitCodes.Failure, exitCode);
        string line = SingleLine(error);
        Assert.StartsWith("freshet query: unknown feature 'nope'; known features: item_views, ", line, StringComparison.Ordinal);
        Assert.EndsWith("(404 unknown-feature)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vector_Json_ErrorStillGoesToStderrAsOneLine()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "itm", "a", "--json");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.EndsWith("(404 unknown-entity)", SingleLine(error), StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--windows", "soon", "--windows: 'soon' is not a positive duration")]
    [InlineData("--windows", "1h,0m", "--windows: '0m' is not a positive duration")]
    [InlineData("--as-of", "yesterday", "--as-of: 'yesterday' is not a time; write epoch milliseconds or ISO-8601")]
    [InlineData("--as-of", "1763719200", "--as-of: '1763719200' looks like epoch seconds; times are epoch milliseconds (1763719200000)")]
    [InlineData("--timeout", "forever", "--timeout: 'forever' is not a positive duration")]
    [InlineData("--server", "ftp://example.com", "--server: 'ftp://example.com' is not an http:// address")]
    public async Task Vector_BadOption_IsRefusedBeforeAnyRequest(string option, string value, string message)
    {
        // The server is a closed port: had a request been sent, the error would say it cannot be reached.
        string[] server = option == "--server" ? [] : ["--server", ClosedPortUrl()];
        var (exitCode, _, error) = await QueryServerFixture.RunAsync(["query", "vector", "item", "a", option, value, .. server]);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("series item_views a --resolution hourly", "--resolution: 'hourly' is not a positive duration")]
    [InlineData("series item_views a --from 2025-13-01", "--from: '2025-13-01' is not a time")]
    [InlineData("profile item_views a --kind weekly", "weekly")]
    [InlineData("profile item_views a --days 0", "--days: '0' is not a whole number from 1 to 366")]
    [InlineData("top site_top_items -k ten", "-k: 'ten' is not a whole number")]
    [InlineData("top site_top_items --window 1x", "--window: '1x' is not a positive duration")]
    [InlineData("vectors item --keys u1//shoes", "--keys: 'u1//shoes' has an empty key part")]
    [InlineData("vectors item", "--keys")]
    public async Task Subcommand_BadInput_IsRefusedWithASpecificMessage(string command, string message)
    {
        var (exitCode, _, error) = await QueryServerFixture.RunAsync(["query", .. command.Split(' '), "--server", ClosedPortUrl()]);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_ServerNotListening_SaysItCannotReachItAndHowToStartOne()
    {
        string url = ClosedPortUrl();

        var (exitCode, output, error) = await QueryServerFixture.RunAsync("query", "stats", "--server", url);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal($"freshet query: cannot reach the Freshet server at {url} (connection refused); start one with 'freshet serve' or pass --server",
            SingleLine(error));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Query_NoServerOption_UsesTheEnvironmentVariable()
    {
        // Every other query test passes --server, so setting the variable for this process cannot change their outcome.
        string url = ClosedPortUrl();
        string? before = Environment.GetEnvironmentVariable("FRESHET_URL");
        Environment.SetEnvironmentVariable("FRESHET_URL", url);
        try
        {
            var (exitCode, _, error) = await QueryServerFixture.RunAsync("query", "features");

            Assert.Equal(ExitCodes.Failure, exitCode);
            Assert.Contains($"cannot reach the Freshet server at {url} (connection refused)", error, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FRESHET_URL", before);
        }
    }

    [Fact]
    public async Task Help_Query_ListsTheSubcommandsAndTheKeySyntax()
    {
        var (exitCode, output, _) = await QueryServerFixture.RunAsync("query", "--help");

        Assert.Equal(ExitCodes.Success, exitCode);
        foreach (string subcommand in new[] { "features", "vector", "vectors", "series", "profile", "top", "stats", "--server", "--json", "--timeout" })
        {
            Assert.Contains(subcommand, output, StringComparison.Ordinal);
        }

        var (_, vectorsHelp, _) = await QueryServerFixture.RunAsync("query", "vectors", "--help");
        Assert.Contains("--keys u1/shoes,u2/bags", vectorsHelp, StringComparison.Ordinal);
        Assert.Contains("FRESHET_URL", vectorsHelp, StringComparison.Ordinal);
    }

    /// <summary>The one line written to stderr; fails if there is more than one.</summary>
    private static string SingleLine(string error)
    {
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{error}");
        return lines[0];
    }

    /// <summary>An address nothing listens on: a port the system just handed out and that was closed again.</summary>
    private static string ClosedPortUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
