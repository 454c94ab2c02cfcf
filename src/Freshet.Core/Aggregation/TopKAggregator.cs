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

    /// <summary>
    /// The k items with the largest counts, ties in ordinal order of the item's text. Ties are broken by text, not by
    /// interned id, so the answer does not depend on the order this process first saw the strings in (a restarted or
    /// another process answers the same).
    /// </summary>
    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        if (state[0] == 0)
        {
            return FeatureValue.Of([]);
        }

        var sketch = SketchOf(state)!;
        // One more than k tells whether the k-th place is tied with items beyond it; then every tied item competes.
        int want = _k + 1;
        (int Item, long Count, long Error)[]? rented = null;
        Span<(int Item, long Count, long Error)> top = want <= StackTopMax
            ? stackalloc (int, long, long)[want]
            : (rented = ArrayPool<(int, long, long)>.Shared.Rent(want));
        int n = sketch.CopyTop(top, want);
        if (n == want && top[_k].Count == top[_k - 1].Count)
        {
            if (rented is not null)
            {
                ArrayPool<(int, long, long)>.Shared.Return(rented);
            }

            rented = ArrayPool<(int, long, long)>.Shared.Rent(sketch.Count);
            n = sketch.CopyTop(rented, sketch.Count);
            top = rented.AsSpan(0, n);
            long boundary = top[_k - 1].Count;
            while (n > _k && top[n - 1].Count < boundary)
            {
                n--;
            }
        }

        var items = new ItemValue[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = new ItemValue(context.StringOf(top[i].Item), top[i].Count, top[i].Error);
        }

        if (rented is not null)
        {
            ArrayPool<(int, long, long)>.Shared.Return(rented);
        }

        Array.Sort(items, static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Item, b.Item));
        return FeatureValue.Of(n > _k ? items[.._k] : items);
    }

    public override void MarkStrings(ReadOnlySpan<long> state, StringMarks marks)
    {
        if (state[0] != 0)
        {
            SketchOf(state)!.MarkItems(marks);
        }
    }

    /// <summary>The summary of a state, or null when it is empty (for tests).</summary>
    internal SpaceSaving? SummaryOf(ReadOnlySpan<long> state) => SketchOf(state);

    protected override void MergeSketch(SpaceSaving into, SpaceSaving from) => into.Merge(from);
}
