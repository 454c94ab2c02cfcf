namespace Freshet.Engine.Storage;

/// <summary>The durable side of an engine now: the log, the last checkpoint and any failure.</summary>
public sealed record StorageStats(
    string Directory,
    Durability Durability,
    long LogFirstOffset,
    long LogEndOffset,
    long DurableOffset,
    int Segments,
    long LogBytes,
    long? LastCheckpointOffset,
    DateTimeOffset? LastCheckpointAt,
    TimeSpan? LastCheckpointDuration,
    long Checkpoints,
    string? LastCheckpointError,
    string? Failure);

/// <summary>
/// What opening a data directory found and did, and how long each step took: loading the id journal, opening the
/// checkpoints and the log (reading the newest segment to its end), loading the checkpoint's tiles, replaying the log.
/// </summary>
public sealed record RecoveryReport(
    string Directory,
    bool Created,
    long? CheckpointOffset,
    long ReplayedFromOffset,
    long ReplayedEvents,
    long LogEndOffset,
    int Segments,
    long LogBytes,
    long Tiles,
    TimeSpan IdsTime,
    TimeSpan OpenTime,
    TimeSpan LoadTime,
    TimeSpan ReplayTime,
    IReadOnlyList<string> Notes)
{
    /// <summary>The report as lines for an operator.</summary>
    public IEnumerable<string> Describe()
    {
        if (Created)
        {
            yield return $"Created a new data directory {Directory} (no earlier state).";
        }
        else
        {
            yield return $"Recovered {Directory}: "
                + (CheckpointOffset is { } offset ? $"checkpoint at offset {offset:N0} ({Tiles:N0} tiles) loaded in {LoadTime.TotalSeconds:0.00} s, " : "no checkpoint, ")
                + $"ids in {IdsTime.TotalSeconds:0.00} s, " 
                + $"{ReplayedEvents:N0} events replayed from offset {ReplayedFromOffset:N0} in {ReplayTime.TotalSeconds:0.00} s; "
                + $"the log holds offsets up to {LogEndOffset:N0} in {Segments} segment{(Segments == 1 ? "" : "s")} ({LogBytes / 1048576.0:0.0} MiB).";
        }

        foreach (string note in Notes)
        {
            yield return "  " + note;
        }
    }
}
