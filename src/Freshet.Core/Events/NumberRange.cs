using System.Runtime.CompilerServices;

namespace Freshet.Events;

/// <summary>
/// The accepted range of numeric field values: finite, with a magnitude of at most <see cref="MaxMagnitude"/> (1e100).
/// Ingest rejects an event holding a number outside it (reason <c>invalid_number</c>, naming the field, the value and the
/// limit), and the numeric aggregators leave such a value out of their state.
/// </summary>
/// <remarks>
/// Why a range and not overflow checks in every aggregator: a tile lives for its window (30 days for a 30d feature),
/// so one infinite sum would read <c>null</c> for all of that time, and an overflow detected at merge time could only
/// be reported long after the request that caused it was acknowledged. A limit checked per event at parse time costs one
/// comparison, is reported to the client that sent the value, and makes overflow impossible downstream: with
/// |x| ≤ 1e100 and at most 2^63 ≈ 9.2e18 events in any state (counts are longs), a sum or a decayed sum stays below
/// 9.2e118, Welford's M2 (a sum of squared deviations, each ≤ (2e100)²) below 3.7e219, and Chan's merge term
/// δ²·nA·nB ≤ 4e200 · 2.1e37 below 1e238 — all far from double's 1.8e308. The limit is also far above any measured
/// quantity a user sends (prices, durations, byte counts, nanosecond timestamps are below 1e20), so it only ever
/// rejects mistakes and attacks. Aggregators still skip an out-of-range value (see <see cref="IsAccepted"/>) so that a
/// producer that bypasses the parser (a file replay, a test, an older log) cannot poison a window either.
/// </remarks>
public static class NumberRange
{
    /// <summary>Largest accepted magnitude of a numeric field value.</summary>
    public const double MaxMagnitude = 1e100;

    /// <summary>How the limit is written in messages and docs.</summary>
    public const string MaxMagnitudeText = "1e100";

    /// <summary>True when <paramref name="value"/> is finite and within ±<see cref="MaxMagnitude"/> (false for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsAccepted(double value) => Math.Abs(value) <= MaxMagnitude;
}
