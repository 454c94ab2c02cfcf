using System.Buffers;
using Freshet.Aggregation.Sketches;
using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>
/// The k most frequent values of a string field with their counts, from a Space-Saving summary of
/// <c>capacity</c> counters (more counters, tighter error bounds). Each served item carries
/// <see cref="ItemValue.Error"/>: its true count lies in [count − error, count]. State: slot 0 holds a handle into
/// a pool of summaries owned by this instance (0 = nothing seen yet). Number fields are ignored.
/// </summary>
public sealed class TopKAggregator : PooledSketchAggregator<SpaceSaving>
{
    // Finish copies the top k to the stack up to this k (24 bytes an entry) and rents beyond it.
    private const int StackTopMax = 256;

    private readonly int _k;

    public TopKAggregator(int k, int capacity)
        : base(() => new SpaceSaving(capacity))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, k);
        _k = k;
    }

    protected override string KindName => "top-k";

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (value.Kind == FieldKind.String)
        {
            SketchFor(state).Add(value.StringId);
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        if (state[0] == 0)
        {
            return FeatureValue.Of([]);
        }

        (int Item, long Count, long Error)[]? rented = null;
        Span<(int Item, long Count, long Error)> top = _k <= StackTopMax
            ? stackalloc (int, long, long)[_k]
            : (rented = ArrayPool<(int, long, long)>.Shared.Rent(_k));
        int n = SketchOf(state)!.CopyTop(top, _k);
        var items = new ItemValue[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = new ItemValue(context.Strings[top[i].Item], top[i].Count, top[i].Error);
        }

        if (rented is not null)
        {
            ArrayPool<(int, long, long)>.Shared.Return(rented);
        }

        return FeatureValue.Of(items);
    }

    /// <summary>The summary of a state, or null when it is empty (for tests).</summary>
    internal SpaceSaving? SummaryOf(ReadOnlySpan<long> state) => SketchOf(state);

    protected override void MergeSketch(SpaceSaving into, SpaceSaving from) => into.Merge(from);
}
