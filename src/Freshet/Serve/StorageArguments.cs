using System.CommandLine;
using System.Globalization;
using Freshet.Cli.Arguments;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Cli.Serve;

/// <summary>
/// The data-directory options shared by <c>serve</c>, <c>replay</c> (embedded) and <c>demo</c>, and opening an engine
/// on them with one line per problem.
/// </summary>
internal sealed class StorageArguments
{
    /// <summary>Where <c>freshet serve</c> keeps its state unless told otherwise (relative to the working directory).</summary>
    public const string DefaultDirectory = "freshet-data";

    /// <summary>Tests only: milliseconds to pause at each storage fault point, announcing it on stderr first.</summary>
    public const string FaultPauseVariable = "FRESHET_TEST_FAULT_PAUSE_MS";

    private StorageArguments(bool dataByDefault, Durability defaultDurability)
    {
        DataByDefault = dataByDefault;
        Data = new Option<string?>("--data", "-d")
        {
            Description = dataByDefault
                ? $"Data directory: the event log and checkpoints, recovered at start (created when missing) [default: {DefaultDirectory}]"
                : "Data directory: the event log and checkpoints, recovered at start (created when missing) [default: none, in memory]",
            HelpName = "dir",
        };
        InMemory = new Option<bool>("--in-memory")
        {
            Description = "Keep nothing on disk: state is lost when the process ends",
        };
        Durability = new Option<Durability>("--durability")
        {
            Description = "When an event is acknowledged: always = on disk (fsync per group commit; nothing acknowledged is ever lost), "
                + "interval = written to the OS, synced every --fsync-interval (a power cut can lose that long), "
                + "none = queued for writing (a crash can lose the last few milliseconds)",
            DefaultValueFactory = _ => defaultDurability,
        };
        FsyncInterval = OptionValues.DurationOption("--fsync-interval", "How often the log is synced with --durability interval", 100);
        CheckpointInterval = OptionValues.DurationOption("--checkpoint-interval", "How often all state is checkpointed (recovery replays the log after the last one); 0: only at shutdown", 30_000, allowZero: true);
        SegmentSize = OptionValues.SizeOption("--segment-size", "Log segment size: a new file is started past it, and retention deletes whole segments", 64L << 20);
        Retention = OptionValues.DurationOption("--retention", "Delete log segments older than this (never what the kept checkpoints or --backfill-horizon need); 0: keep them", 7 * Duration.Day, allowZero: true);
        RetentionSize = new Option<long?>("--retention-size")
        {
            Description = "Trim the log, oldest segments first, to this size (same exceptions) [default: no limit]",
            HelpName = "size",
            CustomParser = r => OptionValues.ParseSize(r, 1L << 50),
        };
        BackfillHorizon = OptionValues.DurationOption("--backfill-horizon", "Keep log segments with events newer than now minus this, whatever the retention, so new features can be backfilled", 0, allowZero: true);
    }

    public bool DataByDefault { get; }

    public Option<string?> Data { get; }

    public Option<bool> InMemory { get; }

    public Option<Durability> Durability { get; }

    public Option<DurationValue> FsyncInterval { get; }

    public Option<DurationValue> CheckpointInterval { get; }

    public Option<SizeValue> SegmentSize { get; }

    public Option<DurationValue> Retention { get; }

    public Option<long?> RetentionSize { get; }

    public Option<DurationValue> BackfillHorizon { get; }

    /// <summary>The options for a command that keeps state on disk by default (<c>serve</c>) or only when given <c>--data</c>.</summary>
    public static StorageArguments Create(bool dataByDefault, Durability defaultDurability = Engine.Storage.Durability.Always) =>
        new(dataByDefault, defaultDurability);

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        if (DataByDefault)
        {
            command.Options.Add(InMemory);
        }

        foreach (var option in new Option[] { Durability, FsyncInterval, CheckpointInterval, SegmentSize, Retention, RetentionSize, BackfillHorizon })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (DataByDefault && result.GetValue(InMemory) && result.GetResult(Data) is not null)
            {
                result.AddError("--in-memory and --data contradict each other: pick one.");
            }
        });
    }

    /// <summary>The storage settings chosen, or null for an in-memory engine.</summary>
    public StorageOptions? Read(ParseResult result, Action<string>? diagnostics)
    {
        string? directory = result.GetValue(Data);
        if (directory is null && (!DataByDefault || result.GetValue(InMemory)))
        {
            return null;
        }

        long retention = result.GetValue(Retention).Ms;
        int faultPauseMs = int.TryParse(Environment.GetEnvironmentVariable(FaultPauseVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int ms) ? ms : 0;
        return new StorageOptions
        {
            Directory = directory ?? DefaultDirectory,
            Durability = result.GetValue(Durability),
            FsyncInterval = TimeSpan.FromMilliseconds(result.GetValue(FsyncInterval).Ms),
            CheckpointInterval = TimeSpan.FromMilliseconds(result.GetValue(CheckpointInterval).Ms),
            SegmentBytes = result.GetValue(SegmentSize).Bytes,
            RetentionAge = retention == 0 ? null : TimeSpan.FromMilliseconds(retention),
            RetentionBytes = result.GetValue(RetentionSize),
            BackfillHorizon = TimeSpan.FromMilliseconds(result.GetValue(BackfillHorizon).Ms),
            Diagnostics = diagnostics,
            FaultPoint = faultPauseMs <= 0 ? null : point =>
            {
                Console.Error.WriteLine($"fault-point: {point}");
                Console.Error.Flush();
                Thread.Sleep(faultPauseMs);
            },
        };
    }

    /// <summary>
    /// Creates the engine, recovering the data directory when there is one and printing what recovery did; on a
    /// storage problem writes one line saying what is wrong and returns null.
    /// </summary>
    public static FreshetEngine? TryOpen(FeatureSet definitions, EngineOptions options, TextWriter output, TextWriter error)
    {
        try
        {
            var engine = FreshetEngine.Create(definitions, options);
            if (engine.Recovery is { } recovery)
            {
                foreach (string line in recovery.Describe())
                {
                    output.WriteLine(line);
                }
            }

            return engine;
        }
        catch (StorageException e)
        {
            error.WriteLine($"Cannot use the data directory: {e.Message}");
            return null;
        }
    }

    /// <summary>"data directory X, durability always" or "in memory (nothing kept on disk)".</summary>
    public static string Describe(StorageOptions? storage) => storage is null
        ? "in memory (nothing kept on disk)"
        : $"data in {Path.GetFullPath(storage.Directory)}, durability {storage.Durability.ToString().ToLowerInvariant()}"
          + (storage.Durability == Engine.Storage.Durability.Interval ? $" (synced every {Duration.Format((long)storage.FsyncInterval.TotalMilliseconds)})" : "");
}
