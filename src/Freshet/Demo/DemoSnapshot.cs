using Freshet.Seams;
using Freshet.Synthetic;

namespace Freshet.Cli.Demo;

/// <summary>Everything one frame of the demo shows, read at one moment. <see cref="Models"/> is null when the demo learns no models.</summary>
internal sealed record DemoSnapshot(
    TimeSpan Elapsed,
    EngineStats Stats,
    double EventsPerSecond,
    double AverageEventsPerSecond,
    double PeakEventsPerSecond,
    IReadOnlyList<double> RateHistory,
    long SimulatedStartMs,
    long SimulatedNowMs,
    double SimulatedSpeed,
    SyntheticCounts Generated,
    EngineFootprint Footprint,
    long HttpRequests,
    double HttpRequestsPerSecond,
    TrendingItems? Trending,
    UserVector? User,
    LearnerProgress? Models);

/// <summary>State the engine holds: tiles and their bytes over all stateful features, the process's working set (RSS) and its GC heap.</summary>
internal readonly record struct EngineFootprint(long Tiles, long TileBytes, int StatefulFeatures, long ProcessBytes, long HeapBytes = 0);

/// <summary>
/// The global top-k of items, each with its own features and the generator's ground truth. Labels are null for
/// features the definitions lack (<see cref="ViewsLabel"/> too when the view count has no window like the top-k's).
/// <see cref="TrendBaselineFilled"/> is the share of the trend's long window the stream has covered so far: below 1,
/// every trend reads high.
/// </summary>
internal sealed record TrendingItems(
    string Feature,
    string Window,
    string? ViewsLabel,
    string? TrendLabel,
    string? CtrLabel,
    double TrendBaselineFilled,
    IReadOnlyList<TrendingItem> Items,
    string? Problem);

/// <summary>One trending item: its top-k count, views in the top-k's window, trend and learned CTR, and its true CTR and promotion.</summary>
internal sealed record TrendingItem(int Rank, string Item, string? Category, double Count, double? Views, double? Trend, double? Ctr, double? TrueCtr, bool Promoted);

/// <summary>One user's feature vector, formatted for display.</summary>
internal sealed record UserVector(string Entity, string User, IReadOnlyList<UserReading> Readings, string? Problem);

/// <summary>One feature value of the sample user.</summary>
internal sealed record UserReading(string Feature, string Window, string Value);
