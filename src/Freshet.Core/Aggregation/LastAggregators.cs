using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>
/// Shared encoding for "latest value" states. An entry is two slots: a tagged time (<c>time &lt;&lt; 1 | isString</c>) and
/// the value (double bits, or the interned string id). Entries order by (tagged time, value), so ties between events
/// with the same millisecond are broken the same way whatever order tiles merge in: the result is deterministic.
/// </summary>
internal static class LatestEntry
{
    public const long Empty = long.MinValue;

    public static long Tag(long timeMs, in FieldValue value) => (timeMs << 1) | (value.Kind == FieldKind.String ? 1L : 0L);

    public static long Payload(in FieldValue value) =>
        value.Kind == FieldKind.String ? value.StringId : BitConverter.DoubleToInt64Bits(value.Number);

    public static bool IsNewer(long tagA, long valueA, long tagB, long valueB) => tagA > tagB || (tagA == tagB && valueA > valueB);

    public static ItemValue ToItem(long tag, long payload, in FinishContext context) =>
        (tag & 1) != 0
            ? new ItemValue(context.StringOf((int)payload), double.NaN, 0, tag >> 1)
            : new ItemValue(null, BitConverter.Int64BitsToDouble(payload), 0, tag >> 1);
}

/// <summary>The value of the latest event (string or number). State: tagged time and value. Exact.</summary>
public sealed class LastAggregator : Aggregator
{
    public override int Width => 2;

    public override void Init(Span<long> state)
    {
        state[0] = LatestEntry.Empty;
        state[1] = 0;
    }

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        long tag = LatestEntry.Tag(timeMs, value);
        long payload = LatestEntry.Payload(value);
        if (state[0] == LatestEntry.Empty || LatestEntry.IsNewer(tag, payload, state[0], state[1]))
        {
            state[0] = tag;
            state[1] = payload;
        }
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[0] != LatestEntry.Empty && (into[0] == LatestEntry.Empty || LatestEntry.IsNewer(from[0], from[1], into[0], into[1])))
        {
            into[0] = from[0];
            into[1] = from[1];
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        if (state[0] == LatestEntry.Empty)
        {
            return FeatureValue.Missing;
        }

        var item = LatestEntry.ToItem(state[0], state[1], context);
        return item.Item is null ? FeatureValue.Of(item.Value) : FeatureValue.Of([item]);
    }

    public override void MarkStrings(ReadOnlySpan<long> state, StringMarks marks)
    {
        if (state[0] != LatestEntry.Empty && (state[0] & 1) != 0)
        {
            marks.Mark((int)state[1]);
        }
    }
}

/// <summary>
/// The values of the latest k events, newest first (for example the last 20 items a user viewed).
/// State: a count, then k entries of (tagged time, value) kept sorted newest first. Exact.
/// </summary>
public sealed class LastKAggregator : Aggregator
{
    private readonly int _k;

    public LastKAggregator(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _k = k;
    }

    public override int Width => 1 + (2 * _k);

    public override void Update(Span<long> state, in FieldValue value, long timeMs) =>
        Insert(state, LatestEntry.Tag(timeMs, value), LatestEntry.Payload(value));

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        int n = (int)from[0];
        for (int i = 0; i < n; i++)
        {
            // Entries arrive newest first; once one does not fit, none of the older ones will.
            if (!Insert(into, from[1 + (2 * i)], from[2 + (2 * i)]))
            {
                break;
            }
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        int n = (int)state[0];
        var items = new ItemValue[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = LatestEntry.ToItem(state[1 + (2 * i)], state[2 + (2 * i)], context);
        }

        return FeatureValue.Of(items);
    }

    public override void MarkStrings(ReadOnlySpan<long> state, StringMarks marks)
    {
        int n = (int)state[0];
        for (int i = 0; i < n; i++)
        {
            if ((state[1 + (2 * i)] & 1) != 0)
            {
                marks.Mark((int)state[2 + (2 * i)]);
            }
        }
    }

    /// <summary>Inserts an entry in order; returns false when it is older than every kept entry of a full state.</summary>
    private bool Insert(Span<long> state, long tag, long payload)
    {
        int n = (int)state[0];
        int position = n;
        while (position > 0 && LatestEntry.IsNewer(tag, payload, state[(2 * position) - 1], state[2 * position]))
        {
            position--;
        }

        if (position == _k)
        {
            return false;
        }

        int last = Math.Min(n, _k - 1);
        for (int i = last; i > position; i--)
        {
            state[1 + (2 * i)] = state[(2 * i) - 1];
            state[2 + (2 * i)] = state[2 * i];
        }

        state[1 + (2 * position)] = tag;
        state[2 + (2 * position)] = payload;
        state[0] = Math.Min(n + 1, _k);
        return true;
    }
}

/// <summary>
/// Exponentially decayed sum with a half-life: each event contributes <c>x · 2^(−age / halfLife)</c> at query time.
/// State: the sum expressed at a reference time (the newest event seen) and that time, so values never grow
/// and two states merge by decaying the older one to the newer reference.
/// </summary>
public sealed class DecayedSumAggregator(long halfLifeMs, bool sumsField) : Aggregator
{
    public override int Width => 2;

    public override bool IsExact => false;

    public override void Init(Span<long> state)
    {
        state[0] = 0;
        state[1] = LatestEntry.Empty;
    }

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        // As sum: a value outside NumberRange is left out rather than make the state infinite (see NumberRange).
        if (!sumsField || NumberRange.IsAccepted(value.Number))
        {
            Fold(state, sumsField ? value.Number : 1.0, timeMs);
        }
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[1] != LatestEntry.Empty)
        {
            Fold(into, BitConverter.Int64BitsToDouble(from[0]), from[1]);
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        state[1] == LatestEntry.Empty
            ? FeatureValue.Of(0)
            : FeatureValue.Of(BitConverter.Int64BitsToDouble(state[0]) * Decay(context.NowMs - state[1]));

    private void Fold(Span<long> state, double x, long timeMs)
    {
        if (state[1] == LatestEntry.Empty)
        {
            state[0] = BitConverter.DoubleToInt64Bits(x);
            state[1] = timeMs;
            return;
        }

        double current = BitConverter.Int64BitsToDouble(state[0]);
        long reference = state[1];
        double sum = timeMs <= reference
            ? current + (x * Decay(reference - timeMs))
            : (current * Decay(timeMs - reference)) + x;
        state[0] = BitConverter.DoubleToInt64Bits(sum);
        state[1] = Math.Max(reference, timeMs);
    }

    private double Decay(long ageMs) => Math.Pow(2.0, -(double)ageMs / halfLifeMs);
}
