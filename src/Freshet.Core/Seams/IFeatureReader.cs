using Freshet.Features;
using Freshet.Reading;

namespace Freshet.Seams;

/// <summary>
/// The feature reader seam: vectors, series and profiles of entity keys, answered from tiles by Core's window planner.
/// Embedded: the shards of this process; scale-out: a serving process reading published tile values from Redis.
/// A question that cannot be answered is a status with a message naming what was wrong (data plane: no exceptions);
/// an unknown key answers like a key with no events. Every implementation passes the reader contract kit.
/// </summary>
public interface IFeatureReader
{
    /// <summary>The catalog reads are answered with (it changes with a catalog swap; read it once per request).</summary>
    FeatureCatalog Catalog { get; }

    /// <summary>Now as the reader's clock sees it (<see cref="long.MinValue"/> before the first event in event-time mode).</summary>
    long NowMs { get; }

    /// <summary>The features of <paramref name="entity"/> = <paramref name="key"/>, as <paramref name="query"/> asks (null: every declared feature and window, now).</summary>
    ReadResult<FeatureVector> ReadVector(string entity, IReadOnlyList<string> key, VectorQuery? query = null);

    /// <summary>
    /// The vectors of many keys of one entity with one query (a ranking request's candidates), into
    /// <paramref name="results"/>[i] for <paramref name="keys"/>[i]; a backend batches them (one round trip a shard).
    /// </summary>
    void ReadVectors(string entity, IReadOnlyList<IReadOnlyList<string>> keys, VectorQuery? query, Span<ReadResult<FeatureVector>> results);

    /// <summary><paramref name="feature"/> bucket by bucket at <paramref name="resolutionMs"/> over [from, to) (nulls: the default range).</summary>
    ReadResult<FeatureSeries> ReadSeries(string feature, IReadOnlyList<string> key, long resolutionMs, long? fromMs = null, long? toMs = null);

    /// <summary><paramref name="feature"/> folded by hour of day or day of week over the last <paramref name="days"/> (null: what retention keeps).</summary>
    ReadResult<FeatureProfile> ReadProfile(string feature, IReadOnlyList<string> key, ProfileKind kind, int? days = null);
}

/// <summary>Whether a read was answered, and if not, why (the HTTP layer maps each to a status code and problem type).</summary>
public enum ReadStatus
{
    Ok,
    UnknownEntity,
    UnknownFeature,
    /// <summary>The key has the wrong number of parts for its entity.</summary>
    BadKey,
    BadWindow,
    /// <summary>The as-of time or range is older than the tiles keep, or in the future.</summary>
    OutOfRange,
    /// <summary>The feature cannot answer this kind of read (a trend has no series).</summary>
    NotSupported,
    /// <summary>The backend could not be reached or answered in time (scale-out); the read may be retried.</summary>
    Unavailable,
}

/// <summary>The answer to one read: <see cref="Value"/> when <see cref="Status"/> is <see cref="ReadStatus.Ok"/>, else <see cref="Problem"/> says what was wrong.</summary>
public readonly record struct ReadResult<T>(ReadStatus Status, T? Value, string? Problem)
    where T : class
{
    public bool IsOk => Status == ReadStatus.Ok;

    public static ReadResult<T> Ok(T value) => new(ReadStatus.Ok, value, null);

    public static ReadResult<T> Fail(ReadStatus status, string problem) => new(status, null, problem);

    /// <summary>A failed read of any kind answers a read of this kind with the same status and problem.</summary>
    public static implicit operator ReadResult<T>(ReadFailure failure) => Fail(failure.Status, failure.Problem);

    /// <summary>The status and problem of a failed read, to pass on as another kind of read's answer.</summary>
    public ReadFailure Failure => IsOk ? throw new InvalidOperationException("the read succeeded") : new ReadFailure(Status, Problem!);

    /// <summary>The value of a read that must have succeeded (tests, tools); throws with the problem otherwise.</summary>
    public T ValueOrThrow() => IsOk ? Value! : throw new InvalidOperationException($"{Status}: {Problem}");
}
