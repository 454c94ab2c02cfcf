using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Freshet.BenchSuite.Suite;
using Freshet.BenchSuite.Workload;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// The models of the in-process ranking figures served by the real <c>freshet serve --models</c> on loopback: after
/// the server learned a stream of views and clicks of 100,000 items (posted to <c>/v1/events</c>), the latency of
/// <c>POST /v1/score</c> with 100 candidates for one user — with hashed fields only, as in process, and with two live
/// item features read from the engine — and of <c>GET /v1/recommend</c> (top 10 of 100,000 items). One keep-alive
/// connection, one request at a time after a warm-up, timed from sending to the last byte of the answer: latency,
/// not throughput.
/// </summary>
internal sealed class ModelHttpScenario : IScenario
{
    private const int Candidates = 100;
    private const int BatchEvents = 5_000;

    public string Name => "Models over HTTP (freshet serve --models on loopback)";

    public async Task RunAsync(SuiteContext context)
    {
        string root = Path.Combine(Path.GetTempPath(), "freshet-bench-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string features = Path.Combine(root, "features.yaml"), models = Path.Combine(root, "models.yaml");
            await File.WriteAllTextAsync(features, ModelWorkload.FeaturesYaml);
            await File.WriteAllTextAsync(models, ModelWorkload.ModelsYaml);
            using var server = ServeProcess.Start("--features", features, "--models", models, "--in-memory", "--shards", "2");
            using var client = new HttpClient { BaseAddress = server.BaseAddress };
            var clock = Stopwatch.StartNew();
            // Every item once, then more views: about as many as the in-process recommender learns in the full run, fewer in
            // the quick one (learning them is most of this scenario's time; the figures hardly depend on it, as scoring
            // costs the same on any weights and a recommendation scans every item whatever it learned).
            int views = ModelWorkload.Items + (context.Options.Quick ? 100_000 : 400_000);
            long posted = await FeedAsync(client, views);
            double postedSeconds = clock.Elapsed.TotalSeconds;
            var learned = await WaitForLearnerAsync(client, posted);
            context.Log($"  {posted:N0} events posted in {postedSeconds:0.0} s, learned {clock.Elapsed.TotalSeconds - postedSeconds:0.0} s later: {Describe(learned)}");
            // The stream's text is garbage now: collect it here rather than in the middle of a measurement.
            GC.Collect();
            await MeasureAsync(context, client);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Posts the whole stream in NDJSON batches, one request at a time so the models learn it in order; returns the events posted.</summary>
    private static async Task<long> FeedAsync(HttpClient client, int views)
    {
        var workload = new ModelWorkload(seed: 5, views, startMs: 1_763_719_200_000);
        var body = new StringBuilder(BatchEvents * 90);
        while (!workload.Done)
        {
            body.Clear();
            workload.Append(body, BatchEvents);
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToString()));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var response = await client.PostAsync("v1/events", content);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"posting the models' stream: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        return workload.Written;
    }

    /// <summary>Waits until the learner (its own thread in the server) has seen every posted event; returns <c>GET /v1/models</c>.</summary>
    private static async Task<JsonElement> WaitForLearnerAsync(HttpClient client, long posted)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var models = JsonDocument.Parse(await client.GetStringAsync("v1/models")).RootElement.Clone();
            long learned = models.GetProperty("events_learned").GetInt64(), skipped = models.GetProperty("events_skipped").GetInt64();
            if (skipped > 0 || models.GetProperty("failures").GetInt64() > 0)
            {
                throw new InvalidOperationException($"the models did not learn the whole stream (the figures would be of smaller models): {models}");
            }

            if (learned >= posted)
            {
                var recommender = Model(models, ModelWorkload.Recommender);
                if (recommender.GetProperty("items").GetInt64() != ModelWorkload.Items || Model(models, ModelWorkload.ClickModel).GetProperty("positives").GetInt64() == 0)
                {
                    throw new InvalidOperationException($"expected a recommender of {ModelWorkload.Items:N0} items and a click model with positives: {models}");
                }

                return models;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"the models learned {learned:N0} of {posted:N0} posted events within 120 s: {models}");
            }

            await Task.Delay(20);
        }
    }

    private async Task MeasureAsync(SuiteContext context, HttpClient client)
    {
        var options = context.Options;
        string candidates = $"{Candidates} candidates for one user";
        var score50 = context.Figure(Name, $"POST /v1/score, {candidates} (hashed fields, as in process), p50", "µs", Better.Lower);
        var score99 = context.Figure(Name, $"POST /v1/score, {candidates} (hashed fields, as in process), p99", "µs", Better.Lower);
        var live50 = context.Figure(Name, $"POST /v1/score, {candidates}, plus 2 live item features, p50", "µs", Better.Lower);
        var live99 = context.Figure(Name, $"POST /v1/score, {candidates}, plus 2 live item features, p99", "µs", Better.Lower);
        var recommend50 = context.Figure(Name, $"GET /v1/recommend, top 10 of {ModelWorkload.Items:N0} items, p50", "µs", Better.Lower);
        var recommend99 = context.Figure(Name, $"GET /v1/recommend, top 10 of {ModelWorkload.Items:N0} items, p99", "µs", Better.Lower);

        // A few dozen users, each with candidates drawn as a feed would (popular items more often), rendered once.
        var random = new Random(17);
        var users = Enumerable.Range(0, 64).Select(_ => $"u{random.Next(ModelWorkload.Users)}").ToArray();
        var scoreBodies = users.Select(u => ScoreBody(ModelWorkload.ClickModel, u, random)).ToArray();
        var liveBodies = users.Select(u => ScoreBody(ModelWorkload.LiveClickModel, u, random)).ToArray();
        var recommendPaths = users.Select(u => $"v1/recommend?model={ModelWorkload.Recommender}&user={u}&k=10").ToArray();
        var score = (int n) => Post(scoreBodies[n % scoreBodies.Length]);
        var live = (int n) => Post(liveBodies[n % liveBodies.Length]);
        var recommend = (int n) => new HttpRequestMessage(HttpMethod.Get, recommendPaths[n % recommendPaths.Length]);

        await CheckAsync(client, score(0), "ranked", Candidates);
        await CheckAsync(client, live(0), "ranked", Candidates);
        await CheckAsync(client, recommend(0), "items", 10);
        // Warm-up, not reported: the server's code tiers up (and so does this client's).
        await TimeAsync(client, score, 500);
        await TimeAsync(client, live, 500);
        await TimeAsync(client, recommend, 200);

        int scores = options.Quick ? 1_000 : 3_000, recommendations = options.Quick ? 300 : 1_000;
        for (int run = 0; run < options.Runs; run++)
        {
            var scoring = await TimeAsync(client, score, scores);
            var liveScoring = await TimeAsync(client, live, scores);
            var recommending = await TimeAsync(client, recommend, recommendations);
            score50.Samples.Add(scoring.At(0.5));
            score99.Samples.Add(scoring.At(0.99));
            live50.Samples.Add(liveScoring.At(0.5));
            live99.Samples.Add(liveScoring.At(0.99));
            recommend50.Samples.Add(recommending.At(0.5));
            recommend99.Samples.Add(recommending.At(0.99));
            context.Log($"  run {run + 1}: score p50 {score50.Samples[^1]:N0} µs, p99 {score99.Samples[^1]:N0} µs; with live features p50 {live50.Samples[^1]:N0} µs, "
                + $"p99 {live99.Samples[^1]:N0} µs; recommend p50 {recommend50.Samples[^1]:N0} µs, p99 {recommend99.Samples[^1]:N0} µs");
        }
    }

    /// <summary>Sends <paramref name="count"/> requests one after another and returns their latencies in µs.</summary>
    private static async Task<Percentiles> TimeAsync(HttpClient client, Func<int, HttpRequestMessage> request, int count)
    {
        var latencies = new Percentiles();
        double tick = 1e6 / Stopwatch.Frequency;
        for (int n = 0; n < count; n++)
        {
            using var message = request(n);
            long start = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
            latencies.Add((Stopwatch.GetTimestamp() - start) * tick);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{message.Method} {message.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        return latencies;
    }

    /// <summary>Sends one request and checks that its answer lists as many results as asked, so the figures time real work.</summary>
    private static async Task CheckAsync(HttpClient client, HttpRequestMessage request, string list, int expected)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            string json = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || JsonDocument.Parse(json).RootElement.GetProperty(list).GetArrayLength() != expected)
            {
                throw new InvalidOperationException($"{request.Method} {request.RequestUri}: expected {expected} '{list}', got {(int)response.StatusCode} {json}");
            }
        }
    }

    private static HttpRequestMessage Post(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, "v1/score") { Content = content };
    }

    private static byte[] ScoreBody(string model, string user, Random random)
    {
        var body = new StringBuilder(Candidates * 40);
        body.Append(CultureInfo.InvariantCulture, $"{{\"model\":\"{model}\",\"context\":{{\"user\":\"{user}\"}},\"candidates\":[");
        for (int c = 0; c < Candidates; c++)
        {
            int item = ModelWorkload.PopularItem(random);
            body.Append(CultureInfo.InvariantCulture, $"{(c == 0 ? "" : ",")}{{\"item\":\"i{item}\",\"category\":\"{ModelWorkload.Category(item)}\"}}");
        }

        return Encoding.UTF8.GetBytes(body.Append("]}").ToString());
    }

    private static JsonElement Model(JsonElement models, string name) =>
        models.GetProperty("models").EnumerateArray().First(m => m.GetProperty("name").GetString() == name);

    private static string Describe(JsonElement models)
    {
        var click = Model(models, ModelWorkload.ClickModel);
        var recommender = Model(models, ModelWorkload.Recommender);
        return string.Create(CultureInfo.InvariantCulture,
            $"click model {click.GetProperty("labels_final").GetInt64():N0} examples labelled ({click.GetProperty("positives").GetInt64():N0} positives), "
            + $"recommender {recommender.GetProperty("items").GetInt64():N0} items, {recommender.GetProperty("users").GetInt64():N0} users, {recommender.GetProperty("interactions").GetInt64():N0} interactions");
    }
}
