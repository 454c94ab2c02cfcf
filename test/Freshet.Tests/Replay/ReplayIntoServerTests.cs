using System.Globalization;
using Freshet.Testing.TestData;
using Freshet.Time;

namespace Freshet.Cli.Tests.Replay;

/// <summary>
/// <c>freshet replay</c> of the shared datasets into the real server on a loopback port, then queries over HTTP compared
/// with an independent computation over the file (plain string splitting and LINQ): every item's counts over a window
/// covering the whole file, hourly series of busy items, distinct items per user or session.
/// </summary>
public sealed class ReplayIntoServerTests
{
    private const string Rees46 = "rees46_ecommerce_sample";
    private const string Yoochoose = "yoochoose_rsc15_sample";

    private sealed record ShopRow(long TimeMs, string Type, string Item, string Category, double Price, string User);

    private sealed record ClickRow(string Session, string Item, long TimeMs);

    [DataFact(Rees46)]
    public async Task Replay_Rees46IntoServer_QueriesMatchTheFile()
    {
        string path = SharedData.PathOf($"{Rees46}/2019-Oct.csv");
        var rows = File.ReadLines(path).Skip(1).Select(line => line.Split(','))
            .Where(p => p.Length == 9) // The last line is cut off mid-field: 8 fields.
            .Select(p => new ShopRow(
                DateTimeOffset.ParseExact(p[0], "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds(),
                p[1], p[2], p[3], double.Parse(p[6], CultureInfo.InvariantCulture), p[7]))
            .ToList();
        Assert.Equal(17_434, rows.Count);
        await using var server = await ReplayServer.StartAsync();

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--preset", "rees46", "--server", server.Url);

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("  accepted     17,434\n", output, StringComparison.Ordinal);
        Assert.Contains("line 17436: bad_row: 8 fields, but the header has 9 (the line is cut short?)", output, StringComparison.Ordinal);
        Assert.Matches(@"  rejected     1 ", output);

        long minMs = rows.Min(r => r.TimeMs), maxMs = rows.Max(r => r.TimeMs);

        // Every item: views, carts and purchases over a week (which covers the file's three hours).
        var items = rows.GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var read = await server.ReadAsync("item", items.Keys, ["item_views", "item_carts", "item_purchases"], "7d", maxMs);
        Assert.Equal(6_493, read.Count);
        foreach (var (item, events) in items)
        {
            var features = read[item];
            AssertCovers(features["item_views"], minMs, maxMs);
            Assert.True(events.Count(e => e.Type == "view") == features["item_views"].Value, $"item {item} views");
            Assert.True(events.Count(e => e.Type == "cart") == features["item_carts"].Value, $"item {item} carts");
            Assert.True(events.Count(e => e.Type == "purchase") == features["item_purchases"].Value, $"item {item} purchases");
        }

        // Every category: events of all three types.
        var categories = rows.GroupBy(r => r.Category).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var byCategory = await server.ReadAsync("category", categories.Keys, ["category_events"], "7d", maxMs);
        Assert.All(categories, c => Assert.True(c.Value == byCategory[c.Key]["category_events"].Value, $"category {c.Key}"));

        // Every buyer and every third user: distinct items (exact up to 128 values) and the sum of their purchases' prices.
        var users = rows.GroupBy(r => r.User).Where((g, i) => i % 3 == 0 || g.Any(r => r.Type == "purchase"))
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var byUser = await server.ReadAsync("user", users.Keys, ["user_items", "user_spend"], "1d", maxMs);
        foreach (var (user, events) in users)
        {
            int distinct = events.Select(e => e.Item).Distinct(StringComparer.Ordinal).Count();
            Assert.True(distinct > 128 || distinct == byUser[user]["user_items"].Value, $"user {user}: {distinct} distinct items, server says {byUser[user]["user_items"].Value}");
            double spend = events.Where(e => e.Type == "purchase").Sum(e => e.Price);
            Assert.Equal(spend, byUser[user]["user_spend"].Value ?? 0, 6);
        }

        // Hour by hour for the busiest items.
        long fromMs = TimeMath.FloorTo(minMs, Duration.Hour), toMs = TimeMath.FloorTo(maxMs, Duration.Hour) + Duration.Hour;
        foreach (var (item, events) in items.OrderByDescending(i => i.Value.Count).Take(5))
        {
            var series = await server.SeriesAsync("item_views", item, fromMs, toMs);
            var expected = events.Where(e => e.Type == "view").GroupBy(e => TimeMath.FloorTo(e.TimeMs, Duration.Hour)).ToDictionary(g => g.Key, g => (double)g.Count());
            Assert.Equal(3, series.Count);
            Assert.All(series, point => Assert.Equal(expected.GetValueOrDefault(point.Key), point.Value));
        }
    }

    [DataFact(Yoochoose)]
    public async Task Replay_YoochooseIntoServer_QueriesMatchTheFile()
    {
        string path = SharedData.PathOf($"{Yoochoose}/yoochoose-clicks-100k_train_full.txt");
        var rows = File.ReadLines(path).Skip(1).Select(line => line.Split('\t'))
            .Select(p => new ClickRow(p[0], p[1], (long)decimal.Floor(decimal.Parse(p[2], CultureInfo.InvariantCulture) * 1000)))
            .ToList();
        Assert.Equal(70_278, rows.Count);
        await using var server = await ReplayServer.StartAsync();

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--preset", "yoochoose", "--server", server.Url);

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("  accepted     70,278\n", output, StringComparison.Ordinal);
        Assert.Contains("  rejected     0\n", output, StringComparison.Ordinal); // Sorted first, so nothing is late.

        long minMs = rows.Min(r => r.TimeMs), maxMs = rows.Max(r => r.TimeMs);
        var items = rows.GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var read = await server.ReadAsync("item", items.Keys, ["item_clicks"], "7d", maxMs);
        Assert.Equal(2_933, read.Count);
        foreach (var (item, events) in items)
        {
            AssertCovers(read[item]["item_clicks"], minMs, maxMs);
            Assert.True(events.Count == read[item]["item_clicks"].Value, $"item {item}: {events.Count} clicks, server says {read[item]["item_clicks"].Value}");
        }

        // Distinct items of every fifth session (sessions have 2 to 58 clicks: exact).
        var sessions = rows.GroupBy(r => r.Session).OrderBy(g => g.Key, StringComparer.Ordinal).Where((_, i) => i % 5 == 0)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Item).Distinct(StringComparer.Ordinal).Count(), StringComparer.Ordinal);
        var bySession = await server.ReadAsync("session", sessions.Keys, ["session_items"], "7d", maxMs);
        Assert.All(sessions, s => Assert.True(s.Value == bySession[s.Key]["session_items"].Value, $"session {s.Key}"));

        // Hour by hour over the six days, for the busiest items.
        long fromMs = TimeMath.FloorTo(minMs, Duration.Hour), toMs = TimeMath.FloorTo(maxMs, Duration.Hour) + Duration.Hour;
        foreach (var (item, events) in items.OrderByDescending(i => i.Value.Count).Take(3))
        {
            var series = await server.SeriesAsync("item_clicks", item, fromMs, toMs);
            var expected = events.GroupBy(e => TimeMath.FloorTo(e.TimeMs, Duration.Hour)).ToDictionary(g => g.Key, g => (double)g.Count());
            Assert.Equal((toMs - fromMs) / Duration.Hour, series.Count);
            Assert.All(series, point => Assert.True(expected.GetValueOrDefault(point.Key) == point.Value, $"item {item} hour {point.Key}"));
        }
    }

    /// <summary>The server's reading summed an interval that holds every event of the file.</summary>
    private static void AssertCovers(ReplayServer.Reading reading, long minMs, long maxMs) =>
        Assert.True(reading.FromMs <= minMs && reading.ToMs > maxMs,
            $"the window summed [{reading.FromMs}, {reading.ToMs}), which does not cover the file's [{minMs}, {maxMs}]");
}
