using Freshet.Contracts;
using Freshet.Seams;
using Freshet.Server.Ingest;
using Freshet.Server.Problems;
using Freshet.Time;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Health;

/// <summary>
/// <c>/healthz</c> (the process answers), <c>/readyz</c> (it should be sent traffic: not stopping, the event log
/// writable) and <c>/v1/stats</c> (counters since start).
/// </summary>
internal sealed class HealthEndpoints(IEventRouter router, StorageStatsSource storage, EventsEndpoint ingest, IHostApplicationLifetime lifetime)
{
    public static IResult Live() => TypedResults.Json(new HealthResponse("ok"), ServerJsonContext.Default.HealthResponse);

    /// <summary>
    /// Ready unless the server cannot do its job: it is stopping, or its event log cannot be written (a full disk, a
    /// read-only or vanished directory). Busy is not unready: full shard queues last a fraction of a second, requests
    /// then get a 503 with Retry-After one by one, and a probe that flipped on them took a loaded but healthy server
    /// out of rotation (the demo's was "not ready" for its whole run). The queues are reported either way. Recovery
    /// needs no state here: the server listens only once the engine has recovered.
    /// </summary>
    public IResult Ready()
    {
        var stats = router.GetStats();
        string? reason = lifetime.ApplicationStopping.IsCancellationRequested ? "stopping"
            : router.Failure is { } failure ? $"the event log cannot be written: {DataPaths.Relative(failure.Message, storage.DataDirectory)}"
            : null;
        int queueCapacity = stats.Shards.Count == 0 ? 0 : stats.Shards.Max(s => s.QueueCapacity);
        var response = new ReadyResponse(reason is null ? "ready" : "not_ready", reason, stats.CatalogVersion, queueCapacity, Shards(stats));
        return TypedResults.Json(response, ServerJsonContext.Default.ReadyResponse,
            statusCode: reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    public IResult Stats()
    {
        var stats = router.GetStats();
        bool hasNow = stats.NowMs != long.MinValue;
        var response = new StatsResponse(
            stats.Accepted,
            stats.Duplicates,
            stats.Rejected,
            stats.RejectedByReason.Where(r => r.Value > 0).ToDictionary(r => EventsEndpoint.ReasonCode(r.Key), r => r.Value, StringComparer.Ordinal),
            stats.EventsWithoutFeatures,
            stats.MissingKeyByEntity,
            stats.Batches,
            hasNow ? stats.NowMs : null,
            hasNow ? TimeMath.FormatUtc(stats.NowMs, "?") : null,
            stats.CatalogVersion,
            Dedup(stats.Dedup),
            Admission(ingest.Admission),
            Storage(storage.Read()),
            Shards(stats));
        return TypedResults.Json(response, ServerJsonContext.Default.StatsResponse);
    }

    private static DedupDto Dedup(Seams.DedupStats d) => new(
        Duration.Format(d.HorizonMs), d.HorizonMs, Duration.Format(d.CoveredMs), d.CoveredMs, d.Ids, d.Bytes, d.BudgetBytes, d.CapacityIds,
        d.RefusedBatches, d.RefusedIds, d.ForgottenEarly);

    // Paths are named relative to the data directory, and the directory by its name: see DataPaths.
    private static StorageDto? Storage(Engine.Storage.StorageStats? s) => s is null ? null : new StorageDto(
        DataPaths.DirectoryName(s.Directory),
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(s.Durability.ToString()),
        s.LogFirstOffset,
        s.LogEndOffset,
        s.DurableOffset,
        s.Segments,
        s.LogBytes,
        s.LastCheckpointOffset,
        s.LastCheckpointAt,
        s.LastCheckpointDuration is { } d ? Math.Round(d.TotalMilliseconds, 1) : null,
        s.Checkpoints,
        s.LastCheckpointError is { } checkpointError ? DataPaths.Relative(checkpointError, s.Directory) : null,
        s.Failure is { } failure ? DataPaths.Relative(failure, s.Directory) : null);

    private static IngestAdmissionDto Admission(EventsEndpoint.IngestAdmission a) =>
        new(a.InProgress, a.Waiting, a.Limit, a.RefusedTooManyRequests, a.RefusedOverloaded, a.Reading, a.BufferedBytes, a.BufferedBytesLimit, a.RefusedSlow);

    private static ShardDto[] Shards(Seams.EngineStats stats) =>
        stats.Shards.Select(s => new ShardDto(s.Index, s.EventsApplied, s.AppliedSequence, s.QueueDepth)).ToArray();
}
