using Freshet.Events;
using Freshet.Time;

namespace Freshet.Synthetic;

/// <summary>
/// A seeded, realistic stream of shop activity for demos, tests and benchmarks: users with favourite categories
/// browse in sessions (views, now and then a search), views become clicks at each item's true click-through rate,
/// clicks become carts and purchases a little later; item popularity is Zipf, traffic follows a
/// <see cref="DailyRhythm"/>, and a few promoted items trend now and then.
/// </summary>
/// <remarks>
/// <para>Time is simulated: sessions start as a Poisson process whose rate is <see cref="EventsPerSimulatedSecond"/>
/// times the hour's rhythm factor, and each session schedules its later actions on an agenda. Events come out in
/// time order, so the caller decides how fast simulated time runs by how fast it asks for events
/// (<see cref="Fill"/>, or <see cref="FillUntil"/> to follow a clock).</para>
/// <para>Steady state allocates nothing: names are interned when the stream is built (item <c>i0…</c>, user
/// <c>u0…</c>, categories like <c>shoes-07</c>) and events are ints and doubles written into the batch.
/// Not thread-safe while generating; the ground-truth lookups (<see cref="GetItem"/>, <see cref="TryGetItem"/>,
/// <see cref="IsPromoted"/>, <see cref="RecentUser"/>) and <see cref="Counts"/> may be read from another thread,
/// for display: they may be a moment old.</para>
/// </remarks>
public sealed partial class SyntheticStream
{
    private readonly SyntheticWorld _world;
    private readonly PendingActions _agenda;
    private readonly Promotions _promotions;
    private readonly double _eventsPerSession;
    private readonly int _viewType, _clickType, _cartType, _purchaseType, _searchType;
    private readonly int _userField, _itemField, _categoryField, _deviceField, _priceField, _queryField;
    private RandomSource _random;
    private double _nowMs;
    private double _nextSessionMs;
    private double _sessionsPerMs;
    private double _eventsPerSimulatedSecond;
    private int _recentUser = -1;
    private long _sessions, _views, _clicks, _carts, _purchases, _searches, _dropped;

    public SyntheticStream(SyntheticOptions options, StringInterner strings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(strings);
        options.Validate();
        Options = options;
        _random = new RandomSource(options.Seed);
        _world = new SyntheticWorld(options, strings, ref _random);
        _agenda = new PendingActions(options.MaxPendingActions);
        _promotions = new Promotions(options, ref _random);
        (_viewType, _clickType, _cartType, _purchaseType, _searchType) = (strings.GetOrAdd(Vocabulary.View),
            strings.GetOrAdd(Vocabulary.Click), strings.GetOrAdd(Vocabulary.Cart), strings.GetOrAdd(Vocabulary.Purchase),
            strings.GetOrAdd(Vocabulary.Search));
        (_userField, _itemField, _categoryField, _deviceField, _priceField, _queryField) = (strings.GetOrAdd(Vocabulary.UserField),
            strings.GetOrAdd(Vocabulary.ItemField), strings.GetOrAdd(Vocabulary.CategoryField), strings.GetOrAdd(Vocabulary.DeviceField),
            strings.GetOrAdd(Vocabulary.PriceField), strings.GetOrAdd(Vocabulary.QueryField));

        // Expected events per session, so that session starts can be paced to the asked event rate: each step is a
        // search or a view, and a view brings a click (at the view-weighted CTR), which brings a cart and a purchase.
        double steps = 1 / (1 - options.ContinueProbability);
        double perView = 1 + (_world.ViewWeightedCtr * (1 + options.CartProbability + options.PurchaseProbability));
        _eventsPerSession = steps * (options.SearchProbability + ((1 - options.SearchProbability) * perView));

        _nowMs = options.StartTimeMs;
        EventsPerSimulatedSecond = options.EventsPerSimulatedSecond;
        _nextSessionMs = _nowMs + NextSessionGapMs();
    }

    public SyntheticOptions Options { get; }

    /// <summary>Time of the latest generated event (the start time before the first), UTC epoch milliseconds.</summary>
    public long SimulatedNowMs => (long)_nowMs;

    /// <summary>Time the next event will carry: lets a caller pace the stream against its own clock.</summary>
    public long NextEventTimeMs => (long)Math.Min(_nextSessionMs, _agenda.PeekTimeUs / 1000.0);

    /// <summary>
    /// Events per simulated second averaged over a day (the hour's <see cref="DailyRhythm"/> factor scales it).
    /// May be changed between fills; it applies from the next session start.
    /// </summary>
    public double EventsPerSimulatedSecond
    {
        get => _eventsPerSimulatedSecond;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _eventsPerSimulatedSecond = value;
            _sessionsPerMs = value / _eventsPerSession / Duration.Second;
        }
    }

    public SyntheticCounts Counts => new(_sessions, _views, _clicks, _carts, _purchases, _searches, _dropped);

    /// <summary>The user who started the latest session: an active user, for showing one user's features.</summary>
    public string? RecentUser => Volatile.Read(ref _recentUser) is int user and >= 0 ? _world.Name(_world.Users[user].NameId) : null;

    public int ItemCount => _world.Items.Length;

    /// <summary>Mean true CTR weighted by expected views (the stream-wide click-through rate, promotions aside).</summary>
    public double ViewWeightedTrueCtr => _world.ViewWeightedCtr;

    /// <summary>Ground truth of item <paramref name="index"/>.</summary>
    public SyntheticItem GetItem(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ItemCount);
        var w = _world;
        var facts = w.Items[index];
        return new SyntheticItem(index, w.Name(facts.NameId), w.Name(facts.CategoryNameId), w.ItemRank[index], w.ItemShare[index], facts.Ctr, w.ItemPrice[index]);
    }

    /// <summary>Ground truth of the item whose events carry <c>item</c> = <paramref name="id"/>.</summary>
    public bool TryGetItem(string id, out SyntheticItem item)
    {
        if (id.Length > 1 && id[0] == 'i'
            && int.TryParse(id.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
            && index < ItemCount)
        {
            item = GetItem(index);
            return string.Equals(item.Id, id, StringComparison.Ordinal);
        }

        item = default;
        return false;
    }

    /// <summary>Whether item <paramref name="index"/> is being promoted right now (its views are boosted).</summary>
    public bool IsPromoted(int index) => _promotions.IsPromoted(index);

    /// <summary>Appends exactly <paramref name="count"/> events, in time order, to <paramref name="batch"/>.</summary>
    public void Fill(EventBatch batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        for (int n = 0; n < count; n++)
        {
            EmitNext(batch);
        }
    }

    /// <summary>
    /// Appends the events due up to and including <paramref name="untilMs"/> (simulated time), at most
    /// <paramref name="maxCount"/> of them; returns how many. Use it to run the stream on a clock.
    /// </summary>
    public int FillUntil(EventBatch batch, long untilMs, int maxCount)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int n = 0;
        while (n < maxCount && NextEventTimeMs <= untilMs)
        {
            EmitNext(batch);
            n++;
        }

        return n;
    }

    /// <summary>Emits the earliest thing that happens next: a scheduled action, or a new session.</summary>
    private void EmitNext(EventBatch batch)
    {
        if (_agenda.PeekTimeUs <= ToMicroseconds(_nextSessionMs))
        {
            var action = _agenda.Pop();
            _nowMs = action.TimeUs / 1000.0;
            _promotions.Advance(_nowMs, _world, ref _random);
            Perform(batch, action);
        }
        else
        {
            _nowMs = _nextSessionMs;
            _nextSessionMs += NextSessionGapMs();
            _promotions.Advance(_nowMs, _world, ref _random);
            StartSession(batch);
        }
    }

    private static long ToMicroseconds(double timeMs) => (long)(timeMs * 1000);

    /// <summary>Session starts are Poisson with the hour's rate; the gap uses the rate at its start.</summary>
    private double NextSessionGapMs() =>
        _random.NextExponential(1 / (_sessionsPerMs * DailyRhythm.Factor((long)_nowMs)));
}
