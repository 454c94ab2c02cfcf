using Freshet.Time;

namespace Freshet.Synthetic;

/// <summary>
/// How busy the shop is by hour of day (UTC): a trough around 04:00, a working-day plateau and an evening peak around
/// 20:00, like the traffic of a consumer site in one time zone. Factors average 1 over a day, so a rate times the factor
/// keeps its daily mean.
/// </summary>
public static class DailyRhythm
{
    // Relative activity at the middle of each hour, 00:30 first; normalized below so the daily mean is exactly 1.
    private static readonly double[] HourlyWeights =
    [
        0.55, 0.40, 0.30, 0.25, 0.22, 0.25, 0.35, 0.55, 0.75, 0.85, 0.90, 0.95,
        1.05, 1.00, 0.95, 0.95, 1.00, 1.10, 1.30, 1.55, 1.70, 1.65, 1.35, 0.90,
    ];

    private static readonly double[] Factors = Normalize(HourlyWeights);

    /// <summary>The busiest hour's factor (about 1.9).</summary>
    public static double Peak { get; } = Factors.Max();

    /// <summary>The quietest hour's factor (about 0.25).</summary>
    public static double Trough { get; } = Factors.Min();

    /// <summary>The activity factor at <paramref name="timeMs"/>, interpolated linearly between the middles of hours.</summary>
    public static double Factor(long timeMs)
    {
        long msOfDay = timeMs - TimeMath.FloorTo(timeMs, Duration.Day);
        double hours = (msOfDay / (double)Duration.Hour) - 0.5; // Hour h's weight sits at h + 0.5.
        if (hours < 0)
        {
            hours += 24;
        }

        int h = (int)hours;
        double fraction = hours - h;
        return (Factors[h] * (1 - fraction)) + (Factors[(h + 1) % 24] * fraction);
    }

    private static double[] Normalize(double[] weights)
    {
        double mean = weights.Average();
        return [.. weights.Select(w => w / mean)];
    }
}
