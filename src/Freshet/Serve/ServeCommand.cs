using System.CommandLine;
using System.Globalization;
using Freshet.Cli.Arguments;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Server;
using Freshet.Time;

namespace Freshet.Cli.Serve;

/// <summary><c>freshet serve</c>: the HTTP server on an embedded engine, until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var features = new Option<string?>("--features", "-f")
        {
            Description = $"Feature definitions file [default: {FeaturesFile.DefaultRelativePath} in the current directory, else the copy shipped with freshet]",
            HelpName = "path",
        };
        var models = new Option<string?>("--models", "-m")
        {
            Description = "Models to learn from the stream (see samples/models.yaml); served at /v1/models, /v1/score, /v1/recommend and /v1/similar",
            HelpName = "path",
        };
        var url = new Option<string>("--url", "-u")
        {
            Description = "Address to listen on; port 0 picks a free port. Use http://0.0.0.0:PORT to listen beyond this machine",
            HelpName = "url",
            DefaultValueFactory = _ => ServerOptions.DefaultUrl,
        };
        url.Validators.Add(result =>
        {
            string text = result.GetValueOrDefault<string>() ?? "";
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            {
                result.AddError($"--url: '{text}' is not an http:// address like {ServerOptions.DefaultUrl}.");
            }
        });
        var shards = ServeOptions.Shards();
        var maxBody = OptionValues.SizeOption("--max-body",
            "Largest request body (after gzip), e.g. 16MiB, 512KiB or a number of bytes; larger requests get 413", new ServerOptions().MaxBodyBytes);
        var allowedHosts = new Option<string[]>("--allowed-hosts")
        {
            Description = "Host header values to serve (comma-separated names without port; *.example.com matches subdomains; * any); "
                + "other hosts get 400, which stops DNS rebinding [default: the loopback names for a loopback --url, the host of a named --url, "
                + "any host for 0.0.0.0 or [::]]",
            HelpName = "hosts",
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray(),
        };
        var bodyTimeout = OptionValues.DurationOption("--body-timeout",
            "Longest an ingest body may take to arrive in full, e.g. 2m; a slower one gets 408 (bodies under 240 bytes/s "
                + "after their first 5 s are cut off sooner)",
            (long)new ServerOptions().BodyReadTimeout.TotalMilliseconds);
        var maxBuffered = OptionValues.SizeOption("--max-buffered-bodies",
            "Memory all ingest bodies in flight may hold together (being received, waiting, or parsed), e.g. 256MiB; "
                + "a request past it gets 429",
            new ServerOptions().MaxBufferedBodyBytes, 1L << 40);
        var dedupHorizon = OptionValues.DurationOption("--dedup-horizon",
            "How long event ids are remembered so a retried event counts once (on the engine's clock), e.g. 10m, 1h; 0 turns it off",
            new EngineOptions().DedupHorizonMs, allowZero: true);
        var dedupMemory = OptionValues.SizeOption("--dedup-memory",
            "Memory the remembered event ids may take, e.g. 256MiB, 1GiB (11-21 bytes an id). The horizon is never "
                + "shortened to fit: when it is full, requests with ids get 503 with Retry-After until the oldest ids expire",
            new EngineOptions().DedupMemoryBytes, 1L << 40);
        dedupMemory.Validators.Add(result =>
        {
            // 0 is what a size that did not parse reads as; its parser has said so already.
            if (result.GetValueOrDefault<SizeValue>().Bytes is var bytes && bytes is > 0 and < EngineOptions.DedupMemoryMinBytes)
            {
                result.AddError($"--dedup-memory: {OptionValues.FormatSize(bytes)} is too small; give at least {OptionValues.FormatSize(EngineOptions.DedupMemoryMinBytes)}.");
            }
        });

        var salvageLog = new Option<bool>("--salvage-log")
        {
            Description = "Start even though the newest log segment is damaged in the middle (which otherwise stops the start): keep every valid "
                + "record before and after the damage, move the damaged bytes to salvaged/ in the data directory (never deleted) and log what was cut. "
                + "Run 'freshet check' first to see what would be lost",
        };

        var storage = StorageArguments.Create(dataByDefault: true);
        var command = new Command("serve",
            "Run the Freshet HTTP server on an embedded engine: POST events to /v1/events, read vectors, series, profiles and "
            + "top-k lists from /v1/…, the catalog from /v1/features, the OpenAPI document from /openapi/v1.json. Accepted events "
            + "go to an event log in the data directory before they are acknowledged, and state is checkpointed, so a restart "
            + "(even after kill -9) recovers every acknowledged event exactly once. Ctrl+C stops it.")
        {
            features, models, url, allowedHosts, shards, maxBody, maxBuffered, bodyTimeout, dedupHorizon, dedupMemory, salvageLog,
        };
        storage.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            string path = FeaturesFile.Resolve(result.GetValue(features));
            if (!FeaturesFile.TryLoad(path, error, out var definitions))
            {
                return ExitCodes.BadDefinitions;
            }

            var engineOptions = new EngineOptions
            {
                DedupHorizonMs = result.GetValue(dedupHorizon).Ms,
                DedupMemoryBytes = result.GetValue(dedupMemory).Bytes,
                Storage = storage.Read(result, line => Log(output, line)),
            };
            if (result.GetValue(salvageLog) && engineOptions.Storage is { } salvaging)
            {
                engineOptions = engineOptions with { Storage = salvaging with { SalvageLog = true } };
            }

            if (result.GetValue(shards) is { } n)
            {
                engineOptions = engineOptions with { ShardCount = n };
            }

            var modelSet = Freshet.Learning.Pipeline.ModelSet.Empty;
            if (result.GetValue(models) is { } modelsPath && !ModelsFile.TryLoad(modelsPath, error, out modelSet))
            {
                return ExitCodes.BadDefinitions;
            }

            var serverOptions = new ServerOptions
            {
                Url = result.GetValue(url)!,
                MaxBodyBytes = result.GetValue(maxBody).Bytes,
                MaxBufferedBodyBytes = result.GetValue(maxBuffered).Bytes,
                BodyReadTimeout = TimeSpan.FromMilliseconds(result.GetValue(bodyTimeout).Ms),
                AllowedHosts = result.GetValue(allowedHosts) ?? [],
                Models = modelSet,
                ModelStateDirectory = engineOptions.Storage is { } storageOptions ? Path.Combine(storageOptions.Directory, "models") : null,
                // Models are state like the rest: saved as often as it is checkpointed (0: only at a clean stop).
                ModelSaveInterval = engineOptions.Storage is { CheckpointInterval: var every } && every > TimeSpan.Zero ? every : TimeSpan.MaxValue,
            };
            WriteLoaded(output, path, definitions);
            await using var engine = StorageArguments.TryOpen(definitions, engineOptions, output, error);
            if (engine is null)
            {
                return ExitCodes.Storage;
            }

            if (!ModelsFile.FitsCatalog(modelSet, engine.Catalog, result.GetValue(models) ?? "", error))
            {
                return ExitCodes.BadDefinitions;
            }

            if (modelSet.Count > 0)
            {
                output.WriteLine($"Learning {modelSet.ClickModels.Length} click model(s) and {modelSet.Recommenders.Length} recommender(s) from {result.GetValue(models)}: "
                    + string.Join(", ", modelSet.ClickModels.Select(m => m.Name).Concat(modelSet.Recommenders.Select(r => r.Name))) + ".");
            }

            var server = await ServeOptions.TryStartAsync(engine, serverOptions, error, cancellationToken);
            if (server is null)
            {
                return ExitCodes.Failure;
            }

            await using (server)
            {
                output.WriteLine($"Listening on {server.BaseAddress} ({engine.ShardCount} shards, bodies up to {OptionValues.FormatSize(serverOptions.MaxBodyBytes)}, "
                    + $"dedup horizon {(engineOptions.DedupHorizonMs == 0 ? "off" : $"{Duration.Format(engineOptions.DedupHorizonMs)} in up to {OptionValues.FormatSize(engineOptions.DedupMemoryBytes)}")}, "
                    + $"{StorageArguments.Describe(engineOptions.Storage)}). Try: curl {server.BaseAddress}v1/features   Ctrl+C stops.");
                var hosts = serverOptions.AllowedHosts.Count > 0 ? serverOptions.AllowedHosts : FreshetServer.DefaultAllowedHosts(serverOptions.Url);
                if (hosts.Contains("*"))
                {
                    output.WriteLine("Any Host header is served (the address is not loopback and no --allowed-hosts was given); "
                        + "name the hosts clients use with --allowed-hosts so a web page cannot rebind its name to this server.");
                }

                output.Flush();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: stop taking requests, let the ones in flight finish, then report.
                }
            }

            engine.Flush(TimeSpan.FromSeconds(10));
            var stats = engine.GetStats();
            await engine.DisposeAsync(); // With a data directory: the last checkpoint, the log synced and closed.
            var stored = engine.GetStorageStats();
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"Stopped. {stats.Accepted:N0} events accepted, {stats.Duplicates:N0} duplicates, {stats.Rejected:N0} rejected.");
            if (stored is not null)
            {
                string checkpoint = stored.LastCheckpointOffset is { } offset ? offset.ToString("N0", CultureInfo.InvariantCulture) : "none";
                summary += string.Create(CultureInfo.InvariantCulture, $" {stored.LogEndOffset:N0} events in the log; last checkpoint at offset {checkpoint}.");
            }

            output.WriteLine(summary);
            return stored?.Failure is null ? ExitCodes.Success : ExitCodes.Storage;
        });
        return command;
    }

    /// <summary>A line of the server's own log: UTC time, then the message.</summary>
    public static void Log(TextWriter output, string line)
    {
        lock (output)
        {
            output.WriteLine($"{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
            output.Flush();
        }
    }

    /// <summary>The start-up lines: what was loaded, so an operator can tell which catalog a server runs.</summary>
    public static void WriteLoaded(TextWriter output, string path, FeatureSet definitions)
    {
        var settings = definitions.Settings;
        string origin = FeaturesFile.Origin(path);
        output.WriteLine($"Loaded {definitions.Features.Length} features on {definitions.Entities.Length} entities from {path}"
            + (origin.Length > 0 ? $" ({origin})" : "")
            + $"{(definitions.DeclaredVersion is { } v ? $" (version {v})" : "")}; clock {(settings.Clock == ClockMode.Wall ? "wall" : "event_time")}, "
            + $"allowed lateness {Duration.Format(settings.AllowedLatenessMs)}, max future {Duration.Format(settings.MaxFutureMs)}.");
        int width = definitions.Features.Max(f => f.Name.Length);
        foreach (var d in definitions.Features)
        {
            string windows = d.Aggregation == AggregationKind.Trend
                ? $"{Duration.Format(d.ShortWindowMs)}/{Duration.Format(d.LongWindowMs)}"
                : string.Join(",", d.WindowsMs.Select(Duration.Format));
            string events = d.EventTypes.IsEmpty ? "" : $" on {string.Join(",", d.EventTypes)}";
            output.WriteLine($"  {d.Name.PadRight(width)}  {d.Entity}: {FeatureDefinitionLoader.AggregationName(d.Aggregation)}{(d.Field is null ? "" : $"({d.Field})")}{events} [{windows}]");
        }
    }
}
