using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary>Everything <c>freshet replay</c> was asked to do, after parsing and validating the command line.</summary>
internal sealed record ReplaySettings
{
    public const int DefaultBatchSize = 5000;
    public const int DefaultMaxInFlight = 4;
    public const int DefaultSortLimit = 2_000_000;

    public required string Path { get; init; }

    /// <summary>The options given on the command line (a preset's are laid under them when the replay starts).</summary>
    public required MappingSpec Spec { get; init; }

    public string? Preset { get; init; }

    /// <summary>The server to post to; null replays into an embedded engine.</summary>
    public Uri? Server { get; init; }

    /// <summary>Feature definitions of the embedded engine (null: the shipped sample).</summary>
    public string? FeaturesPath { get; init; }

    public int? Shards { get; init; }

    /// <summary>The embedded engine's data directory (null: in memory, gone when the replay ends).</summary>
    public Freshet.Engine.Storage.StorageOptions? Storage { get; init; }

    public int BatchSize { get; init; } = DefaultBatchSize;

    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    public bool Gzip { get; init; }

    /// <summary>Do not give events without an id of their own one made of the file name and line.</summary>
    public bool NoIds { get; init; }

    /// <summary>N× real time; null for as fast as possible.</summary>
    public double? Speed { get; init; }

    public int SortLimit { get; init; } = DefaultSortLimit;

    /// <summary>With a server that has models: wait at the end until they have learned every event replayed.</summary>
    public bool WaitForLearners { get; init; } = true;

    /// <summary>
    /// With a server that has models, once they have learned every event: the file's end ends the stream, so close
    /// every open attribution window (<c>POST /v1/models/flush?close_windows=true</c>) and the figures are final.
    /// </summary>
    public bool CloseWindows { get; init; } = true;

    /// <summary>Rows to read at most (header not counted).</summary>
    public long RowLimit { get; init; } = long.MaxValue;
}
