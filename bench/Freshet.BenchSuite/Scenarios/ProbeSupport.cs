using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Freshet.BenchSuite.Suite;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>What the memory probes against a real <c>freshet serve</c> share: their options, posting NDJSON, and the report line.</summary>
internal static class ProbeSupport
{
    /// <summary>
    /// Posts NDJSON to <c>/v1/events</c>; throws on a 5xx, and on any other failure unless <paramref name="clientErrorsAllowed"/>
    /// (a probe that sends rejected events or floods on purpose gets 400/422/429 for them).
    /// </summary>
    public static async Task PostEventsAsync(HttpClient http, string ndjson, bool clientErrorsAllowed = false)
    {
        using var content = new StringContent(ndjson, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await http.PostAsync("v1/events", content);
        if ((int)response.StatusCode >= 500 || (!clientErrorsAllowed && !response.IsSuccessStatusCode))
        {
            throw new InvalidOperationException($"POST /v1/events: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>One line: the server's RSS and the size of its ids.journal.</summary>
    public static void Report(string when, ServeProcess serve, string journal)
    {
        long journalBytes = File.Exists(journal) ? new FileInfo(journal).Length : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{when}: RSS {serve.Rss() / (1024.0 * 1024):0} MiB, ids.journal {journalBytes / (1024.0 * 1024):0.0} MiB"));
    }

    public static int Option(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : fallback;

    public static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
