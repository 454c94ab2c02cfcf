using System.Text.Json;
using System.Text.RegularExpressions;

namespace Freshet.Cli.Tests.Query;

/// <summary>
/// <c>freshet query</c> against a real server: each subcommand prints the exact values in plain text (the output is
/// not a terminal here), and <c>--json</c> prints the server's body.
/// </summary>
public sealed class QueryCommandTests(QueryServerFixture server) : IClassFixture<QueryServerFixture>
{
    [Fact]
    public async Task Vector_PlainOutput_ShowsEveryFeatureWindowValueAndInterval()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "item", "a");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("item a at 2025-11-21 10:08 UTC", output, StringComparison.Ordinal);
        AssertRow(output, @"item_views\s+1h\s+3\s+\d\d:\d\d → 10:09 \(1h\d*m?\)");
        AssertRow(output, @"item_views\s+1d\s+3\s+11-20 \d\d:\d\d → 10:09 \(1d\w*\)");
        AssertRow(output, @"item_clicks\s+1h\s+1\s");
        AssertRow(output, @"item_ctr\s+1h\s+0\.153846\s"); // (1 + 1) / (3 + 1 + 9)
        AssertRow(output, @"item_revenue\s+1d\s+12\.5\s");
        AssertPlain(output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Vector_FeaturesAndWindows_ShowsOnlyThose()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "item", "b", "--features", "item_views", "--windows", "1h");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"item_views\s+1h\s+2\s");
        Assert.DoesNotContain("1d", output, StringComparison.Ordinal);
        Assert.DoesNotContain("item_clicks", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vector_CompositeKey_TakesOneArgumentPerKeyField()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "user_category", "u1", "shoes");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("user_category u1/shoes at", output, StringComparison.Ordinal);
        AssertRow(output, @"user_category_views\s+1d\s+2\s");
    }

    [Fact]
    public async Task Vector_LastK_ShowsTheItemsNewestFirst()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "user", "u1");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"user_recent_items\s+1d\s+b, a, a\s");
    }

    [Fact]
    public async Task Vector_TopK_ShowsItemsWithCounts()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "site", "--features", "site_top_items", "--windows", "1h");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("site (global) at", output, StringComparison.Ordinal);
        AssertRow(output, @"site_top_items\s+1h\s+a \(3\), b \(2\), c \(1\)\s");
    }

    [Fact]
    public async Task Vector_UnknownKey_SaysItHasNoEvents()
    {
        var (exitCode, output, _) = await server.QueryAsync("vector", "item", "nobody", "--features", "item_views");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("no events for this key", output, StringComparison.Ordinal);
        AssertRow(output, @"item_views\s+1h\s+0\s");
    }

    [Fact]
    public async Task Vector_Json_PrintsTheServersBodyIndented()
    {
        var (exitCode, output, error) = await server.QueryAsync("vector", "item", "a", "--json");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.StartsWith("{\n  \"entity\": \"item\"", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output);
        var features = json.RootElement.GetProperty("features");
        Assert.Equal(3, features.GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
        Assert.Equal(1, features.GetProperty("item_clicks").GetProperty("1d").GetProperty("value").GetDouble());
        Assert.Equal(12.5, features.GetProperty("item_revenue").GetProperty("1d").GetProperty("value").GetDouble());
        Assert.Equal(2.0 / 13, features.GetProperty("item_ctr").GetProperty("1h").GetProperty("value").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task Vectors_Keys_PrintsARowPerKeyAndTheIntervalOnce()
    {
        var (exitCode, output, error) = await server.QueryAsync("vectors", "item", "--keys", "a,b,c", "--features", "item_views,item_clicks", "--windows", "1h");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("3 item keys at 2025-11-21 10:08 UTC", output, StringComparison.Ordinal);
        AssertRow(output, @"key\s+item_views 1h\s+item_clicks 1h");
        AssertRow(output, @"a\s+3\s+1");
        AssertRow(output, @"b\s+2\s+0");
        AssertRow(output, @"c\s+1\s+0");
        Assert.Matches(@"(?m)^intervals \(UTC\): 1h \d\d:\d\d → 10:09", output);
        AssertPlain(output);
    }

    [Fact]
    public async Task Vectors_CompositeKeysRepeated_ReadsEachKey()
    {
        var (exitCode, output, error) = await server.QueryAsync("vectors", "user_category", "--keys", "u1/shoes,u1/bags", "--keys", "u3/bags");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"u1/shoes\s+2");
        AssertRow(output, @"u1/bags\s+1");
        AssertRow(output, @"u3/bags\s+1");
    }

    [Fact]
    public async Task Vectors_Json_HasEveryKeysValues()
    {
        var (exitCode, output, error) = await server.QueryAsync("vectors", "item", "--keys", "a,b", "--features", "item_views", "--json");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        using var json = JsonDocument.Parse(output);
        var views = json.RootElement.GetProperty("vectors").EnumerateArray()
            .Select(v => v.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble()).ToArray();
        Assert.Equal([3.0, 2.0], views);
    }

    [Fact]
    public async Task Series_MinuteBuckets_ShowsEachBucketsCount()
    {
        var (exitCode, output, error) = await server.QueryAsync("series", "item_views", "a", "--resolution", "1m",
            "--from", "2025-11-21T10:00:00Z", "--to", "2025-11-21T10:05:00Z");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("item_views of a, 1m buckets", output, StringComparison.Ordinal);
        string[] rows = Rows(output, @"^2025-11-21 10:0\d\s+\d+$");
        Assert.Equal(["2025-11-21 10:00 0", "2025-11-21 10:01 1", "2025-11-21 10:02 1", "2025-11-21 10:03 1", "2025-11-21 10:04 0"],
            rows.Select(r => Regex.Replace(r, @"\s{2,}", " ")).ToArray());
        AssertPlain(output);
    }

    [Fact]
    public async Task Series_MinuteBucketsWithoutARange_ShowsWhatIsKeptInsteadOf422()
    {
        var (exitCode, output, error) = await server.QueryAsync("series", "item_views", "a", "--resolution", "1m");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        string[] rows = Rows(output, @"^2025-11-21 10:0[1-3]\s+\d+$");
        Assert.Equal(["2025-11-21 10:01 1", "2025-11-21 10:02 1", "2025-11-21 10:03 1"], rows.Select(r => Regex.Replace(r, @"\s{2,}", " ")).ToArray());
    }

    [Fact]
    public async Task Series_Json_ListsThePoints()
    {
        var (exitCode, output, error) = await server.QueryAsync("series", "item_views", "b", "--resolution", "1m",
            "--from", (QueryServerFixture.T0 + 300_000).ToString(System.Globalization.CultureInfo.InvariantCulture), "--to", "2025-11-21T10:07:00Z", "--json");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        using var json = JsonDocument.Parse(output);
        Assert.Equal([1.0, 1.0], json.RootElement.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("value").GetDouble()).ToArray());
    }

    [Fact]
    public async Task Profile_HourOfDay_PutsTheViewsInTheirHour()
    {
        var (exitCode, output, error) = await server.QueryAsync("profile", "item_views", "a", "--kind", "hour_of_day", "--days", "1");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("item_views of a by hour of day (UTC)", output, StringComparison.Ordinal);
        AssertRow(output, @"10:00\s+3$");
        AssertRow(output, @"09:00\s+0$");
        Assert.Equal(24, Rows(output, @"^\d\d:00\s+\d+$").Length);
    }

    [Fact]
    public async Task Profile_DayOfWeek_PutsTheViewsOnFriday()
    {
        var (exitCode, output, error) = await server.QueryAsync("profile", "item_views", "b", "--kind", "day_of_week");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"fri\s+2$");
        AssertRow(output, @"mon\s+0$");
    }

    [Fact]
    public async Task Top_WithAndOrderBy_RanksAndAddsItemFeatures()
    {
        var (exitCode, output, error) = await server.QueryAsync("top", "site_top_items", "--window", "1h", "-k", "3",
            "--with", "item_views", "--order-by", "item_ctr");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("site_top_items: top 3 over 1h at 2025-11-21 10:08 UTC, ordered by item_ctr", output, StringComparison.Ordinal);
        AssertRow(output, @"#\s+item\s+count\s+item_views 1h\s+item_views 1d\s+item_ctr 1h");
        // CTRs with the Beta(1, 9) prior: a 2/13, c 1/11, b 1/12.
        AssertRow(output, @"1\s+a\s+3\s+3\s+3\s+0\.153846");
        AssertRow(output, @"2\s+c\s+1\s+1\s+1\s+0\.0909091");
        AssertRow(output, @"3\s+b\s+2\s+2\s+2\s+0\.0833333");
    }

    [Fact]
    public async Task Top_K_LimitsTheList()
    {
        var (exitCode, output, error) = await server.QueryAsync("top", "site_top_items", "-k", "2");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"1\s+a\s+3$");
        AssertRow(output, @"2\s+b\s+2$");
        Assert.DoesNotMatch(@"(?m)^3\s", output);
    }

    [Fact]
    public async Task Features_List_ShowsEachFeatureAsDeclared()
    {
        var (exitCode, output, error) = await server.QueryAsync("features");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        Assert.Contains("8 features from test.yaml", output, StringComparison.Ordinal);
        AssertRow(output, @"name\s+entity\s+aggregation\s+events\s+field\s+windows\s+version");
        AssertRow(output, @"item_views\s+item\s+count\s+view\s+-\s+1h,1d\s+\w+");
        AssertRow(output, @"item_ctr\s+item\s+ratio\(item_clicks / item_views\)\s+-\s+-\s+1h\s+\w+");
        AssertRow(output, @"item_trend\s+item\s+trend\(item_views\)\s+-\s+-\s+1h/1d\s+\w+");
        AssertRow(output, @"item_revenue\s+item\s+sum\s+purchase\s+price\s+1d\s+\w+");
        Assert.Contains("entities: item [item], user [user], user_category [user, category], site []", output, StringComparison.Ordinal);
        AssertPlain(output);
    }

    [Fact]
    public async Task Features_Name_ShowsOneFeatureInDetail()
    {
        var (exitCode, output, error) = await server.QueryAsync("features", "item_ctr");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"numerator\s+item_clicks$");
        AssertRow(output, @"denominator\s+item_views$");
        AssertRow(output, @"prior\s+alpha 1, beta 9$");
        AssertRow(output, @"version\s+\w+$");
    }

    [Fact]
    public async Task Stats_ShowsTheCounters()
    {
        var (exitCode, output, error) = await server.QueryAsync("stats");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"accepted\s+8$");
        AssertRow(output, @"duplicates\s+0$");
        AssertRow(output, @"rejected\s+0$");
        AssertRow(output, @"shard\s+events applied\s+applied sequence\s+queue depth");
        Assert.Equal(2, Rows(output, @"^\s*[01]\s+\d+\s+\d+\s+\d+$").Length);
    }

    [Fact]
    public async Task Stats_Json_ParsesAndCounts()
    {
        var (exitCode, output, error) = await server.QueryAsync("stats", "--json");

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        using var json = JsonDocument.Parse(output);
        Assert.Equal(8, json.RootElement.GetProperty("accepted").GetInt64());
    }

    [Fact]
    public async Task Server_HostAndPortWithoutScheme_IsReadAsHttp()
    {
        string hostAndPort = new Uri(server.Url).Authority;

        var (exitCode, output, error) = await QueryServerFixture.RunAsync("query", "stats", "--server", hostAndPort);

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        AssertRow(output, @"accepted\s+8$");
    }

    /// <summary>Asserts that some line of <paramref name="output"/> starts with the pattern (after any indentation).</summary>
    private static void AssertRow(string output, string pattern) =>
        Assert.True(Regex.IsMatch(output, $@"(?m)^\s*{pattern}"), $"no line matching /{pattern}/ in:\n{output}");

    private static string[] Rows(string output, string pattern) =>
        output.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => Regex.IsMatch(l, pattern)).ToArray();

    /// <summary>Piped output: no colour codes, no box drawing, no trailing spaces.</summary>
    private static void AssertPlain(string output)
    {
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
        Assert.DoesNotMatch("[│─╭╮╰╯┌┐└┘]", output);
        Assert.DoesNotMatch(@"(?m)[ \t]\r?$", output);
    }
}
