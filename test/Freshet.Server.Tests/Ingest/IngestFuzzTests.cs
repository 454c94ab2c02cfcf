using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

/// <summary>
/// Hostile bodies against the real server: seeded mutations of valid events (lone surrogates, non-finite and huge
/// numbers, repeated keys, deep nesting, objects and arrays as values, truncation, byte flips, invalid UTF-8, control
/// characters, very long strings, empty keys, wrong types for type/time/id, a BOM, gzip that is not gzip) sent mixed
/// with valid events. Every answer must be 200 or 4xx, never 5xx, and every valid event must be kept exactly once.
/// </summary>
public sealed class IngestFuzzTests(ITestOutputHelper output)
{
    /// <summary>Fixed so a failure reproduces; printed in every failure message.</summary>
    private const int Seed = 20_261_204;

    private const int Requests = 160;

    // Valid events are one minute before the test server's fixed wall clock: a mutated time that is accepted can move
    // the event-time clock at most max_future (5m) past the wall clock, which stays inside allowed_lateness (10m).
    private const long ValidTime = T0 + (2 * 3_600_000) - 60_000;

    /// <summary>What the parser must make of a mutated event.</summary>
    private enum Outcome
    {
        /// <summary>Rejected for sure; the JSON stays well-formed, so it may sit anywhere in an array.</summary>
        RejectedWellFormed,
        /// <summary>Rejected for sure, and the JSON is broken: in an array it can only be the last element.</summary>
        RejectedMalformed,
        /// <summary>Random damage that may or may not leave a valid event (a byte flip in a string is harmless); last in an array.</summary>
        Unknown,
    }

    private sealed record Case(string Class, byte[] Bytes, Outcome Outcome);

    [Fact]
    public async Task PostEvents_SeededHostileBodiesMixedWithValidEvents_Answer200Or4xxAndKeepEveryValidEvent()
    {
        await using var server = await StartAsync();
        // Sets the event-time clock first, so a "late" case is late in the first request too.
        await ReadAsync(await server.PostEventsAsync(Event("view", ValidTime, "warm-up")), 200);
        var random = new Random(Seed);
        int cases = 0;
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < Requests; r++)
        {
            bool array = random.Next(3) == 0;
            int valid = 2 + random.Next(6);
            var bad = Enumerable.Range(0, 10 + random.Next(20)).Select(c => Mutate(random, r, c)).ToList();
            if (array)
            {
                // After a syntax error an array cannot be read on (there is no reliable next element), so broken or
                // randomly damaged events go last; well-formed bad events go anywhere.
                var last = bad.FirstOrDefault(c => c.Outcome != Outcome.RejectedWellFormed);
                bad = bad.Where(c => c.Outcome == Outcome.RejectedWellFormed).ToList();
                var body = Shuffle(random, bad.Select(c => c.Bytes).Concat(ValidEvents(r, valid)).ToList());
                if (last is not null)
                {
                    body.Add(last.Bytes);
                    bad.Add(last);
                }

                await SendAsync(server, r, Join(random, body, array: true), "application/json", bad, valid, random);
            }
            else
            {
                var body = Shuffle(random, bad.Select(c => c.Bytes).Concat(ValidEvents(r, valid)).ToList());
                await SendAsync(server, r, Join(random, body, array: false), "application/x-ndjson", bad, valid, random);
            }

            cases += bad.Count;
            foreach (var c in bad)
            {
                classes[c.Class] = classes.GetValueOrDefault(c.Class) + 1;
            }
        }

        output.WriteLine($"seed {Seed}: {Requests} requests, {cases} hostile cases: " + string.Join(", ", classes.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(cases >= 2000, $"seed {Seed}: only {cases} cases were generated");
        Assert.True(classes.Count >= 20, $"seed {Seed}: only {classes.Count} classes were generated: {string.Join(", ", classes.Keys)}");
    }

    [Fact]
    public async Task PostEvents_GzipEncodingOnABodyThatIsNotGzip_Is4xxAndTakesNothing()
    {
        await using var server = await StartAsync();
        var random = new Random(Seed);
        for (int r = 0; r < 20; r++)
        {
            byte[] body = r % 2 == 0
                ? Join(random, ValidEvents(r, 3).ToList(), array: false)
                : [0x1f, 0x8b, .. Gzip(Join(random, ValidEvents(r, 3).ToList(), array: false)).AsSpan(2, random.Next(1, 12))]; // A gzip header, cut.
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            content.Headers.ContentEncoding.Add("gzip");
            using var response = await server.Client.PostAsync("v1/events?wait=true", content);
            int status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"seed {Seed}, request {r}: not-gzip body answered {status}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(0, await ViewsAsync(server, $"ok{r}"));
        }
    }

    [Fact]
    public async Task PostEvents_TwoPricesNearDoubleMax_AreRejectedAndRevenueStaysFinite()
    {
        await using var server = await StartAsync();
        string body = Event("purchase", ValidTime, "a", price: 1.7e308) + Event("purchase", ValidTime, "a", price: 1.7e308)
            + Event("purchase", ValidTime, "a", price: 10) + """{"type": "purchase", "time": 1763726340000, "item": "a", "price": 1e400}""" + "\n";

        var problem = await ReadAsync(await server.PostEventsAsync(body), 422);

        Assert.Equal(1, problem.GetProperty("accepted").GetInt32());
        var rejected = problem.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Equal([0, 1, 3], rejected.Select(e => e.GetProperty("index").GetInt32()));
        Assert.All(rejected, e => Assert.Equal("invalid_number", e.GetProperty("reason").GetString()));
        Assert.All(rejected, e => Assert.Equal("price", e.GetProperty("field").GetString()));
        var vector = await server.GetJsonAsync("v1/vector/item?key=a&features=item_revenue");
        Assert.Equal(10, vector.GetProperty("features").GetProperty("item_revenue").GetProperty("1d").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task PostEvents_LoneSurrogate_IsRejectedAloneNot500()
    {
        await using var server = await StartAsync();
        string body = Event("view", ValidTime, "a") + """{"type": "view", "time": 1763726340000, "item": "\ud800"}""" + "\n" + Event("view", ValidTime, "a");

        var problem = await ReadAsync(await server.PostEventsAsync(body), 422);

        Assert.Equal(2, problem.GetProperty("accepted").GetInt32());
        var rejected = Assert.Single(problem.GetProperty("rejected").EnumerateArray());
        Assert.Equal(1, rejected.GetProperty("index").GetInt32());
        Assert.Equal("invalid_string", rejected.GetProperty("reason").GetString());
        Assert.Contains("\\ud800", rejected.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, await ViewsAsync(server, "a"));
    }

    private static async Task SendAsync(TestServer server, int r, byte[] body, string contentType, List<Case> bad, int valid, Random random)
    {
        bool gzip = random.Next(8) == 0;
        using var content = new ByteArrayContent(gzip ? Gzip(body) : body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        using var response = await server.Client.PostAsync("v1/events?wait=true", content);
        string text = await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        string where = $"seed {Seed}, request {r} ({contentType}{(gzip ? ", gzip" : "")}, {valid} valid, bad: {string.Join(" ", bad.Select(c => c.Class))})";
        Assert.True(status is 200 or (>= 400 and < 500), $"{where}: answered {status}: {text}\nbody: {Shorten(body)}");
        Assert.True(status is 200 or 400 or 422, $"{where}: answered {status}, expected 200, 400 or 422: {text}");
        using var answer = JsonDocument.Parse(text);
        int accepted = answer.RootElement.GetProperty("accepted").GetInt32();
        int duplicates = answer.RootElement.GetProperty("duplicates").GetInt32();
        int unknown = bad.Count(c => c.Outcome == Outcome.Unknown);
        // A byte flip can turn a bad event into a valid one, or split one line into two; never into one of the valid
        // events (their ids and items have another length), so the valid ones are all in, and nothing else but those.
        Assert.True(accepted + duplicates >= valid && accepted <= valid + (2 * unknown),
            $"{where}: accepted {accepted} (+{duplicates} duplicates) of {valid} valid events and {unknown} randomly damaged ones: {text}\nbody: {Shorten(body)}");
        if (r % 4 == 0)
        {
            Assert.True(await ViewsAsync(server, $"ok{r}") == valid, $"{where}: item ok{r} should count its {valid} valid views exactly once");
        }
    }

    private static async Task<double> ViewsAsync(TestServer server, string item)
    {
        var vector = await server.GetJsonAsync($"v1/vector/item?key={item}&features=item_views");
        return vector.GetProperty("features").GetProperty("item_views").GetProperty("1d").GetProperty("value").GetDouble();
    }

    private static IEnumerable<byte[]> ValidEvents(int r, int count) => Enumerable.Range(0, count).Select(i =>
        Encoding.UTF8.GetBytes($$"""{"id": "ok-{{r}}-{{i}}", "type": "view", "time": {{ValidTime}}, "item": "ok{{r}}", "user": "u{{i}}", "price": {{i}}.5}"""));

    /// <summary>One mutated event: a valid template (its id and item never collide with a valid event's) damaged by one class.</summary>
    private static Case Mutate(Random random, int r, int c)
    {
        string id = $"\"id\": \"zz{r}-{c}\"";
        string head = $"{id}, \"type\": \"view\", \"time\": {ValidTime}";
        string item = $"\"item\": \"zzz{r}x{c}\"";
        string Ev(string fields) => "{" + fields + "}";
        Case Well(string name, string json) => new(name, Encoding.UTF8.GetBytes(json), Outcome.RejectedWellFormed);
        Case Broken(string name, string json) => new(name, Encoding.UTF8.GetBytes(json), Outcome.RejectedMalformed);
        string surrogate = random.Next(4) switch { 0 => "\\ud800", 1 => "\\udc00", 2 => "\\ud800\\u0041", _ => "x\\udbffy" };
        string huge = random.Next(5) switch
        {
            0 => "1e400",
            1 => "-1e400",
            2 => new string('9', 5000),
            3 => "1e101",
            _ => "-" + new string('7', 400),
        };
        string template = Ev($"{head}, {item}, \"price\": 3.5");
        return random.Next(31) switch
        {
            0 => Well("surrogate-value", Ev($"{head}, \"item\": \"{surrogate}\"")),
            1 => Well("surrogate-key", Ev($"{head}, \"k{surrogate}\": 1, {item}")),
            2 => Well("surrogate-type", Ev($"{id}, \"type\": \"{surrogate}\", \"time\": {ValidTime}, {item}")),
            3 => Well("surrogate-id", Ev($"\"id\": \"{surrogate}\", \"type\": \"view\", \"time\": {ValidTime}, {item}")),
            4 => Well("surrogate-time", Ev($"{id}, \"type\": \"view\", \"time\": \"{surrogate}\", {item}")),
            5 => Well("huge-number", Ev($"{head}, {item}, \"price\": {huge}")),
            6 => Well("huge-time", Ev($"{id}, \"type\": \"view\", \"time\": {huge}, {item}")),
            7 => Well("repeated-field", Ev($"{head}, {item}, \"price\": 1, {item}")),
            8 => Well("repeated-header", random.Next(3) switch
            {
                0 => Ev($"{head}, \"type\": \"view\", {item}"),
                1 => Ev($"{head}, \"time\": {ValidTime}, {item}"),
                _ => Ev($"{head}, {id}, {item}"),
            }),
            9 => Broken("deep-nesting", Ev($"{head}, \"item\": {new string('[', 70 + random.Next(500))}1{new string(']', 70)}")),
            10 => Well("object-value", Ev($"{head}, \"item\": {{\"a\": [1, {{\"b\": 2}}]}}")),
            11 => Well("array-value", Ev($"{head}, \"item\": [1, \"x\", null]")),
            12 => Broken("truncated", template[..(1 + random.Next(template.Length - 1))]),
            13 or 14 or 15 => FlipBytes(random, template),
            16 => InvalidUtf8(random, head),
            17 => Broken("control-character", Ev($"{head}, \"item\": \"a{(char)random.Next(0, 32)}b\"").Replace("\n", "\u0001", StringComparison.Ordinal)),
            18 => Well("long-string", Ev($"{head}, \"item\": \"{new string('x', 1025 + random.Next(20_000))}\"")),
            19 => Well("long-key", Ev($"{head}, \"{new string('k', 1025 + random.Next(5_000))}\": 1, {item}")),
            20 => Well("empty-key-and-no-type", Ev($"{id}, \"\": 1, \"time\": {ValidTime}, {item}")),
            21 => Well("wrong-type-type", Ev($"{id}, \"type\": {Pick(random, "5", "\"\"", "null", "[]", "{}", "true")}, \"time\": {ValidTime}, {item}")),
            22 => Well("wrong-type-time", Ev($"{id}, \"type\": \"view\", \"time\": {Pick(random, "\"soon\"", "null", "[]", "{}", "true", "1763726340", "1763726340000.5", "-5")}, {item}")),
            23 => Well("wrong-type-id", Ev($"\"id\": {Pick(random, "null", "[]", "{}", "true")}, \"type\": \"view\", \"time\": {ValidTime}, {item}")),
            24 => Well("not-an-object", Pick(random, "[1, 2]", "\"event\"", "42", "null", "true", "[]")),
            // In an array the reader has taken the complete first object before it finds what follows: it may count.
            25 => new Case("trailing-content", Encoding.UTF8.GetBytes(template + " " + template), Outcome.Unknown),
            26 => Broken("nan-literal", Ev($"{head}, {item}, \"price\": {Pick(random, "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "0x10")}")),
            27 => Well("too-many-fields", Ev($"{head}, " + string.Join(", ", Enumerable.Range(0, 65).Select(i => $"\"f{i}\": {i}")))),
            28 => Well("missing-type-and-time", Ev($"{id}, {item}")),
            29 => Well("late-or-future", Ev($"{id}, \"type\": \"view\", \"time\": {(random.Next(2) == 0 ? ValidTime - 3_600_000 : ValidTime + 3_600_000)}, {item}")),
            _ => Broken("unclosed-string", Ev($"{head}, \"item\": \"abc")),
        };
    }

    private static Case FlipBytes(Random random, string template)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(template);
        int flips = 1 + random.Next(3);
        for (int i = 0; i < flips; i++)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return new Case("byte-flip", bytes, Outcome.Unknown);
    }

    private static Case InvalidUtf8(Random random, string head)
    {
        byte[][] invalid = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x80]];
        byte[] bad = invalid[random.Next(invalid.Length)];
        bool inKey = random.Next(2) == 0;
        byte[] before = Encoding.UTF8.GetBytes("{" + head + (inKey ? ", \"k" : ", \"item\": \"a"));
        byte[] after = Encoding.UTF8.GetBytes(inKey ? "\": 1}" : "b\"}");
        return new Case(inKey ? "invalid-utf8-key" : "invalid-utf8-value", [.. before, .. bad, .. after], Outcome.RejectedWellFormed);
    }

    private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

    private static List<byte[]> Shuffle(Random random, List<byte[]> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }

    /// <summary>NDJSON lines (LF or CRLF, with blank lines) or a JSON array; sometimes with a UTF-8 byte-order mark first.</summary>
    private static byte[] Join(Random random, List<byte[]> events, bool array)
    {
        using var body = new MemoryStream();
        if (random.Next(6) == 0)
        {
            body.Write([0xEF, 0xBB, 0xBF]);
        }

        string separator = array ? ",\n " : random.Next(3) == 0 ? "\r\n" : "\n";
        if (array)
        {
            body.WriteByte((byte)'[');
        }

        for (int i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body.Write(Encoding.ASCII.GetBytes(separator));
                if (!array && random.Next(10) == 0)
                {
                    body.Write("\n  \n"u8);
                }
            }

            body.Write(events[i]);
        }

        if (array)
        {
            body.WriteByte((byte)']');
        }

        return body.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static string Shorten(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body);
        return text.Length <= 2000 ? text : text[..2000] + $"… ({body.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes)";
    }
}
