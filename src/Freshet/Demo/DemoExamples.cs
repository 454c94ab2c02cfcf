using System.Diagnostics;
using Freshet.Aggregation;
using Freshet.Engine;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Learning.Pipeline;
using Freshet.Synthetic;
using Freshet.Time;

namespace Freshet.Cli.Demo;

/// <summary>A ready-to-paste command and, in a few words, what it returns.</summary>
internal sealed record CurlExample(string Description, string Command);

/// <summary>Where the demo's server listens, the examples to try on it, and the file they were written to (null when it could not be).</summary>
internal sealed record DemoEndpoint(Uri BaseAddress, IReadOnlyList<CurlExample> Examples, string? ExamplesFile = null);

/// <summary>
/// Keys of the running stream the examples ask about: the hottest item of the site's top-k, and a user active right now
/// (the one the live view starts by following). Null where the definitions have no such entity or no data came yet.
/// </summary>
internal sealed record DemoKeys(string? Item, string? User);

/// <summary>
/// The curl commands the demo prints once its server listens: the catalog, the trending items with their CTR and
/// trend, an item's and a user's vectors, an item's hourly series and hour-of-day profile, all with keys that have
/// data in the running stream, so a newcomer's first paste returns numbers rather than zeros; with models, their
/// figures and the active user's recommendations.
/// </summary>
internal static class DemoExamples
{
    private const int TopItems = 10;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits until the engine answers with data for an item and a user (polling, up to <paramref name="timeout"/>, or
    /// until <paramref name="producing"/> turns false: once the producer has stopped no data will come), and returns
    /// the keys found by then; those still missing are null.
    /// </summary>
    public static async Task<DemoKeys> WaitForKeysAsync(FreshetEngine engine, SyntheticStream stream, DemoFeatures features,
        Func<bool> producing, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var keys = new DemoKeys(null, null);
        var candidates = new Queue<string>();
        while (true)
        {
            keys = new DemoKeys(keys.Item ?? HottestItem(engine, features), keys.User ?? ActiveUser(engine, stream, features, candidates));
            if (IsComplete(keys, features) || !producing() || Stopwatch.GetElapsedTime(start) >= timeout)
            {
                return keys;
            }

            try
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return keys;
            }
        }
    }

    /// <summary>True when every key the definitions can use was found.</summary>
    public static bool IsComplete(DemoKeys keys, DemoFeatures features) =>
        (keys.Item is not null || features.TopItems is null || features.ItemEntity is null)
        && (keys.User is not null || features.UserEntity is null);

    /// <summary>The examples the definitions and keys allow, against the server at <paramref name="baseAddress"/> (ending in '/').</summary>
    public static IReadOnlyList<CurlExample> Build(Uri baseAddress, DemoFeatures f, DemoKeys keys, ModelSet? models = null)
    {
        // A server listening on every interface (--url http://0.0.0.0:PORT) is reached here on loopback.
        if (baseAddress.Host == "0.0.0.0")
        {
            baseAddress = new UriBuilder(baseAddress) { Host = "127.0.0.1" }.Uri;
        }

        var examples = new List<CurlExample> { new("The catalog: every feature, as declared", Curl(baseAddress, "v1/features")) };
        if (f.TopItems is { } top)
        {
            var with = new[] { f.Ctr?.Name, f.Trend?.Name }.OfType<string>().ToList();
            string query = $"window={Duration.Format(f.TopItemsWindowMs)}&k={Math.Min(TopItems, top.Definition.K)}";
            string description = $"Trending: the top {Math.Min(TopItems, top.Definition.K)} items of the last {Duration.Format(f.TopItemsWindowMs)}";
            if (f.ItemEntity is not null && with.Count > 0)
            {
                query += $"&with={string.Join(",", with)}";
                description += $" with their {string.Join(" and ", with)}";
                if (f.Trend is { } trend)
                {
                    query += $"&order_by={trend.Name}";
                    description += $", ordered by {trend.Name}";
                }
            }

            examples.Add(new(description, Curl(baseAddress, $"v1/top/{top.Name}?{query}")));
        }

        if (keys.Item is { } item && f.ItemEntity is { } itemEntity)
        {
            var names = new[] { f.Views?.Name, f.Ctr?.Name, f.Trend?.Name }.OfType<string>().ToList();
            string features = names.Count == 0 ? "" : $"&features={string.Join(",", names)}";
            examples.Add(new($"Item {item}, the hottest right now: {(names.Count == 0 ? "every feature" : string.Join(", ", names))}",
                Curl(baseAddress, $"v1/vector/{itemEntity}?key={Escape(item)}{features}")));
        }

        if (keys.User is { } user && f.UserEntity is { } userEntity)
        {
            examples.Add(new($"User {user}, active right now: every feature of the {userEntity} entity",
                Curl(baseAddress, $"v1/vector/{userEntity}?key={Escape(user)}")));
        }

        // A series and a profile need a count or sum (a feature with tiles); the item's views are the natural one.
        if (keys.Item is { } seriesItem && f.Views is { } views)
        {
            examples.Add(new($"Item {seriesItem}'s {views.Name} hour by hour over the last 7 days",
                Curl(baseAddress, $"v1/series/{views.Name}?key={Escape(seriesItem)}&resolution=1h")));
            examples.Add(new($"Item {seriesItem}'s {views.Name} by hour of day (UTC): the shop's daily rhythm",
                Curl(baseAddress, $"v1/profile/{views.Name}?key={Escape(seriesItem)}&kind=hour_of_day")));
        }

        if (models is { Count: > 0 })
        {
            examples.Add(new("The models learning from the stream: live log loss, AUC and NE beside the constant rate's", Curl(baseAddress, "v1/models")));
            if (keys.User is { } recommendFor && models.Recommenders.FirstOrDefault() is { } recommender)
            {
                examples.Add(new($"User {recommendFor}'s top 5 items from {recommender.Name}, leaving out what the user has seen",
                    Curl(baseAddress, $"v1/recommend?model={Escape(recommender.Name)}&user={Escape(recommendFor)}&k=5")));
            }
        }

        return examples;
    }

    /// <summary>
    /// The address and the examples as plain lines, each command alone on its line under a comment saying what it
    /// returns: for logs and pipes, and for terminals too narrow for the live view to show a command whole.
    /// </summary>
    public static void WritePlain(TextWriter output, DemoEndpoint endpoint)
    {
        output.WriteLine($"Serving at {endpoint.BaseAddress} (the engine this demo feeds). Try, in another terminal:");
        foreach (var example in endpoint.Examples)
        {
            output.WriteLine($"  # {example.Description}");
            output.WriteLine($"  {example.Command}");
        }

        if (endpoint.ExamplesFile is { } file)
        {
            output.WriteLine($"(These commands are also in {file}.)");
        }

        output.Flush();
    }

    /// <summary>
    /// Writes the examples as a shell script, each command on its own line under a comment saying what it returns, to a
    /// file named by the server's port in the temporary directory (two demos on two ports do not overwrite each
    /// other's). Returns its path, or null with the reason in <paramref name="problem"/> when it cannot be written.
    /// </summary>
    public static string? WriteFile(DemoEndpoint endpoint, out string? problem)
    {
        string path = Path.Combine(Path.GetTempPath(), "freshet-demo", $"examples-{endpoint.BaseAddress.Port}.sh");
        var text = new System.Text.StringBuilder();
        text.Append("#!/bin/sh\n# freshet demo at ").Append(endpoint.BaseAddress).Append(": paste a line, or run this file to try them all.\n");
        foreach (var example in endpoint.Examples)
        {
            text.Append("\n# ").Append(example.Description).Append('\n').Append(example.Command).Append('\n');
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text.ToString());
            problem = null;
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"The examples could not be written to {path}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// A curl command for <paramref name="pathAndQuery"/>, the URL in single quotes so that a shell passes the
    /// <c>&amp;</c> and <c>?</c> through untouched (a quote inside is closed, escaped and reopened).
    /// </summary>
    public static string Curl(Uri baseAddress, string pathAndQuery) =>
        $"curl -s '{new Uri(baseAddress, pathAndQuery).AbsoluteUri.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static string Escape(string key) => Uri.EscapeDataString(key);

    /// <summary>The heaviest item of the site's top-k whose own view count has reached the engine too (another shard).</summary>
    private static string? HottestItem(FreshetEngine engine, DemoFeatures f)
    {
        if (f.TopItems is null || f.ItemEntity is null)
        {
            return null;
        }

        var top = engine.Reader.ReadVector(f.TopItems.Entity.Name, [], new VectorQuery { Features = [f.TopItems.Name], WindowsMs = [f.TopItemsWindowMs] });
        string? item = top.Value?.Readings[0].Value.Items is [var heaviest, ..] ? heaviest.Item : null;
        if (item is null)
        {
            return null;
        }

        var query = f.Views is null ? null : new VectorQuery { Features = [f.Views.Name] };
        return HasData(engine, engine.Reader.ReadVector(f.ItemEntity, [item], query)) ? item : null;
    }

    /// <summary>
    /// A user of a recent session whose features the engine already holds. The stream's latest user is usually not
    /// applied yet (the shard queues hold a fraction of a second of events), so the users seen at earlier polls are
    /// kept as candidates and asked about again, oldest first.
    /// </summary>
    private static string? ActiveUser(FreshetEngine engine, SyntheticStream stream, DemoFeatures f, Queue<string> candidates)
    {
        const int candidatesMax = 64;
        if (f.UserEntity is null)
        {
            return null;
        }

        if (stream.RecentUser is { } recent && !candidates.Contains(recent))
        {
            if (candidates.Count == candidatesMax)
            {
                candidates.Dequeue();
            }

            candidates.Enqueue(recent);
        }

        return candidates.FirstOrDefault(user => HasData(engine, engine.Reader.ReadVector(f.UserEntity, [user])));
    }

    /// <summary>
    /// True when the read was answered and a feature with state of its own has a value: derived ones answer even for keys
    /// without events (a ratio its prior, a trend 1).
    /// </summary>
    private static bool HasData(FreshetEngine engine, ReadResult<FeatureVector> read) => read.Value is { } vector && vector.Readings.Any(r =>
        engine.Catalog.TryGetFeature(r.Feature, out var feature) && !feature.IsDerived && r.Value.Kind switch
    {
        FeatureValueKind.Number => double.IsFinite(r.Value.Number) && r.Value.Number != 0,
        FeatureValueKind.Items => r.Value.Items is { Length: > 0 },
        _ => false,
    });
}
