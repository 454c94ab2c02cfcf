using System.Text.Json;
using Freshet.Aggregation;

namespace Freshet.Contracts;

// The shapes of the HTTP API's JSON bodies. Property names are written snake_case; times are epoch milliseconds
// (UTC) with an ISO-8601 twin where a person reads them; windows and durations use the definitions' syntax (1h, 7d).

/// <summary>The answer to <c>POST /v1/events</c> when every event was accepted (or was a retry of one that was).</summary>
/// <param name="Accepted">Events accepted and counted.</param>
/// <param name="Duplicates">Retries of events already accepted (same id inside the dedup horizon): acknowledged, not counted again.</param>
/// <param name="Rejected">Empty here; see the 400 and 422 answers.</param>
/// <param name="Sequence">The request's place in the server's order (what ?wait=true waits for).</param>
public sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected, long Sequence);

/// <summary>One event the server did not take: its 0-based position in the request, a reason code and a message.</summary>
/// <param name="Index">The event's 0-based position in the request.</param>
/// <param name="Reason">A stable code saying why (late, future, missing_type…).</param>
/// <param name="Field">The field at fault, when there is one.</param>
/// <param name="Message">What was wrong and what is allowed.</param>
public sealed record RejectedEvent(int Index, string Reason, string? Field, string Message);

/// <summary>One feature value for one window and the interval <c>[from, to)</c> actually summed (see "Windows" in the docs).</summary>
/// <param name="Value">The value over the window.</param>
/// <param name="From">The start of the interval summed (epoch ms): the window's start rounded down to a kept tile.</param>
/// <param name="To">The end of the interval summed (epoch ms, exclusive): the end of the bucket containing the as-of time.</param>
public sealed record ReadingDto(FeatureValue Value, long From, long To);

/// <summary>The features of one key: feature → window → reading.</summary>
/// <param name="Entity">The entity read.</param>
/// <param name="Key">The key's parts, in the entity's key order.</param>
/// <param name="At">The as-of time read (epoch ms).</param>
/// <param name="AtUtc">The same time in ISO-8601.</param>
/// <param name="KnownKey">False for a key with no events kept (its counts read 0).</param>
/// <param name="Features">Feature name → window (1h, 1d, or short/long for a trend) → reading.</param>
public sealed record VectorResponse(
    string Entity,
    IReadOnlyList<string> Key,
    long At,
    string AtUtc,
    bool KnownKey,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, ReadingDto>> Features);

/// <summary>
/// <c>POST /v1/vectors/{entity}</c>: keys (a string for a one-field key, an array of parts for a composite key),
/// optionally the features, the windows and an as-of time shared by every key.
/// </summary>
public sealed record VectorBatchRequest(IReadOnlyList<JsonElement>? Keys, IReadOnlyList<string>? Features, IReadOnlyList<string>? Windows, JsonElement? AsOf);

/// <summary>The vectors of a batch of keys, in the order asked.</summary>
public sealed record VectorBatchResponse(string Entity, long At, string AtUtc, IReadOnlyList<VectorResponse> Vectors);

/// <summary>One bucket of a series.</summary>
/// <param name="Start">The bucket's start (epoch ms); it ends one resolution later.</param>
/// <param name="Value">The feature over the bucket.</param>
public sealed record SeriesPointDto(long Start, FeatureValue Value);

/// <summary>A feature bucket by bucket, oldest first, over <c>[from, to)</c>.</summary>
public sealed record SeriesResponse(string Feature, IReadOnlyList<string> Key, string Resolution, long From, long To, IReadOnlyList<SeriesPointDto> Points);

/// <summary>One slot of a profile.</summary>
/// <param name="Slot">The hour ("00".."23", UTC) or weekday ("mon".."sun").</param>
/// <param name="Value">The feature summed over that slot of every day folded.</param>
public sealed record ProfileSlotDto(string Slot, FeatureValue Value);

/// <summary>A feature folded by hour of day (slots "00".."23", UTC) or day of week ("mon".."sun").</summary>
public sealed record ProfileResponse(string Feature, IReadOnlyList<string> Key, string Kind, long From, long To, IReadOnlyList<ProfileSlotDto> Slots);

/// <summary>One item of a top-k list, with the features asked for with <c>with=</c> (keyed by the item).</summary>
/// <param name="Item">The item.</param>
/// <param name="Value">Its count (weight) over the window.</param>
/// <param name="Error">The Space-Saving bound on how much the count may be overestimated, when not 0.</param>
/// <param name="Features">With with=: the item's features, feature → window → reading.</param>
public sealed record TopItemDto(string? Item, double Value, double? Error, IReadOnlyDictionary<string, IReadOnlyDictionary<string, ReadingDto>>? Features);

/// <summary>The top items of a top_k feature over one window, heaviest first (or ordered by <c>order_by</c>).</summary>
public sealed record TopResponse(string Feature, IReadOnlyList<string> Key, string Window, long At, string AtUtc, long From, long To, string? OrderBy, IReadOnlyList<TopItemDto> Items);

public sealed record TileLevelDto(string Resolution, string Keep);

public sealed record EntityDto(string Name, IReadOnlyList<string> Key);

public sealed record PriorDto(double Alpha, double Beta);

/// <summary>One feature as declared, with its version: the fingerprint of its definition (changes when any part of it does).</summary>
public sealed record FeatureDto(
    string Name,
    string Entity,
    string Aggregation,
    string? Description,
    IReadOnlyList<string>? Events,
    IReadOnlyList<string>? Filter,
    string? Field,
    IReadOnlyList<string>? Windows,
    int? K,
    string? HalfLife,
    string? Numerator,
    string? Denominator,
    PriorDto? Prior,
    string? Source,
    string? Short,
    string? Long,
    IReadOnlyList<TileLevelDto> Tiles,
    string Version,
    string StateVersion);

/// <summary>The loaded catalog: where it came from, its version, settings, entities and features.</summary>
public sealed record CatalogResponse(
    string Source,
    string? DeclaredVersion,
    long CatalogVersion,
    string Fingerprint,
    string Clock,
    string AllowedLateness,
    string MaxFuture,
    long? Now,
    string? NowUtc,
    IReadOnlyList<EntityDto> Entities,
    IReadOnlyList<FeatureDto> Features);

public sealed record HealthResponse(string Status);

public sealed record ShardDto(int Index, long EventsApplied, long AppliedSequence, int QueueDepth);

/// <summary>
/// The dedup window: the promised <c>horizon</c> and the one <c>covered</c> now (the age of the oldest remembered id;
/// shorter only while the server has not yet seen a horizon's worth of ids), ids held, table bytes against the memory
/// budget, the ids the budget holds at most, requests (and their ids) refused with 503 because the budget was full
/// inside the horizon, and ids forgotten before their horizon (only a restart into a smaller budget does that).
/// </summary>
public sealed record DedupDto(
    string Horizon, long HorizonMs, string Covered, long CoveredMs, long Ids, long Bytes, long BudgetBytes, long CapacityIds,
    long RefusedRequests, long RefusedIds, long ForgottenEarly);

/// <summary>
/// Ingest admission: requests parsed and ingested now and waiting for a turn (each up to <c>Limit</c>), requests refused
/// since start with 429 (too many requests, or the body budget full) and 503 (shard queues full); bodies being received,
/// the bytes their buffers hold against <c>BufferedBytesLimit</c>, and bodies cut off as too slow (408).
/// </summary>
public sealed record IngestAdmissionDto(int InProgress, int Waiting, int Limit, long RefusedTooManyRequests, long RefusedOverloaded,
    int Reading, long BufferedBytes, long BufferedBytesLimit, long RefusedSlow);

/// <summary>Readiness: whether the server takes traffic now, and why not.</summary>
public sealed record ReadyResponse(string Status, string? Reason, long CatalogVersion, int QueueCapacity, IReadOnlyList<ShardDto> Shards);

/// <summary>Counters since the server started.</summary>
public sealed record StatsResponse(
    long Accepted,
    long Duplicates,
    long Rejected,
    IReadOnlyDictionary<string, long> RejectedByReason,
    long EventsWithoutFeatures,
    IReadOnlyDictionary<string, long> MissingKeyByEntity,
    long Batches,
    long? Now,
    string? NowUtc,
    long CatalogVersion,
    DedupDto Dedup,
    IngestAdmissionDto Ingest,
    StorageDto? Storage,
    IReadOnlyList<ShardDto> Shards);

/// <summary>
/// The data directory (absent for an in-memory server): the log's offsets (events below <c>durable_offset</c> are as
/// safe as the durability policy promises), its size, the last checkpoint and any failure.
/// </summary>
public sealed record StorageDto(
    string Directory,
    string Durability,
    long LogFirstOffset,
    long LogEndOffset,
    long DurableOffset,
    int Segments,
    long LogBytes,
    long? LastCheckpointOffset,
    DateTimeOffset? LastCheckpointAt,
    double? LastCheckpointMs,
    long Checkpoints,
    string? LastCheckpointError,
    string? Failure);
