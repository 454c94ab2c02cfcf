using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Freshet.Cli.Arguments;
using Freshet.Server;

namespace Freshet.Cli.Demo;

/// <summary><c>freshet demo</c>: its options, their validation, and the hand-off to <see cref="DemoRunner"/>.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var features = new Option<string?>("--features", "-f")
        {
            Description = $"Feature definitions file [default: {DemoSettings.DefaultFeaturesRelativePath}, shipped with freshet: the features of "
                + $"{FeaturesFile.DefaultRelativePath} with windows of at most a day, so that memory levels off at the demo's speed]",
            HelpName = "path",
        };
        var duration = new Option<long?>("--duration")
        {
            Description = "Stop after this long and print a summary, e.g. 30s, 5m [default: run until Ctrl+C]",
            HelpName = "duration",
            CustomParser = ParseDuration,
        };
        var rate = new Option<EventRate>("--rate", "-r")
        {
            Description = $"Events per second, e.g. 50000 or 50k (a daily average: the evening peak is higher), or 'max' for as fast as the engine takes them; "
                + "the default is what a 2-core laptop sustains with room for the server and the learner",
            HelpName = "n|max",
            CustomParser = ParseRate,
            DefaultValueFactory = _ => new EventRate(DemoSettings.DefaultRatePerSecond),
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of the synthetic shop and its traffic: the same seed, the same events",
            HelpName = "n",
            DefaultValueFactory = _ => 42,
        };
        var shards = Serve.ServeOptions.Shards();
        var speed = new Option<double>("--speed")
        {
            Description = "Simulated seconds per real second; the default, an hour a second, shows a whole day (trough at 4am, peak in the evening) in 24s",
            HelpName = "x",
            DefaultValueFactory = _ => DemoSettings.DefaultSpeed,
        };
        speed.Validators.Add(result =>
        {
            double x = result.GetValueOrDefault<double>();
            if (!double.IsFinite(x) || x <= 0 || x > 1e7)
            {
                result.AddError($"--speed must be a positive number of simulated seconds per real second (at most 10000000), not {x.ToString(CultureInfo.InvariantCulture)}.");
            }
        });

        var url = new Option<string?>("--url", "-u")
        {
            Description = $"Address the HTTP server listens on; port 0 picks a free port [default: {ServerOptions.DefaultUrl}, or a free port when that one is taken]",
            HelpName = "url",
        };
        url.Validators.Add(result =>
        {
            string? text = result.GetValueOrDefault<string?>();
            if (text is not null && (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp))
            {
                result.AddError($"--url: '{text}' is not an http:// address like {ServerOptions.DefaultUrl}.");
            }
        });

        var models = new Option<string?>("--models", "-m")
        {
            Description = $"Models to learn from the stream and show learning, or 'none' [default: {ModelsFile.DefaultRelativePath}, shipped with freshet]",
            HelpName = "path|none",
        };

        var command = new Command("demo",
            "Run the engine on a live synthetic shop (100,000 items, 200,000 users), serve it over HTTP, and watch features update: "
            + "throughput, trending items with their trend and CTR next to the true CTR, one user's feature vector, and curl "
            + "commands to paste that read the same features from the server, and models learning from the stream (their log loss "
            + "over the last 5 s beside the constant rate's: how much lower it is shows what they learned). "
            + "Ctrl+C stops it with a summary.")
        {
            features, duration, rate, seed, shards, speed, url, models,
        };
        command.SetAction((result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            string path = FeaturesFile.ResolveSample(result.GetValue(features), DemoSettings.DefaultFeaturesRelativePath);
            if (!FeaturesFile.TryLoad(path, error, out var definitions))
            {
                return Task.FromResult(ExitCodes.BadDefinitions);
            }

            string? modelsOption = result.GetValue(models);
            bool noModels = string.Equals(modelsOption, "none", StringComparison.OrdinalIgnoreCase);
            string? modelsPath = noModels ? null : ModelsFile.Resolve(modelsOption);
            var modelSet = Freshet.Learning.Pipeline.ModelSet.Empty;
            if (modelsPath is not null && !ModelsFile.TryLoad(modelsPath, error, out modelSet))
            {
                return Task.FromResult(ExitCodes.BadDefinitions);
            }

            var settings = new DemoSettings(path, result.GetValue(duration), result.GetValue(rate).PerSecond, result.GetValue(seed),
                result.GetValue(shards), result.GetValue(speed), result.GetValue(url), modelsPath, ModelsGiven: modelsOption is not null && !noModels);
            return DemoRunner.RunAsync(settings, definitions, modelSet, output, error, cancellationToken);
        });
        return command;
    }

    private static long? ParseDuration(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (OptionValues.TryParseDuration(text, allowZero: false, out long ms, out string? problem))
        {
            return ms;
        }

        result.AddError($"--duration: {problem}.");
        return null;
    }

    private static EventRate ParseRate(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (EventRate.TryParse(text, out var rate))
        {
            return rate;
        }

        result.AddError($"--rate: '{text}' is not a number of events per second (like 50000 or 50k) or 'max'.");
        return EventRate.Max;
    }
}
