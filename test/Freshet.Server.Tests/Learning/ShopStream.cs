using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Learning;

/// <summary>
/// A shop's views and clicks for the model tests, and posting them to a server until its models have learned them.
/// Half the views are of shoes (users u0–u29, items s0…), half of bags (users u30–u59, items b0…); a third of the
/// views of shoes are clicked a minute later, 2 % of the bags.
/// </summary>
internal static class ShopStream
{
    /// <summary>NDJSON lines in time order, and the items each user viewed.</summary>
    public static (List<string> Lines, Dictionary<string, HashSet<string>> Seen) Generate(int seed, int views, int itemsPerCategory, long stepMs)
    {
        var random = new Random(seed);
        var events = new List<(long Time, string Line)>();
        var seen = new Dictionary<string, HashSet<string>>();
        for (int n = 0; n < views; n++)
        {
            long time = T0 + (n * stepMs);
            bool shoes = random.Next(2) == 0;
            string user = $"u{(shoes ? 0 : 30) + random.Next(30)}";
            string item = $"{(shoes ? "s" : "b")}{random.Next(itemsPerCategory)}";
            string category = shoes ? "shoes" : "bags";
            events.Add((time, Event("view", time, item, user, category)));
            (seen.TryGetValue(user, out var items) ? items : seen[user] = []).Add(item);
            if (random.NextDouble() < (shoes ? 0.33 : 0.02))
            {
                events.Add((time + 60_000, Event("click", time + 60_000, item, user, category)));
            }
        }

        return ([.. events.OrderBy(e => e.Time).Select(e => e.Line)], seen);
    }

    /// <summary>Posts the lines in chunks, then waits until the models (on their own thread) have learned every one.</summary>
    public static async Task PostAndLearnAsync(TestServer server, IReadOnlyList<string> lines, int chunk = 500)
    {
        long before = (await server.GetJsonAsync("v1/models")).GetProperty("events_learned").GetInt64();
        foreach (var part in lines.Chunk(chunk))
        {
            await ReadAsync(await server.PostEventsAsync(string.Concat(part)), 200);
        }

        long learned = 0;
        for (int i = 0; i < 1_000 && (learned = (await server.GetJsonAsync("v1/models")).GetProperty("events_learned").GetInt64()) < before + lines.Count; i++)
        {
            await Task.Delay(20);
        }

        Assert.True(learned == before + lines.Count, $"the models saw {learned - before} of {lines.Count} events within 20 s");
    }
}
