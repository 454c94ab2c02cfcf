using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Freshet.Cli.Tests;

/// <summary>
/// The newcomer's path: <c>freshet demo</c> as a real child process prints its server's address and curl commands,
/// and each command, run by the real <c>curl</c> through a shell as pasted, returns data from the running stream.
/// </summary>
public sealed partial class DemoServerTests
{
    private static readonly TimeSpan ExamplesTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CurlTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Demo_ChildProcess_PrintsCurlExamplesThatReturnDataThenStopsWithASummary()
    {
        using var demo = ChildProcess.StartFreshet("demo", "--duration", "25s", "--url", "http://127.0.0.1:0");

        // The examples are printed in one block before the first progress line: once that line is there, all are.
        await demo.WaitForAsync(lines => lines.SkipWhile(l => !l.StartsWith("Serving at ", StringComparison.Ordinal)).Any(ProgressLine().IsMatch),
            ExamplesTimeout, "the server's address and curl examples followed by a progress line");
        var lines = demo.Lines;
        string serving = lines.First(l => l.StartsWith("Serving at ", StringComparison.Ordinal));
        var baseAddress = new Uri(ServingLine().Match(serving).Groups[1].Value);
        Assert.NotEqual(0, baseAddress.Port);
        var commands = lines.Select(l => l.Trim()).Where(l => l.StartsWith("curl ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            ["/v1/features", "/v1/top/site_top_items", "/v1/vector/item", "/v1/vector/user", "/v1/series/item_views", "/v1/profile/item_views",
                "/v1/models", "/v1/recommend"],
            commands.Select(c => QuotedUrl(c).AbsolutePath));

        // The same commands, whole, in the file the demo names: each line of it pasted into a shell works too.
        string fileLine = lines.First(l => l.StartsWith("(These commands are also in ", StringComparison.Ordinal));
        string file = fileLine["(These commands are also in ".Length..^2];
        Assert.True(File.Exists(file), $"the demo named {file}, which does not exist");
        var fileCommands = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal(commands, fileCommands);

        foreach (string command in fileCommands)
        {
            Assert.Equal(baseAddress.Authority, QuotedUrl(command).Authority);

            // Appended options come after the URL, so the part a user pastes is run exactly as printed.
            var (exitCode, output, error) = await ChildProcess.RunShellAsync($"{command} --max-time 10 -w '\\n%{{http_code}}'", CurlTimeout);

            Assert.True(exitCode == 0, $"'{command}' exited {exitCode} (127: curl is not installed; test.sh installs it): {error}");
            int split = output.LastIndexOf('\n');
            Assert.True(split >= 0, $"'{command}' printed no status line: {output}");
            Assert.True(output[(split + 1)..] == "200", $"'{command}' answered HTTP {output[(split + 1)..]}: {output[..split]}");
            using var json = JsonDocument.Parse(output[..split]);
            AssertHasData(command, json.RootElement);
        }

        // A demo server that answers is ready, busy or not (it was "overloaded: shard queues are full", 503, for the whole
        // demo at --rate max).
        for (int probe = 0; probe < 5; probe++)
        {
            var (_, ready, _) = await ChildProcess.RunShellAsync($"curl -s --max-time 10 -o /dev/null -w '%{{http_code}}' '{baseAddress}readyz'", CurlTimeout);
            Assert.Equal("200", ready.Trim());
        }

        await demo.WaitForExitAsync(TimeSpan.FromSeconds(40));
        Assert.True(demo.ExitCode == 0, $"freshet demo exited {demo.ExitCode}; it printed:\n{string.Join('\n', demo.Lines)}");
        string printed = string.Join('\n', demo.Lines);
        Assert.Contains("Summary", printed, StringComparison.Ordinal);
        var served = RequestsServed().Match(printed);
        Assert.True(served.Success, $"no 'http N requests served' row in the summary:\n{printed}");
        Assert.True(long.Parse(served.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) >= commands.Count, served.Value);
    }

    /// <summary>Each example's answer holds data, not just a well-formed empty document.</summary>
    private static void AssertHasData(string command, JsonElement json)
    {
        string path = QuotedUrl(command).AbsolutePath;
        string because = $"'{command}' returned no data: {json}";
        if (path == "/v1/features")
        {
            Assert.True(json.GetProperty("features").GetArrayLength() > 0, because);
        }
        else if (path.StartsWith("/v1/top/", StringComparison.Ordinal))
        {
            var items = json.GetProperty("items");
            Assert.True(items.GetArrayLength() > 0, because);
            Assert.Equal("item_views_trend", json.GetProperty("order_by").GetString());
            foreach (var item in items.EnumerateArray())
            {
                Assert.True(item.GetProperty("value").GetDouble() > 0, because);
                Assert.True(item.GetProperty("features").TryGetProperty("item_ctr", out _), because);
                Assert.True(item.GetProperty("features").TryGetProperty("item_views_trend", out _), because);
            }
        }
        else if (path.StartsWith("/v1/vector/", StringComparison.Ordinal))
        {
            Assert.True(json.GetProperty("known_key").GetBoolean(), because);
            var values = json.GetProperty("features").EnumerateObject()
                .SelectMany(feature => feature.Value.EnumerateObject().Select(window => window.Value.GetProperty("value")));
            Assert.True(values.Any(IsData), because);
            if (path == "/v1/vector/item")
            {
                Assert.True(json.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble() > 0, because);
            }
        }
        else if (path.StartsWith("/v1/series/", StringComparison.Ordinal))
        {
            Assert.True(json.GetProperty("points").EnumerateArray().Any(p => IsData(p.GetProperty("value"))), because);
        }
        else if (path.StartsWith("/v1/profile/", StringComparison.Ordinal))
        {
            Assert.Equal(24, json.GetProperty("slots").GetArrayLength());
            Assert.True(json.GetProperty("slots").EnumerateArray().Any(s => IsData(s.GetProperty("value"))), because);
        }
        else if (path == "/v1/models")
        {
            Assert.Equal(["clicks", "for_you"], json.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
            Assert.True(json.GetProperty("events_learned").GetInt64() > 0, because);
        }
        else if (path == "/v1/recommend")
        {
            Assert.Equal(5, json.GetProperty("items").GetArrayLength());
        }
        else
        {
            Assert.Fail($"no check for the example '{command}'");
        }
    }

    private static bool IsData(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble() > 0,
        JsonValueKind.Array => value.GetArrayLength() > 0,
        _ => false,
    };

    /// <summary>The URL between the single quotes of a printed command.</summary>
    private static Uri QuotedUrl(string command)
    {
        var match = SingleQuoted().Match(command);
        Assert.True(match.Success, $"no quoted URL in '{command}'");
        return new Uri(match.Groups[1].Value);
    }

    [GeneratedRegex(@"^Serving at (http://\S+/) ")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"\d+(\.\d)? s +[\d,]+ events/s")]
    private static partial Regex ProgressLine();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex SingleQuoted();

    [GeneratedRegex(@"http\s+([\d,]+) requests? served at ")]
    private static partial Regex RequestsServed();
}
