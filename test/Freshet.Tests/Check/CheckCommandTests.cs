using System.Globalization;
using System.Text;
using Freshet.Cli.Tests.Replay;

namespace Freshet.Cli.Tests.Check;

/// <summary>
/// <c>freshet replay --data</c> fills a data directory that a server can open, and <c>freshet check</c> says whether a
/// directory is healthy, repairable on the next start, or damaged (exit 4), without changing it.
/// </summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"freshet-check-{Guid.NewGuid():N}");
    private readonly string _events;

    public CheckCommandTests()
    {
        var text = new StringBuilder();
        long t0 = DateTimeOffset.Parse("2026-01-05T10:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        for (int i = 0; i < 3_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"type\": \"{(i % 7 == 0 ? "click" : "view")}\", \"time\": {t0 + (i * 100)}, \"item\": \"i{i % 40}\", \"user\": \"u{i % 90}\", \"category\": \"c{i % 5}\"}}\n");
        }

        _events = ReplayFiles.Write(text.ToString(), ".ndjson");
    }

    public void Dispose()
    {
        File.Delete(_events);
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task Replay_IntoADataDirectory_IsCheckedHealthy_AndASecondReplayCountsNothingTwice()
    {
        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", _events, "--data", _data, "--features", Features());
        Assert.True(exitCode == 0, error + output);
        Assert.Contains($"Created a new data directory {_data}", output, StringComparison.Ordinal);
        Assert.Contains("accepted     3,000", output, StringComparison.Ordinal);

        var check = await ReplayFiles.RunAsync("check", _data);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("offsets 0 to 3,000", check.Output, StringComparison.Ordinal);
        Assert.EndsWith("Healthy.\n", check.Output, StringComparison.Ordinal);

        // Events without ids of their own get "file:line" ones, so the same file again is all duplicates.
        var again = await ReplayFiles.RunAsync("replay", _events, "--data", _data, "--features", Features());
        Assert.True(again.ExitCode == 0, again.Error + again.Output);
        Assert.Contains($"Recovered {_data}: checkpoint at offset 3,000", again.Output, StringComparison.Ordinal);
        Assert.Contains("duplicates   3,000", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingDirectory_SaysItDoesNotExist_NotThatItIsDamaged()
    {
        var (exitCode, output, error) = await ReplayFiles.RunAsync("check", _data);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains($"{_data} does not exist", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Damaged", output + error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_data), "check must not create the directory it was asked about");
    }

    [Fact]
    public async Task Check_AFileInsteadOfADirectory_SaysSo()
    {
        var (exitCode, _, error) = await ReplayFiles.RunAsync("check", _events);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains($"{_events} is a file, not a data directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TornLogTail_IsAWarningTheNextStartRepairs()
    {
        Assert.Equal(0, (await ReplayFiles.RunAsync("replay", _events, "--data", _data, "--features", Features())).ExitCode);
        string segment = Directory.GetFiles(Path.Combine(_data, "log"), "*.log").Single();
        await File.AppendAllBytesAsync(segment, Encoding.ASCII.GetBytes("FRB1 half a record"));
        long length = new FileInfo(segment).Length;

        var (exitCode, output, _) = await ReplayFiles.RunAsync("check", _data);

        Assert.Equal(0, exitCode);
        Assert.Contains("warning", output, StringComparison.Ordinal);
        Assert.Contains("cutting the last 18 bytes", output, StringComparison.Ordinal);
        Assert.Contains("Usable: 1 warning", output, StringComparison.Ordinal);
        Assert.Equal(length, new FileInfo(segment).Length); // check changes nothing
    }

    [Fact]
    public async Task Check_BitFlippedInTheLog_IsDamagedAndExits4()
    {
        Assert.Equal(0, (await ReplayFiles.RunAsync("replay", _events, "--data", _data, "--features", Features())).ExitCode);
        string segment = Directory.GetFiles(Path.Combine(_data, "log"), "*.log").Single();
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[bytes.Length / 3] ^= 0x04;
        await File.WriteAllBytesAsync(segment, bytes);

        var (exitCode, output, _) = await ReplayFiles.RunAsync("check", _data);

        Assert.Equal(4, exitCode);
        Assert.True(output.Contains($"ERROR    log/{Path.GetFileName(segment)}", StringComparison.Ordinal), output);
        Assert.Contains("fails its checksum", output, StringComparison.Ordinal);
        Assert.Contains("Damaged: 1 error", output, StringComparison.Ordinal);
    }

    private static string Features()
    {
        string path = Path.Combine(Path.GetTempPath(), "freshet-check-features.yaml");
        File.WriteAllText(path, """
            settings: { clock: event_time, allowed_lateness: 10m, max_future: 5m }
            entities: { item: item, user: user }
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
              user_items: { entity: user, events: [view], aggregation: distinct, field: item, windows: [24h] }
            """);
        return path;
    }
}
