using System.Diagnostics;
using Freshet.Engine;
using Freshet.Files.Mapping;
using Freshet.Files.Sorting;
using Freshet.Files.Sources;

namespace Freshet.Cli.Replay;

/// <summary>
/// Runs <c>freshet replay</c>: resolves the preset, opens the file, compiles the mapping against its header, connects
/// to the target, says what it is about to do, replays with a progress view and prints the summary.
/// </summary>
internal static class ReplayRunner
{
    public static async Task<int> RunAsync(ReplaySettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string path = settings.Path;
        if (!File.Exists(path))
        {
            error.WriteLine($"{path}: no such file (looked for {Path.GetFullPath(path)})");
            return ExitCodes.Usage;
        }

        var spec = settings.Spec;
        if (settings.Preset is { } presetName)
        {
            if (MappingPresets.Find(presetName) is not { } preset)
            {
                error.WriteLine($"--preset {presetName}: no such preset; the presets are: {MappingPresets.Names}");
                return ExitCodes.Usage;
            }

            spec = preset.Spec.OverriddenBy(spec);
            output.WriteLine($"preset {preset.Name}: {preset.Spec.Describe()}");
        }

        if (!InputFile.TryOpen(path, spec, out var source, out var format, out string? openError))
        {
            error.WriteLine(openError);
            return ExitCodes.Usage;
        }

        using (source)
        {
            var names = new FieldNameTable();
            if (!FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out string? mappingError))
            {
                error.WriteLine($"{path}: {mappingError}");
                return ExitCodes.Usage;
            }

            source.Bind(mapping);
            var mapper = new RowMapper(mapping, new EventTimeParser(spec.TimeUnit, spec.TimeFormat), names, format == InputFormat.Ndjson ? "key" : "column");
            var counters = new ReplayCounters();
            var (target, targetError) = await CreateTargetAsync(settings, path, names, counters, output, error, cancellationToken);
            if (target is null)
            {
                return targetError;
            }

            await using (target)
            {
                output.WriteLine($"reading {Path.GetFileName(path)} ({ReplayFormat.Bytes(source.Length)}): {source.Description}");
                foreach (string note in mapping.Notes)
                {
                    output.WriteLine($"note: {note}");
                }

                WriteTargetLines(output, settings, spec, target);
                var pipeline = new ReplayPipeline(source, mapper, target, counters,
                    settings.Speed is { } speed ? new Pacer(speed, TimeProvider.System) : null,
                    spec.Sort ? new SortBuffer(settings.SortLimit) : null, settings.RowLimit);
                return await ReplayAsync(settings, spec, source, pipeline, target, counters, output, error, cancellationToken);
            }
        }
    }

    private static async Task<int> ReplayAsync(ReplaySettings settings, MappingSpec spec, IRowSource source, ReplayPipeline pipeline,
        IReplayTarget target, ReplayCounters counters, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        string? failure = null;
        bool stopped = false;
        LearnerReport? learners = null;
        var sent = TimeSpan.Zero;
        try
        {
            if (target is ServerTarget server)
            {
                await server.NoteLearnersAtStartAsync(cancellationToken);
            }

            await ReplayProgress.RunAsync(output, pipeline, counters, source.Length, () => pipeline.RunAsync(cancellationToken));
            sent = stopwatch.Elapsed;
            if (target is ServerTarget withModels)
            {
                // The events are all answered for; the server's models may still be learning them on their own thread.
                learners = await withModels.WaitForLearnersAsync(settings.WaitForLearners, output, cancellationToken);
                if (settings.CloseWindows && learners is { Remaining: 0, GaveUp: null })
                {
                    learners = learners with { WindowsClosed = await withModels.CloseWindowsAsync(cancellationToken) };
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            stopped = true; // Ctrl+C: whatever was in flight was cut short; the summary counts what was answered.
        }
        catch (Exception e) when (e is ReplayFailedException or SortFailedException)
        {
            failure = e.Message;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException || e.GetType().Namespace == "CsvHelper")
        {
            failure = $"{settings.Path}: {e.Message}";
        }

        stopwatch.Stop();
        // Events per second count the sending only, not the wait for the learners after it.
        var run = new ReplayRun(settings.Path, target, counters, sent > TimeSpan.Zero ? sent : stopwatch.Elapsed, spec.Sort, stopped, failure,
            (target as ServerTarget)?.NotVisible, counters.EarliestEventMs, learners);
        ReplaySummary.Write(output, run);
        if (failure is not null)
        {
            error.WriteLine($"replay failed: {failure}");
            return ExitCodes.Failure;
        }

        if (counters.Accepted + counters.Duplicates == 0 && !stopped)
        {
            error.WriteLine(counters.RowsRead == 0
                ? $"{settings.Path}: the file has no rows to replay"
                : "nothing was accepted: see the rejections above");
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    private static async Task<(IReplayTarget? Target, int ExitCode)> CreateTargetAsync(ReplaySettings settings, string path, FieldNameTable names,
        ReplayCounters counters, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (settings.Server is { } server)
        {
            byte[] idPrefix = settings.NoIds ? [] : OutgoingBatch.IdPrefixOf(path);
            var options = new ServerTargetOptions(server, settings.BatchSize, settings.MaxInFlight, settings.Gzip, idPrefix);
            var (target, connectError) = await ServerTarget.ConnectAsync(options, names, counters, cancellationToken);
            if (target is null)
            {
                error.WriteLine(connectError);
                return (null, ExitCodes.Failure);
            }

            return (target, ExitCodes.Success);
        }

        string featuresPath = FeaturesFile.Resolve(settings.FeaturesPath);
        if (!FeaturesFile.TryLoad(featuresPath, error, out var definitions))
        {
            return (null, ExitCodes.BadDefinitions);
        }

        var engineOptions = new EngineOptions { Storage = settings.Storage };
        if (settings.Shards is { } shards)
        {
            engineOptions = engineOptions with { ShardCount = shards };
        }

        var engine = Serve.StorageArguments.TryOpen(definitions, engineOptions, output, error);
        if (engine is null)
        {
            return (null, ExitCodes.Storage);
        }

        byte[] fileIds = settings.NoIds ? [] : OutgoingBatch.IdPrefixOf(path);
        return (new EngineTarget(engine, names, counters, settings.BatchSize, ShortPath(featuresPath), fileIds), ExitCodes.Success);
    }

    private static void WriteTargetLines(TextWriter output, ReplaySettings settings, MappingSpec spec, IReplayTarget target)
    {
        string pace = settings.Speed is { } speed ? $"at {ReplayFormat.Count(speed)}× real time" : "as fast as it goes";
        if (target is ServerTarget server)
        {
            var info = server.Info;
            output.WriteLine($"replaying into {target.Description} (clock {info.Clock}, allowed lateness {Lateness(info.AllowedLatenessMs)}) "
                + $"{pace}, {ReplayFormat.Count(settings.BatchSize)} events a request, up to {settings.MaxInFlight} in flight"
                + (settings.Gzip ? ", gzip" : "") + (settings.NoIds ? ", no ids" : ", ids file:line"));
            if (info.WallClock)
            {
                output.WriteLine($"note: the server's clock is the wall clock, so events more than {Lateness(info.AllowedLatenessMs)} "
                    + "older than now are rejected as late; to replay history, serve features with settings: { clock: event_time }");
            }
        }
        else
        {
            output.WriteLine($"replaying into {target.Description} {pace}");
        }

        if (spec.Sort)
        {
            output.WriteLine($"--sort: every event is read, sorted in memory {ReplayFormat.Count(settings.SortLimit)} at a time (beyond that in sorted runs "
                + "on disk, merged), then sent in time order");
        }
    }

    private static string Lateness(long ms) => ms > 0 ? Time.Duration.Format(ms) : "0";

    private static string ShortPath(string path)
    {
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.Length < path.Length ? relative : path;
    }
}
