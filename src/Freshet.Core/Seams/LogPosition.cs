namespace Freshet.Seams;

/// <summary>
/// A place in one partition of the event log: the number of events appended to that partition before it, so the
/// position of the next append is the partition's end. Positions only compare within one partition; every backend
/// numbers its partitions' events from 0 and never reuses a position (a trim raises the first readable one).
/// </summary>
public readonly record struct LogPosition(long Offset) : IComparable<LogPosition>
{
    /// <summary>Before the first event of a partition.</summary>
    public static LogPosition Start => default;

    public int CompareTo(LogPosition other) => Offset.CompareTo(other.Offset);

    public static bool operator <(LogPosition left, LogPosition right) => left.Offset < right.Offset;

    public static bool operator >(LogPosition left, LogPosition right) => left.Offset > right.Offset;

    public static bool operator <=(LogPosition left, LogPosition right) => left.Offset <= right.Offset;

    public static bool operator >=(LogPosition left, LogPosition right) => left.Offset >= right.Offset;

    /// <summary>The position <paramref name="events"/> later.</summary>
    public LogPosition Advance(long events) => new(Offset + events);

    public override string ToString() => Offset.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}
