namespace Freshet.Windows;

/// <summary>One rung of the tile ladder: tiles of <see cref="ResolutionMs"/> are kept for <see cref="KeepMs"/>.</summary>
/// <remarks>
/// It lives with the ladder, not with the feature definitions that declare it: Windows then depends on nothing of
/// Features, and the arrow points one way (Features → Windows).
/// </remarks>
public sealed record TileLevel(long ResolutionMs, long KeepMs);
