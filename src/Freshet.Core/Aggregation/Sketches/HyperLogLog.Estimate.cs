namespace Freshet.Aggregation.Sketches;

/// <summary>
/// The cardinality estimate: in the exact tier the count of the distinct hashes; past it Otmar Ertl, "New
/// cardinality estimation algorithms for HyperLogLog sketches" (2017), the improved raw estimator (his Algorithm 6).
/// It works on the register histogram C[0..q+1] only, so the sparse and dense forms, which describe the same
/// registers, produce the same histogram and the same estimate bit for bit.
/// </summary>
public sealed partial class HyperLogLog
{
    /// <summary>α∞ = 1 / (2 ln 2), the bias constant of the raw estimator as m → ∞.</summary>
    private const double AlphaInfinity = 0.72134752044448170367996234050095;

    /// <summary>
    /// The number of distinct hashes added: exact up to <see cref="ExactHashesMax"/>, estimated past it (0 for an
    /// empty sketch).
    /// </summary>
    public double Estimate()
    {
        if (_exactTier)
        {
            return _exactCount;
        }

        Span<int> histogram = stackalloc int[RankMax + 1];
        histogram.Clear();
        if (_registers is { } registers)
        {
            foreach (byte rank in registers)
            {
                histogram[rank]++;
            }
        }
        else
        {
            Compact();
            histogram[0] = RegisterCount - _sparseCount;
            foreach (uint entry in _sparse.AsSpan(0, _sparseCount))
            {
                histogram[(int)(entry & RankFieldMask)]++;
            }
        }

        return EstimateFromHistogram(histogram);
    }

    /// <summary>
    /// α∞·m² / (m·σ(C0/m) + Σ_{k=1..q} C_k·2^−k + m·τ(1 − C_{q+1}/m)·2^−q), with the sum evaluated by Horner's
    /// rule from k = q down to 1 so the small high-rank terms are added first.
    /// </summary>
    private static double EstimateFromHistogram(ReadOnlySpan<int> histogram)
    {
        const double m = RegisterCount;
        if (histogram[0] == RegisterCount)
        {
            return 0;
        }

        double z = m * Tau(1 - (histogram[RankMax] / m));
        for (int k = RankBits; k >= 1; k--)
        {
            z = 0.5 * (z + histogram[k]);
        }

        z += m * Sigma(histogram[0] / m);
        return AlphaInfinity * m * m / z;
    }

    /// <summary>σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k−1); the correction for empty registers (Ertl, eq. 19).</summary>
    private static double Sigma(double x)
    {
        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        double y = 1;
        double z = x;
        double previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (previous != z);
        return z;
    }

    /// <summary>τ(x) = (1 − x − Σ_{k≥1} (1 − x^(2^−k))²·2^−k) / 3; the correction for saturated registers (eq. 23).</summary>
    private static double Tau(double x)
    {
        if (x == 0 || x == 1)
        {
            return 0;
        }

        double y = 1;
        double z = 1 - x;
        double previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (previous != z);
        return z / 3;
    }
}
