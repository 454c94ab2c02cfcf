using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Api;

/// <summary>One request to the API and the status it should get (the body's content type is JSON unless said).</summary>
internal sealed record ApiSample(string Endpoint, HttpMethod Method, string Path, int Status, string? Body = null, string ContentType = "application/json")
{
    public override string ToString() => $"{Method} /{Path} → {Status}";

    public HttpRequestMessage Request()
    {
        var request = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            request.Content = new StringContent(Body, System.Text.Encoding.UTF8, ContentType);
        }

        return request;
    }
}

/// <summary>
/// Requests that use every query parameter of every endpoint, and typical errors, against <see cref="DescribedServer"/>
/// (the shop stream: items s0–s19 and b0–b19, users u0–u59, views from <see cref="T0"/> one a second for 400 s).
/// </summary>
internal static class ApiSamples
{
    private const long AsOf = T0 + 300_000;

    public static readonly ApiSample[] All =
    [
        new("Root", HttpMethod.Get, "", 200),
        new("IngestEvents", HttpMethod.Post, "v1/events?wait=true", 200,
            Event("view", T0 + 400_000, "s1", "u1", "shoes", id: "sample-1"), "application/x-ndjson"),
        new("IngestEvents", HttpMethod.Post, "v1/events", 422,
            Event("view", T0 + 400_000, "s1", "u1", "shoes") + "{\"time\": 1763719200000}\n", "application/x-ndjson"),
        new("IngestEvents", HttpMethod.Post, "v1/events", 400, "[{\"type\": \"view\", \"time\": 1763719200000, \"item\": ]"),
        new("IngestEvents", HttpMethod.Post, "v1/events", 415, Event("view", T0, "s1"), "text/plain"),
        new("GetVector", HttpMethod.Get, $"v1/vector/item?key=s1&features=item_views,item_ctr&windows=1h,24h&as_of={AsOf}", 200),
        new("GetVector", HttpMethod.Get, "v1/vector/user?key=u3", 200),
        new("GetVector", HttpMethod.Get, "v1/vector/user_category?key=u3&key=shoes", 200),
        new("GetVector", HttpMethod.Get, "v1/vector/shop?key=s1", 404),
        new("GetVector", HttpMethod.Get, "v1/vector/item?key=s1&as_of=yesterday", 400),
        new("GetVectors", HttpMethod.Post, "v1/vectors/item", 200,
            $"{{\"keys\": [\"s1\", [\"s2\"]], \"features\": [\"item_views\"], \"windows\": [\"1h\"], \"as_of\": {AsOf}}}"),
        new("GetVectors", HttpMethod.Post, "v1/vectors/item", 400, "{\"keys\": []}"),
        new("GetSeries", HttpMethod.Get, $"v1/series/item_views?key=s1&resolution=1h&from={T0}&to={T0 + 400_000}", 200),
        new("GetSeries", HttpMethod.Get, $"v1/series/item_views?key=s1&from={T0 + 400_000}&to={T0}", 400),
        new("GetProfile", HttpMethod.Get, "v1/profile/item_views?key=s1&kind=day_of_week&days=7", 200),
        new("GetProfile", HttpMethod.Get, "v1/profile/nope?key=s1", 404),
        new("GetTop", HttpMethod.Get, $"v1/top/site_top_items?window=1h&k=3&as_of={AsOf}&with=item_views&order_by=item_ctr", 200),
        new("GetTop", HttpMethod.Get, "v1/top/item_views?key=s1", 422),
        new("GetCatalog", HttpMethod.Get, "v1/features", 200),
        new("GetFeature", HttpMethod.Get, "v1/features/item_ctr", 200),
        new("GetFeature", HttpMethod.Get, "v1/features/nope", 404),
        new("GetStats", HttpMethod.Get, "v1/stats", 200),
        new("GetModels", HttpMethod.Get, "v1/models", 200),
        new("FlushModels", HttpMethod.Post, "v1/models/flush?timeout=30s", 200),
        new("FlushModels", HttpMethod.Post, "v1/models/flush?close_windows=maybe", 400),
        new("Score", HttpMethod.Post, "v1/score", 200,
            "{\"model\": \"clicks\", \"context\": {\"user\": \"u3\"}, \"candidates\": [{\"item\": \"s1\", \"category\": \"shoes\"}, {\"item\": \"b1\", \"category\": \"bags\"}]}"),
        new("Score", HttpMethod.Post, "v1/score", 400, "{\"model\": \"clicks\", \"candidates\": [{\"item\": 1}"),
        new("Score", HttpMethod.Post, "v1/score", 404, "{\"model\": \"nope\", \"candidates\": [{\"item\": \"s1\"}]}"),
        new("Recommend", HttpMethod.Get, "v1/recommend?model=for_you&user=u3&k=3", 200),
        new("Recommend", HttpMethod.Get, "v1/recommend?model=for_you&user=u3&k=0", 400),
        new("Similar", HttpMethod.Get, "v1/similar?model=for_you&item=s1&k=3", 200),
        new("Similar", HttpMethod.Get, "v1/similar?model=for_you&item=zz", 404),
        new("Live", HttpMethod.Get, "healthz", 200),
        new("Ready", HttpMethod.Get, "readyz", 200),
    ];
}
