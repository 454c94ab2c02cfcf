using System.CommandLine;
using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary><c>freshet replay FILE</c>: its options, their validation, and the hand-off to <see cref="ReplayRunner"/>.</summary>
internal static partial class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The CSV, TSV or NDJSON file to replay (.gz is read as gzip)" };
        var preset = new Option<string?>("--preset", "-p") { Description = $"Options for a known dataset: {MappingPresets.Names} (see Presets above)", HelpName = "name" };
        var format = new Option<InputFormat?>("--format") { Description = "csv, tsv or ndjson [default: from the extension; otherwise CSV with the separator detected]", HelpName = "csv|tsv|ndjson", CustomParser = ParseFormat };
        var delimiter = new Option<char?>("--delimiter") { Description = "Field separator: one character, or tab [default: ',' for csv, tab for tsv, detected otherwise]", HelpName = "char", CustomParser = ParseDelimiter };
        var noHeader = new Option<bool>("--no-header") { Description = "The file has no header row (name the columns with --columns)" };
        var columns = new Option<string[]?>("--columns") { Description = "Column names, in order (for a file without a header, or to rename the header's)", HelpName = "a,b,c", CustomParser = ParseList };
        var map = new Option<string[]>("--map") { Description = "Send a column as a field: target=column; targets type, time and id are the event's own (repeatable)", HelpName = "target=column" };
        var onlyMapped = new Option<bool>("--only-mapped") { Description = "Send only mapped columns [default: unmapped columns are sent under their own names]" };
        var set = new Option<string[]>("--set") { Description = "Give every event the same value: field=value, e.g. type=click (repeatable)", HelpName = "field=value" };
        var renameType = new Option<string[]>("--rename-type") { Description = "Rename an event type value: from=to, e.g. pv=view (repeatable)", HelpName = "from=to" };
        var numbers = new Option<string[]>("--numbers") { Description = "Fields sent as JSON numbers, e.g. price,rating [default: every value is a string, so ids match entity keys]", HelpName = "a,b", CustomParser = ParseList };
        var nulls = new Option<string[]>("--null") { Description = "A value that means no value, like NA: the field is left out, as an empty one is (repeatable)", HelpName = "value" };
        var timeUnit = new Option<TimeUnit?>("--time-unit") { Description = "Unit of numeric times: ms, s, us or ns; fractions allowed (1396860669.277 s) [default: ms]", HelpName = "ms|s|us|ns", CustomParser = ParseTimeUnit };
        var timeFormat = new Option<string?>("--time-format") { Description = "A .NET custom date format for times that are neither numbers nor ISO-8601, e.g. 'dd/MM/yyyy HH:mm' (UTC unless it has an offset)", HelpName = "format" };
        var timeOffset = new Option<string?>("--time-offset") { Description = "A column of milliseconds added to the time (a date plus an offset, as in DIGINETICA)", HelpName = "column" };
        var sort = new Option<bool>("--sort") { Description = "Read the whole file and send it in time order (stable; for files that are not sorted by time; memory stays bounded by --sort-limit)" };
        var sortLimit = new Option<int>("--sort-limit") { Description = "Most events --sort holds in memory; a larger file is sorted in runs of this many on disk (in TMPDIR) and merged", HelpName = "n", DefaultValueFactory = _ => ReplaySettings.DefaultSortLimit };
        var limit = new Option<long?>("--limit") { Description = "Replay only the first n rows", HelpName = "n" };
        var server = new Option<Uri?>("--server", "-s") { Description = "A running server (freshet serve) to post to, e.g. http://127.0.0.1:7700 [default: an engine in this process]", HelpName = "url", CustomParser = ParseServer };
        var features = new Option<string?>("--features", "-f") { Description = $"Feature definitions of the embedded engine [default: {FeaturesFile.DefaultRelativePath} in the current directory, else the copy shipped with freshet]", HelpName = "path" };
        var shards = Serve.ServeOptions.Shards($"Shards of the embedded engine [default: one per core, {Environment.ProcessorCount} here]");
        var batchSize = new Option<int>("--batch-size") { Description = "Events per request (or per engine batch)", HelpName = "n", DefaultValueFactory = _ => ReplaySettings.DefaultBatchSize };
        var inFlight = new Option<int>("--in-flight") { Description = "Requests in flight at once (only while they cannot make each other's events late)", HelpName = "n", DefaultValueFactory = _ => ReplaySettings.DefaultMaxInFlight };
        var gzip = new Option<bool>("--gzip") { Description = "Compress requests (Content-Encoding: gzip)" };
        var noIds = new Option<bool>("--no-ids") { Description = "Do not give events an id made of the file name and line (ids make retried requests safe: the server counts each id once)" };
        var noWaitForLearners = new Option<bool>("--no-wait-for-learners") { Description = "With --server: end once the server has the events, without waiting for its models to learn them [default: wait, and show the learners' lag]" };
        var keepWindowsOpen = new Option<bool>("--keep-windows-open") { Description = "With --server: leave the click models' attribution windows open at the end (the server goes on taking live events) [default: the file's end ends the stream: once the models have learned it, every open window is closed, so GET /v1/models shows final figures at once]" };
        var speed = new Option<double?>("--speed") { Description = "max, or N for N× real time, paced by the events' times [default: max]", HelpName = "max|n", CustomParser = ParseSpeed };

        Positive(sortLimit, "--sort-limit", 1, int.MaxValue);
        Positive(batchSize, "--batch-size", 1, 1_000_000);
        Positive(inFlight, "--in-flight", 1, 64);
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is { } n && n < 1)
            {
                result.AddError($"--limit must be a positive number of rows, not {n}.");
            }
        });

        var command = new Command("replay", Description())
        {
            file, preset, format, delimiter, noHeader, columns, map, onlyMapped, set, renameType, numbers, nulls, timeUnit, timeFormat,
            timeOffset, sort, sortLimit, limit, server, features, shards, batchSize, inFlight, gzip, noIds, speed, noWaitForLearners,
            keepWindowsOpen,
        };
        // Nothing waits for acknowledgements in an embedded replay, and the last checkpoint syncs everything: no fsync per batch.
        var storage = Serve.StorageArguments.Create(dataByDefault: false, Engine.Storage.Durability.None);
        storage.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(server) is not null && (result.GetResult(features) is not null || result.GetResult(shards) is not null || result.GetResult(storage.Data) is not null))
            {
                result.AddError("--features, --shards and --data are for the embedded engine; with --server the server's own apply.");
            }
        });
        command.SetAction((result, cancellationToken) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            if (!TryPairs(result.GetValue(map), "--map", "target=column", error, out var maps)
                || !TryPairs(result.GetValue(set), "--set", "field=value", error, out var sets)
                || !TryPairs(result.GetValue(renameType), "--rename-type", "from=to", error, out var renames))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var spec = new MappingSpec
            {
                Format = result.GetValue(format),
                Delimiter = result.GetValue(delimiter),
                NoHeader = result.GetValue(noHeader),
                Columns = result.GetValue(columns) is { Length: > 0 } names ? names : null,
                Maps = [.. maps.Select(p => new FieldMap(p.Left, p.Right))],
                Sets = [.. sets.Select(p => new FieldConstant(p.Left, p.Right))],
                TypeRenames = [.. renames.Select(p => new TypeRename(p.Left, p.Right))],
                Numbers = result.GetValue(numbers) ?? [],
                Nulls = result.GetValue(nulls) ?? [],
                TimeUnit = result.GetValue(timeUnit),
                TimeFormat = result.GetValue(timeFormat),
                TimeOffset = result.GetValue(timeOffset),
                OnlyMapped = result.GetValue(onlyMapped),
                Sort = result.GetValue(sort),
            };
            var settings = new ReplaySettings
            {
                Path = result.GetValue(file)!,
                Spec = spec,
                Preset = result.GetValue(preset),
                Server = result.GetValue(server),
                FeaturesPath = result.GetValue(features),
                Shards = result.GetValue(shards),
                Storage = storage.Read(result, diagnostics: null),
                BatchSize = result.GetValue(batchSize),
                MaxInFlight = result.GetValue(inFlight),
                Gzip = result.GetValue(gzip),
                NoIds = result.GetValue(noIds),
                Speed = result.GetValue(speed),
                SortLimit = result.GetValue(sortLimit),
                RowLimit = result.GetValue(limit) ?? long.MaxValue,
                WaitForLearners = !result.GetValue(noWaitForLearners),
                CloseWindows = !result.GetValue(keepWindowsOpen) && !result.GetValue(noWaitForLearners),
            };
            return ReplayRunner.RunAsync(settings, output, error, cancellationToken);
        });
        return command;
    }

    private static string Description() =>
        "Replay a file of events (CSV, TSV or NDJSON) into a running server (--server) or into an engine in this process, "
        + "as fast as possible or at N× real time, with a progress bar and a summary (events/s, rejections by reason and line).\n\n"
        + "Columns become event fields: --map names the columns that give the event's type, time and id and renames others; "
        + "unmapped columns are sent under their own names; empty values are left out; values are strings unless --numbers. "
        + "A row that cannot become an event (a bad time, a truncated line) is rejected with its line number and the rest go on.\n\n"
        + "Examples:\n"
        + "  freshet replay events.ndjson --server http://127.0.0.1:7700\n"
        + "  freshet replay 2019-Oct.csv --preset rees46 --server http://127.0.0.1:7700 --speed 3600\n"
        + "  freshet replay clicks.tsv --map type=action --map time=ts --time-unit s --map item=sku --numbers price\n"
        + "  freshet replay events.ndjson --data ./freshet-data     (then: freshet serve --data ./freshet-data)\n\n"
        + "Presets (--preset NAME; each is just these options, and options given explicitly override them):\n"
        + MappingPresets.Help();
}
