using System.Globalization;
using System.Text.RegularExpressions;
using Freshet.Cli.Demo;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Cli.Tests;

/// <summary>
/// The demo runs until Ctrl+C, an hour of simulated time every second: its state must stop growing soon and stay
/// there. It used to run the sample's features, whose daily tiles are kept 35 days, so its state grew for 14 minutes
/// of the demo, to 4 GiB after 90 s on a 2-core laptop.
/// </summary>
public sealed partial class DemoMemoryTests
{
    /// <summary>Real time after which the default demo keeps no more tiles than it already has: the longest retention at the default speed.</summary>
    [Fact]
    public void DefaultFeatures_AtDefaultSpeed_KeepEveryTileLessThanHalfAMinuteOfTheDemo()
    {
        string path = FeaturesFile.ResolveSample(null, DemoSettings.DefaultFeaturesRelativePath);
        var catalog = FeatureCatalog.Compile(FeatureDefinitionLoader.Load(path), new StringInterner(), new EntityKeySpace());

        var longest = catalog.Features.Where(f => !f.IsDerived)
            .Select(f => (f.Name, KeptMs: f.Definition.Tiles[^1].KeepMs + f.Definition.Tiles[^1].ResolutionMs))
            .MaxBy(f => f.KeptMs);
        var plateauAfter = TimeSpan.FromMilliseconds(longest.KeptMs / DemoSettings.DefaultSpeed);

        Assert.True(plateauAfter <= TimeSpan.FromSeconds(30),
            $"{longest.Name} keeps tiles {Duration.Format(longest.KeptMs)}: at ×{DemoSettings.DefaultSpeed} the demo's state grows for {plateauAfter.TotalSeconds:0} s");
        // Still the sample's features, so what the demo shows is what the README describes.
        var sample = FeatureDefinitionLoader.Load(FeaturesFile.Resolve(null));
        Assert.Empty(catalog.Features.Select(f => f.Name).Except(sample.Features.Select(f => f.Name)));
        Assert.True(catalog.Features.Count() >= sample.Features.Count() - 1, "the demo's features should be the sample's, with shorter windows");
    }

    /// <summary>
    /// Observed, not planned: the demo at ten times its default speed (so a day passes in 2.4 s), with its default
    /// features and rate, holds as many tiles after two more simulated days as once its longest retention had passed.
    /// </summary>
    [Fact]
    public async Task Demo_AfterItsLongestRetention_TileCountStaysFlat()
    {
        long startMs = TimeMath.FloorTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Duration.Day);
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);

        int exitCode = await FreshetCommand.RunAsync(["demo", "--duration", "16s", "--speed", "36000", "--models", "none", "--url", "http://127.0.0.1:0"], output, error);

        Assert.True(exitCode == ExitCodes.Success, $"exit code {exitCode}; stderr: {error}");
        var samples = ProgressLine().Matches(output.ToString())
            .Select(m => (SimulatedMs: DateTimeOffset.ParseExact(m.Groups["simulated"].Value, "ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds() - startMs, Tiles: Tiles(m.Groups["tiles"].Value)))
            .ToList();
        // The longest retention is 25 hours (plus the open tile); from 27 on, what expires balances what arrives.
        var plateau = samples.FirstOrDefault(s => s.SimulatedMs >= 27 * Duration.Hour);
        var last = samples.LastOrDefault();
        Assert.True(plateau.Tiles > 0 && last.SimulatedMs - plateau.SimulatedMs >= 24 * Duration.Hour,
            $"the demo should pass 27 simulated hours and run a day more in 16 s at ×36000; it printed:\n{output}");
        Assert.True(last.Tiles <= plateau.Tiles * 1.3,
            $"tiles grew from {plateau.Tiles} at {Duration.Format(plateau.SimulatedMs)} to {last.Tiles} at {Duration.Format(last.SimulatedMs)}:\n{output}");
    }

    /// <summary>A count as the demo prints it compactly: 950, 1.2k, 85k, 2.3M.</summary>
    private static double Tiles(string text) => text[^1] switch
    {
        'k' => double.Parse(text[..^1], CultureInfo.InvariantCulture) * 1e3,
        'M' => double.Parse(text[..^1], CultureInfo.InvariantCulture) * 1e6,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"tiles (?<tiles>[\d.]+[kM]?) \(.*?simulated (?<simulated>\w{3} \d{4}-\d\d-\d\d \d\d:\d\d) UTC")]
    private static partial Regex ProgressLine();
}
