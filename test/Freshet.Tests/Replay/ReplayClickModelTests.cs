using System.Globalization;
using System.Text;
using System.Text.Json;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
using Freshet.Server;

namespace Freshet.Cli.Tests.Replay;

/// <summary>
/// <c>freshet replay</c> of a time-ordered ad-click log into the real server with a click model whose attribution
/// window is 24 h: the model's figures right after the replay are those of the data. The shared Criteo and Avazu
/// samples cannot serve here (Criteo has no time, Avazu's 100 rows are one hour with the click as a column, not a
/// later event), so the log is synthetic: impressions with request ids over four days, clicked at a realistic
/// 0.2 % rate after delays of minutes to days, as an ad server logs them.
/// </summary>
public sealed class ReplayClickModelTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const long Hour = 3_600_000, Day = 24 * Hour;
    private const long Start = 1_735_689_600_000; // 2025-01-01T00:00:00Z: in the past, so the server takes every event.

    private const string Features = """
        settings:
          clock: event_time
          allowed_lateness: 10m
        entities:
          ad: ad
        features:
          ad_impressions: { entity: ad, events: [impression], aggregation: count, windows: [1h, 1d] }
        """;

    private const string Models = """
        models:
          ad_clicks:
            kind: click
            exposure: [impression]
            outcome: [click]
            key: [request]
            window: 24h
            fields: [ad, site, user]
            crosses: [[site, ad]]
            ftrl: { alpha: 0.05, bits: 20, prior_rate: 0.003 }
        """;

    /// <summary>
    /// The end of the replay closes every window (what <c>POST /v1/models/flush?close_windows=true</c> does for it), so
    /// the figures read at once are final: the data's base rate, and exactly the log loss and calibration of a server
    /// whose clock passed every window instead. Before the windows close, the figures are those of the impressions a
    /// day old or more, with their own rate: never the early clicks of the last day over the negatives of the days
    /// before.
    /// </summary>
    [Fact]
    public async Task Replay_ClickLogWith24hWindow_ReportsTheDataBaseRateAndFinalLogLoss()
    {
        var (csv, impressions) = ClickLog(impressions: 120_000, days: 4, seed: 17);
        string path = ReplayFiles.Write(csv, ".csv");
        long end = impressions[^1].TimeMs;
        long positives = impressions.Count(i => i.Clicked);
        double dataRate = (double)positives / impressions.Count;
        Assert.InRange(dataRate, 0.0015, 0.003);

        // The end of the replay ends the stream: GET /v1/models at once shows final figures.
        await using var ended = await StartAsync();
        string endedOutput = await ReplayAsync(ended, path);
        Assert.Contains("closed every attribution window", endedOutput);
        var final = await GetModelsAsync(ended);

        // A replay told to leave the windows open (the server goes on taking live events): the learner has everything,
        // the last day's windows are open; then time passing every window closes them.
        await using var waited = await StartAsync();
        await ReplayAsync(waited, path, "--keep-windows-open");
        var open = await GetModelsAsync(waited);
        await PostAsync(waited, $"{{\"type\": \"heartbeat\", \"time\": {end + Day + Hour}}}\n");
        var passed = await FlushAsync(waited, closeWindows: false);

        output.WriteLine(Invariant($"data: {impressions.Count:N0} impressions, {positives:N0} clicked inside 24 h: rate {dataRate:P3}"));
        output.WriteLine($"windows open (learned, not closed): {Describe(open)}");
        output.WriteLine($"end of replay (windows closed):     {Describe(final)}");
        output.WriteLine($"clock past every window:            {Describe(passed)}");

        // Right after the replay, before the windows close: exactly the impressions a day old, with their own labels.
        var closedByTime = impressions.Where(i => i.TimeMs + Day <= end).ToList();
        Assert.Equal(closedByTime.Count, open.Quality.GetProperty("examples").GetInt64());
        Assert.Equal(closedByTime.Count(i => i.Clicked), open.Quality.GetProperty("positives").GetInt64());
        Assert.Equal(impressions.Count - closedByTime.Count, open.Model.GetProperty("pending").GetInt64());

        // After the end of the replay: every impression once, at the data's rate, with the figures of the waited server.
        Assert.Equal(impressions.Count, final.Model.GetProperty("exposures_scored").GetInt64());
        Assert.Equal(0, final.Model.GetProperty("pending").GetInt64());
        Assert.Equal(impressions.Count, final.Quality.GetProperty("examples").GetInt64());
        double baseRate = (double)final.Quality.GetProperty("positives").GetInt64() / final.Quality.GetProperty("examples").GetInt64();
        Assert.InRange(baseRate, dataRate * 0.99, dataRate * 1.01);
        Assert.Equal(passed.Quality.GetProperty("examples").GetInt64(), final.Quality.GetProperty("examples").GetInt64());
        Assert.Equal(passed.Quality.GetProperty("positives").GetInt64(), final.Quality.GetProperty("positives").GetInt64());
        Assert.Equal(passed.Quality.GetProperty("log_loss").GetDouble(), final.Quality.GetProperty("log_loss").GetDouble());
        Assert.Equal(passed.Quality.GetProperty("calibration").GetDouble(), final.Quality.GetProperty("calibration").GetDouble());
        Assert.True(final.Quality.GetProperty("log_loss").GetDouble() < final.Constant.GetProperty("log_loss").GetDouble(), final.Model.ToString());
    }

    private sealed record Figures(JsonElement Model, JsonElement Quality, JsonElement Constant);

    private static string Describe(Figures f)
    {
        long examples = f.Quality.GetProperty("examples").GetInt64(), positives = f.Quality.GetProperty("positives").GetInt64();
        return Invariant($"{examples:N0} judged, {f.Model.GetProperty("pending").GetInt64():N0} pending, base rate {(double)positives / examples:P3}, ")
            + Invariant($"log loss {f.Quality.GetProperty("log_loss").GetDouble():F5} (constant {f.Constant.GetProperty("log_loss").GetDouble():F5}), ")
            + Invariant($"calibration {f.Quality.GetProperty("calibration").GetDouble():F3}, AUC {f.Quality.GetProperty("auc").GetDouble():F3}");
    }

    private sealed record Impression(long TimeMs, bool Clicked);

    /// <summary>The server on a loopback port with the click model, and its engine, stopped together.</summary>
    private sealed class AdServer(FreshetEngine engine, RunningServer server) : IAsyncDisposable
    {
        public Uri BaseAddress => server.BaseAddress;

        public async ValueTask DisposeAsync()
        {
            await server.DisposeAsync();
            await engine.DisposeAsync();
        }
    }

    private static async Task<AdServer> StartAsync()
    {
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Features, "ads.yaml"), new EngineOptions { ShardCount = 2 });
        var server = await FreshetServer.StartAsync(engine, new ServerOptions
        {
            Url = "http://127.0.0.1:0",
            FrameworkLogging = false,
            Models = ModelDefinitionLoader.Parse(Models, "models.yaml"),
        });
        return new AdServer(engine, server);
    }

    private static async Task<string> ReplayAsync(AdServer server, string path, params string[] options)
    {
        var (exitCode, output, error) = await ReplayFiles.RunAsync(
            ["replay", path, "--time-unit", "ms", "--server", server.BaseAddress.ToString(), .. options]);
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Matches(@"  rejected     0\b", output);
        return output;
    }

    private static async Task PostAsync(AdServer server, string ndjson)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var content = new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson");
        using var response = await client.PostAsync("v1/events", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The click model's figures as they are (the replay waited for the learners), without asking for anything.</summary>
    private static async Task<Figures> GetModelsAsync(AdServer server)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        return Parse(await client.GetStringAsync("v1/models"));
    }

    /// <summary>Waits for the models to learn everything accepted (and, at the end of a stream, closes every window); the click model's figures.</summary>
    private static async Task<Figures> FlushAsync(AdServer server, bool closeWindows)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var response = await client.PostAsync($"v1/models/flush?close_windows={(closeWindows ? "true" : "false")}", null);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return Parse(text);
    }

    private static Figures Parse(string text)
    {
        var root = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(0, root.GetProperty("events_skipped").GetInt64());
        var model = root.GetProperty("models")[0];
        return new Figures(model, model.GetProperty("quality"), model.GetProperty("constant_rate"));
    }

    /// <summary>
    /// A CSV ad log in time order (type, time in ms, request, ad, site, user): impressions evenly over
    /// <paramref name="days"/>, each clicked with a probability from a logistic model of the ad, the site and the two
    /// together, after an exponential delay of mean 4 h (some come after the 24 h window, and are not attributed). The
    /// log ends with its last impression; each impression's truth is whether a click of it inside the window is in the log.
    /// </summary>
    private static (string Csv, List<Impression> Impressions) ClickLog(int impressions, int days, int seed)
    {
        var random = new Random(seed);
        var adEffect = Enumerable.Range(0, 60).Select(_ => Normal(random) * 0.9).ToArray();
        var siteEffect = Enumerable.Range(0, 20).Select(_ => Normal(random) * 0.7).ToArray();
        var events = new List<(long Time, int Order, string Line)>(impressions + 1_000);
        var clickAt = new long[impressions];
        long step = days * Day / impressions;
        for (int n = 0; n < impressions; n++)
        {
            long time = Start + (n * step);
            int ad = random.Next(adEffect.Length), site = random.Next(siteEffect.Length);
            double margin = -7.4 + adEffect[ad] + siteEffect[site] + ((ad + site) % 7 == 0 ? 1.5 : 0);
            string request = $"r{n}";
            events.Add((time, 0, Invariant($"impression,{time},{request},a{ad},s{site},u{random.Next(20_000)}")));
            clickAt[n] = long.MaxValue;
            if (random.NextDouble() < 1 / (1 + Math.Exp(-margin)))
            {
                long at = time + 1 + (long)(-Math.Log(1 - random.NextDouble()) * 4 * Hour);
                events.Add((at, 1, Invariant($"click,{at},{request},,,")));
                clickAt[n] = at;
            }
        }

        long end = Start + ((impressions - 1) * step);
        var csv = new StringBuilder("type,time,request,ad,site,user\n");
        foreach (var e in events.Where(e => e.Time <= end).OrderBy(e => e.Time).ThenBy(e => e.Order))
        {
            csv.Append(e.Line).Append('\n');
        }

        var truth = Enumerable.Range(0, impressions)
            .Select(n => new Impression(Start + (n * step), clickAt[n] <= end && clickAt[n] < Start + (n * step) + Day)).ToList();
        return (csv.ToString(), truth);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
