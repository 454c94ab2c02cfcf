using System.Buffers;
using Freshet.Aggregation;
using Freshet.Engine.Shards;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;

namespace Freshet.Engine.Reading;

/// <summary>
/// The embedded <see cref="IFeatureReader"/>: plans each read with Core's <see cref="VectorPlan"/> and
/// <see cref="BucketPlan"/> and answers it from the tiles of the shards of this process (each key from the shard its
/// route hash picks), with the engine's catalog and clock.
/// </summary>
internal sealed class ShardFeatureReader(FreshetEngine engine, Shard[] shards, TimeProvider time) : IFeatureReader
{
    /// <summary>
    /// Most keys of a batch read under one hold of a shard's lock: enough to take the lock once for a ranking request's
    /// candidates, few enough that the shard's applying thread never waits long behind a big batch.
    /// </summary>
    private const int KeysPerHold = 64;

    public FeatureCatalog Catalog => engine.Catalog;

    public long NowMs => engine.NowMs;

    private long WallMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public ReadResult<FeatureVector> ReadVector(string entity, IReadOnlyList<string> key, VectorQuery? query = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = engine.Strings.EnterRead();
        var catalog = engine.Catalog;
        if (!ReadPlanner.TryResolveEntity(catalog, entity, out var compiled, out var failure) || !ReadPlanner.TryResolveKey(compiled, key, out var target, out failure))
        {
            return failure;
        }

        var planned = VectorPlan.Create(catalog, compiled, query, engine.NowMs, WallMs);
        if (!planned.IsOk)
        {
            return planned.Failure;
        }

        var plan = planned.Value!;
        var reads = ArrayPool<WindowRead>.Shared.Rent(plan.ReadCount);
        try
        {
            var span = reads.AsSpan(0, plan.ReadCount);
            plan.FillReads(span);
            var status = ShardFor(target).ReadWindows(span, [target.KeyId], plan.AtMs, plan.NowMs, plan.PlanAsOf, out int failed);
            return status == ReadStatus.Ok ? ReadResult<FeatureVector>.Ok(plan.Compose(target, span)) : Failed(plan, span[failed], status);
        }
        finally
        {
            ArrayPool<WindowRead>.Shared.Return(reads, clearArray: true);
        }
    }

    public void ReadVectors(string entity, IReadOnlyList<IReadOnlyList<string>> keys, VectorQuery? query, Span<ReadResult<FeatureVector>> results)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, keys.Count, nameof(results));
        using var reading = engine.Strings.EnterRead();
        var catalog = engine.Catalog;
        if (!ReadPlanner.TryResolveEntity(catalog, entity, out var compiled, out var failure))
        {
            results[..keys.Count].Fill(failure);
            return;
        }

        // One plan (features, windows, one time) for every key; a bad key fails before the plan does, as in ReadVector.
        var planned = VectorPlan.Create(catalog, compiled, query, engine.NowMs, WallMs);
        var targets = new ReadTarget[keys.Count];
        var order = new int[keys.Count];
        var shardOf = new int[keys.Count];
        int pending = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            if (!ReadPlanner.TryResolveKey(compiled, keys[i], out targets[i], out failure))
            {
                results[i] = failure;
            }
            else if (!planned.IsOk)
            {
                results[i] = planned.Failure;
            }
            else
            {
                order[pending] = i;
                shardOf[pending++] = ShardIndex(targets[i]);
            }
        }

        if (pending == 0)
        {
            return;
        }

        var plan = planned.Value!;
        Array.Sort(shardOf, order, 0, pending);
        int perKey = plan.ReadCount;
        var reads = ArrayPool<WindowRead>.Shared.Rent(Math.Max(1, perKey * Math.Min(pending, KeysPerHold)));
        Span<int> keyIds = stackalloc int[KeysPerHold];
        try
        {
            for (int start = 0; start < pending;)
            {
                // The next keys of one shard, at most KeysPerHold of them.
                int shard = shardOf[start];
                int end = start + 1;
                while (end < pending && end - start < KeysPerHold && shardOf[end] == shard)
                {
                    end++;
                }

                int n = end - start;
                var span = reads.AsSpan(0, perKey * n);
                for (int k = 0; k < n; k++)
                {
                    plan.FillReads(span.Slice(k * perKey, perKey));
                    keyIds[k] = targets[order[start + k]].KeyId;
                }

                var status = shards[shard].ReadWindows(span, keyIds[..n], plan.AtMs, plan.NowMs, plan.PlanAsOf, out int failed);
                for (int k = 0; k < n; k++)
                {
                    int i = order[start + k];
                    results[i] = status == ReadStatus.Ok ? ReadResult<FeatureVector>.Ok(plan.Compose(targets[i], span.Slice(k * perKey, perKey))) : Failed(plan, span[failed], status);
                }

                start = end;
            }
        }
        finally
        {
            ArrayPool<WindowRead>.Shared.Return(reads, clearArray: true);
        }
    }

    public ReadResult<FeatureSeries> ReadSeries(string feature, IReadOnlyList<string> key, long resolutionMs, long? fromMs = null, long? toMs = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = engine.Strings.EnterRead();
        if (!ReadPlanner.TryResolveFeature(engine.Catalog, feature, null, out var compiled, out var failure)
            || !ReadPlanner.TryResolveKey(compiled.Entity, key, out var target, out failure))
        {
            return failure;
        }

        var planned = BucketPlan.Series(compiled, resolutionMs, fromMs, toMs, engine.NowMs, WallMs);
        if (!planned.IsOk)
        {
            return planned.Failure;
        }

        var plan = planned.Value!;
        return TryReadSlots(plan, target, out var values, out failure) ? ReadResult<FeatureSeries>.Ok(plan.ToSeries(target, values)) : failure;
    }

    public ReadResult<FeatureProfile> ReadProfile(string feature, IReadOnlyList<string> key, ProfileKind kind, int? days = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = engine.Strings.EnterRead();
        if (!ReadPlanner.TryResolveFeature(engine.Catalog, feature, null, out var compiled, out var failure)
            || !ReadPlanner.TryResolveKey(compiled.Entity, key, out var target, out failure))
        {
            return failure;
        }

        var planned = BucketPlan.Profile(compiled, kind, days, engine.NowMs, WallMs);
        if (!planned.IsOk)
        {
            return planned.Failure;
        }

        var plan = planned.Value!;
        return TryReadSlots(plan, target, out var values, out failure) ? ReadResult<FeatureProfile>.Ok(plan.ToProfile(target, kind, values)) : failure;
    }

    /// <summary>Merges the plan's buckets of each source feature from the key's shard and derives the slot values.</summary>
    private bool TryReadSlots(BucketPlan plan, ReadTarget target, out FeatureValue[] values, out ReadFailure failure)
    {
        var shard = ShardFor(target);
        var sources = new FeatureValue[plan.Sources.Count][];
        for (int s = 0; s < sources.Length; s++)
        {
            sources[s] = new FeatureValue[plan.SlotCount];
            if (!shard.ReadGrouped(plan.Sources[s], target.KeyId, plan.Spans, plan.SlotOfSpan, plan.NowMs, sources[s]))
            {
                values = [];
                failure = ReadPlanner.NotLoaded(plan.Sources[s]);
                return false;
            }
        }

        values = plan.Combine(sources);
        failure = default;
        return true;
    }

    private static ReadFailure Failed(VectorPlan plan, in WindowRead read, ReadStatus status) =>
        status == ReadStatus.Unavailable ? ReadPlanner.NotLoaded(read.Feature) : ReadPlanner.TooOld(read, plan.AtMs);

    private Shard ShardFor(ReadTarget target) => shards[ShardIndex(target)];

    private int ShardIndex(ReadTarget target) => (int)(((target.RouteHash >> 32) * (ulong)shards.Length) >> 32);
}
