using Freshet.Time;

namespace Freshet.Synthetic;

/// <summary>
/// Sudden popularity, so that a trend feature has something to find: from time to time a mid-tail item (a news
/// mention, a promotion) takes a fixed share of all views for a few hours, then falls back to its usual rank.
/// At most <see cref="SlotCount"/> promotions run at once.
/// </summary>
internal sealed class Promotions
{
    public const int SlotCount = 4;

    private readonly int[] _items = new int[SlotCount];
    private readonly double[] _endMs = new double[SlotCount];
    private readonly double _meanIntervalMs;
    private readonly double _viewShare;
    private int _active;
    private double _nextStartMs;
    private double _nextChangeMs;

    public Promotions(SyntheticOptions options, ref RandomSource random)
    {
        _meanIntervalMs = options.MeanBoostIntervalMs;
        _viewShare = options.BoostViewShare;
        _nextStartMs = _meanIntervalMs > 0 && _viewShare > 0
            ? options.StartTimeMs + random.NextExponential(_meanIntervalMs)
            : double.PositiveInfinity;
        _nextChangeMs = _nextStartMs;
    }

    public int ActiveCount => _active;

    /// <summary>Share of views that go to promoted items right now.</summary>
    public double ActiveShare => _active * _viewShare;

    /// <summary>Ends promotions that are over and starts due ones. Cheap to call per event: one comparison.</summary>
    public void Advance(double nowMs, SyntheticWorld world, ref RandomSource random)
    {
        if (nowMs < _nextChangeMs)
        {
            return;
        }

        for (int s = _active - 1; s >= 0; s--)
        {
            if (_endMs[s] <= nowMs)
            {
                _active--;
                _items[s] = _items[_active];
                _endMs[s] = _endMs[_active];
            }
        }

        while (_nextStartMs <= nowMs)
        {
            if (_active < SlotCount)
            {
                // A mid-tail item: popular enough to be real, far enough down that the jump is unmistakable.
                int itemCount = world.Items.Length;
                int lowRank = Math.Min(itemCount, 20 + (itemCount / 1000));
                int highRank = Math.Max(lowRank, itemCount / 20);
                int rank = lowRank + random.NextInt(highRank - lowRank + 1);
                _items[_active] = world.ItemOfRank[rank];
                _endMs[_active] = _nextStartMs + random.NextDouble(2 * Duration.Hour, 6 * Duration.Hour);
                _active++;
            }

            _nextStartMs += random.NextExponential(_meanIntervalMs);
        }

        _nextChangeMs = _nextStartMs;
        for (int s = 0; s < _active; s++)
        {
            _nextChangeMs = Math.Min(_nextChangeMs, _endMs[s]);
        }
    }

    /// <summary>One of the promoted items, uniformly; only valid while <see cref="ActiveCount"/> is positive.</summary>
    public int Sample(ref RandomSource random) => _items[random.NextInt(_active)];

    /// <summary>Whether <paramref name="item"/> is promoted now. Safe to call from another thread (a stale answer at worst).</summary>
    public bool IsPromoted(int item)
    {
        int active = Volatile.Read(ref _active);
        for (int s = 0; s < active; s++)
        {
            if (_items[s] == item)
            {
                return true;
            }
        }

        return false;
    }
}
