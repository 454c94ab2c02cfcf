namespace Freshet.Synthetic;

/// <summary>
/// The shape of a <see cref="SyntheticStream"/>: the size of the shop, how popularity, click-through and prices are
/// distributed, how people browse, and how fast simulated time runs. The defaults describe a mid-sized shop
/// (100,000 items in 500 categories, 200,000 users). Equal options and seed give an identical stream.
/// </summary>
public sealed record SyntheticOptions
{
    /// <summary>Seeds every random choice; the same seed gives the same events, times included.</summary>
    public ulong Seed { get; init; } = 42;

    public int ItemCount { get; init; } = 100_000;

    public int CategoryCount { get; init; } = 500;

    public int UserCount { get; init; } = 200_000;

    /// <summary>Item popularity is Zipf: the item of popularity rank r gets views in proportion to 1 / r^s.</summary>
    public double ZipfExponent { get; init; } = 1.1;

    /// <summary>Each item's true click-through rate is drawn from Beta(alpha, beta); the defaults have mean 2/42 ≈ 4.8 %.</summary>
    public double CtrAlpha { get; init; } = 2;

    public double CtrBeta { get; init; } = 40;

    /// <summary>Item prices are lognormal: exp(N(mu, sigma)); the defaults have a median of about 30 and a long tail.</summary>
    public double PriceLogMean { get; init; } = 3.4;

    public double PriceLogSigma { get; init; } = 0.9;

    /// <summary>How unequal users are: each user's activity weight is lognormal with this sigma (0 = all alike).</summary>
    public double UserActivitySigma { get; init; } = 1.0;

    /// <summary>Share of views taken from one of the user's 2–3 favourite categories (the rest follow global popularity).</summary>
    public double FavouriteCategoryShare { get; init; } = 0.7;

    /// <summary>Chance that a view stays in the category of the session's previous view.</summary>
    public double StayInCategoryProbability { get; init; } = 0.5;

    /// <summary>Chance that a session step is a search rather than a view.</summary>
    public double SearchProbability { get; init; } = 0.08;

    /// <summary>Chance that a session goes on after each step; sessions have 1 / (1 − p) steps on average.</summary>
    public double ContinueProbability { get; init; } = 0.85;

    /// <summary>Mean simulated time between two steps of one session.</summary>
    public long MeanStepGapMs { get; init; } = 25_000;

    /// <summary>Chance that a click puts the item in the cart.</summary>
    public double CartProbability { get; init; } = 0.25;

    /// <summary>Chance that a click ends in a purchase (always after a cart, so at most <see cref="CartProbability"/>).</summary>
    public double PurchaseProbability { get; init; } = 0.08;

    /// <summary>
    /// Promotions make a few tail items suddenly popular: on average one starts every this often (simulated time),
    /// lasts 2–6 hours and takes <see cref="BoostViewShare"/> of all views while it lasts. Zero turns them off.
    /// </summary>
    public long MeanBoostIntervalMs { get; init; } = 3 * Time.Duration.Hour;

    public double BoostViewShare { get; init; } = 0.02;

    /// <summary>Simulated start time (UTC epoch milliseconds).</summary>
    public long StartTimeMs { get; init; } = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    /// <summary>
    /// Events per simulated second, averaged over a day; the <see cref="DailyRhythm"/> shapes it by hour. Adjustable
    /// while the stream runs (<see cref="SyntheticStream.EventsPerSimulatedSecond"/>).
    /// </summary>
    public double EventsPerSimulatedSecond { get; init; } = 250;

    /// <summary>Most scheduled actions (next session steps, delayed clicks, carts, purchases) held at once; beyond it new ones are dropped.</summary>
    public int MaxPendingActions { get; init; } = 1 << 20;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ItemCount, 1, nameof(ItemCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(CategoryCount, 1, nameof(CategoryCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CategoryCount, ItemCount, nameof(CategoryCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(UserCount, 1, nameof(UserCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(UserCount, PendingAction.MaxUsers, nameof(UserCount));
        ArgumentOutOfRangeException.ThrowIfNegative(ZipfExponent, nameof(ZipfExponent));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CtrAlpha, nameof(CtrAlpha));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CtrBeta, nameof(CtrBeta));
        ArgumentOutOfRangeException.ThrowIfNegative(PriceLogSigma, nameof(PriceLogSigma));
        ArgumentOutOfRangeException.ThrowIfNegative(UserActivitySigma, nameof(UserActivitySigma));
        CheckProbability(FavouriteCategoryShare, nameof(FavouriteCategoryShare));
        CheckProbability(StayInCategoryProbability, nameof(StayInCategoryProbability));
        CheckProbability(SearchProbability, nameof(SearchProbability));
        CheckProbability(CartProbability, nameof(CartProbability));
        CheckProbability(BoostViewShare, nameof(BoostViewShare));
        ArgumentOutOfRangeException.ThrowIfNegative(ContinueProbability, nameof(ContinueProbability));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(ContinueProbability, 1, nameof(ContinueProbability));
        ArgumentOutOfRangeException.ThrowIfNegative(PurchaseProbability, nameof(PurchaseProbability));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PurchaseProbability, CartProbability, nameof(PurchaseProbability));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MeanStepGapMs, nameof(MeanStepGapMs));
        ArgumentOutOfRangeException.ThrowIfNegative(MeanBoostIntervalMs, nameof(MeanBoostIntervalMs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EventsPerSimulatedSecond, nameof(EventsPerSimulatedSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingActions, 16, nameof(MaxPendingActions));
    }

    private static void CheckProbability(double p, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1, name);
    }
}
