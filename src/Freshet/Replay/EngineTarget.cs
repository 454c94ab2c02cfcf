using System.Text.Json;
using Freshet.Engine;
using Freshet.Events;
using Freshet.Files.Mapping;
using FieldKind = Freshet.Files.Mapping.FieldKind;
using Freshet.Hashing;
using Freshet.Seams;

namespace Freshet.Cli.Replay;

/// <summary>
/// Replays straight into an engine in this process: mapped events become an <see cref="EventBatch"/> (names, types and
/// values interned once; no JSON in between) handed to the engine's router (<see cref="IEventRouter.Ingest"/>), which
/// blocks while the shard queues are full. Rejections come back by position in the batch and are reported by file line.
/// </summary>
internal sealed class EngineTarget(FreshetEngine engine, FieldNameTable names, ReplayCounters counters, int batchSize, string featuresPath, byte[] idPrefix) : IReplayTarget
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    private readonly IEventRouter _router = engine.Router; // Ingest goes through the seam; the rest (flush, footprint, storage) is the embedded engine's.
    private readonly EventBatch _batch = new(batchSize);
    private readonly long[] _lines = new long[batchSize];
    private int[] _nameIds = [];

    public string Description => $"an embedded engine (features from {featuresPath}, {engine.ShardCount} shards, "
        + (engine.GetStorageStats() is { } storage ? $"data in {storage.Directory})" : "in memory)");

    public FreshetEngine Engine => engine;

    public int Pending => _batch.Count;

    public bool IsBatchFull => _batch.Count >= batchSize;

    public void Add(MappedEvent e)
    {
        var strings = engine.Strings;
        ulong idHash = !e.Id.IsEmpty ? Math.Max(1UL, XxHash64.Hash(e.Id)) : idPrefix.Length > 0 ? FileLineId(e.Line) : 0; // As the JSON parser hashes an id.
        _batch.BeginEvent(strings.GetOrAddUtf8(e.Type), e.TimeMs, idHash);
        foreach (ref readonly var field in e.Fields)
        {
            int nameId = NameId(field.NameId);
            if (field.Kind == FieldKind.Number)
            {
                _batch.AddNumber(nameId, field.Number);
            }
            else
            {
                _batch.AddString(nameId, strings.GetOrAddUtf8(e.TextOf(field)));
            }
        }

        _lines[_batch.Count] = e.Line;
        _batch.EndEvent();
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_batch.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var result = _router.Ingest(_batch);
        if (result.Refused is { } refused)
        {
            // The replay's clock only moves with the events it ingests, so waiting would not free the dedup window.
            throw new ReplayFailedException($"the engine refused a batch: {refused.Message}");
        }

        counters.Request();
        counters.Answered(_batch.Count, result.Accepted, result.Duplicates);
        foreach (var rejected in result.Rejected)
        {
            counters.RejectByTarget(new Rejection(_lines[rejected.Index], ReasonCode(rejected.Reason), rejected.Message));
        }

        _batch.Clear();
        return ValueTask.CompletedTask;
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        if (!engine.Flush(DrainTimeout))
        {
            throw new TimeoutException($"the engine did not apply every event within {DrainTimeout.TotalSeconds:0} s");
        }
    }

    public IReadOnlyList<string> Report()
    {
        var stats = engine.GetStats();
        var lines = new List<string>
        {
            $"engine: {ReplayFormat.Count(stats.Accepted)} events accepted, clock at {ReplayFormat.Time(stats.NowMs)}",
        };
        if (stats.EventsWithoutFeatures > 0)
        {
            lines.Add($"engine: {ReplayFormat.Count(stats.EventsWithoutFeatures)} events of types no feature consumes");
        }

        foreach (var (entity, count) in stats.MissingKeyByEntity.Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            lines.Add($"engine: {ReplayFormat.Count(count)} events lack a key field of entity '{entity}' (they update no '{entity}' feature)");
        }

        long tiles = 0, bytes = 0;
        foreach (var feature in engine.Catalog.Features)
        {
            var (t, b, _) = engine.Footprint(feature);
            tiles += t;
            bytes += b;
        }

        lines.Add($"engine: {ReplayFormat.Count(tiles)} tiles ({ReplayFormat.Bytes(bytes)}) in {engine.Catalog.Features.Length} features");
        return lines;
    }

    /// <summary>The id a server replay gives an event without one ("file:line"), hashed as the server hashes ids, so replaying a file twice counts it once.</summary>
    private ulong FileLineId(long line)
    {
        Span<byte> id = stackalloc byte[idPrefix.Length + 21];
        idPrefix.CopyTo(id);
        id[idPrefix.Length] = (byte)':';
        System.Buffers.Text.Utf8Formatter.TryFormat(line, id[(idPrefix.Length + 1)..], out int digits);
        return Math.Max(1UL, XxHash64.Hash(id[..(idPrefix.Length + 1 + digits)]));
    }

    /// <summary>The reason's code as the server writes it: <c>Late</c> → <c>late</c>, <c>MissingType</c> → <c>missing_type</c>.</summary>
    public static string ReasonCode(EventRejectReason reason) => JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    private int NameId(int id)
    {
        if (id >= _nameIds.Length)
        {
            int old = _nameIds.Length;
            Array.Resize(ref _nameIds, Math.Max(names.Count, id + 1));
            _nameIds.AsSpan(old).Fill(-1);
        }

        if (_nameIds[id] < 0)
        {
            _nameIds[id] = engine.Strings.GetOrAdd(names[id]);
        }

        return _nameIds[id];
    }

    public ValueTask DisposeAsync() => engine.DisposeAsync();
}
