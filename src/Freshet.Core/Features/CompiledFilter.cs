using Freshet.Events;

namespace Freshet.Features;

/// <summary>A feature's filter compiled to interned ids: evaluated per event without allocation.</summary>
public sealed class CompiledFilter
{
    private readonly Condition[] _conditions;

    internal CompiledFilter(IReadOnlyList<FilterCondition> conditions, StringInterner strings)
    {
        _conditions = conditions.Select(c => new Condition(
            strings.GetOrAdd(c.Field),
            c.Op,
            // A number literal also matches the same number sent as a string ("category": "3" and "category": 3).
            c.Values.Select(v => strings.GetOrAdd(v.ToString())).ToArray(),
            c.Values.Where(v => v.Number is not null).Select(v => v.Number!.Value).ToArray())).ToArray();
    }

    public bool IsEmpty => _conditions.Length == 0;

    /// <summary>True when every condition holds. An absent field fails every condition except ne and not_in.</summary>
    public bool Matches(EventBatch batch, int index)
    {
        foreach (var c in _conditions)
        {
            bool present = batch.TryGetField(index, c.FieldId, out var value);
            if (!c.Test(present, value))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Condition(int FieldId, FilterOp Op, int[] StringIds, double[] Numbers)
    {
        public bool Test(bool present, in FieldValue value) => Op switch
        {
            FilterOp.Exists => present,
            FilterOp.Eq or FilterOp.In => present && IsOneOf(value),
            FilterOp.Ne or FilterOp.NotIn => !present || !IsOneOf(value),
            FilterOp.Gt => present && value.Kind == FieldKind.Number && value.Number > Numbers[0],
            FilterOp.Gte => present && value.Kind == FieldKind.Number && value.Number >= Numbers[0],
            FilterOp.Lt => present && value.Kind == FieldKind.Number && value.Number < Numbers[0],
            FilterOp.Lte => present && value.Kind == FieldKind.Number && value.Number <= Numbers[0],
            _ => false,
        };

        private bool IsOneOf(in FieldValue value)
        {
            if (value.Kind == FieldKind.String)
            {
                return Array.IndexOf(StringIds, value.StringId) >= 0;
            }

            foreach (double n in Numbers)
            {
                if (n == value.Number)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
