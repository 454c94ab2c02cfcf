namespace Freshet.Synthetic;

/// <summary>
/// xoshiro256** seeded through SplitMix64: fast, allocation-free, and the same sequence on every platform and .NET
/// version. <see cref="Random"/>'s seeded algorithm is an implementation detail, and the generator's promise of one
/// stream per seed depends on this never changing. A mutable struct: keep it in a field and call it in place.
/// </summary>
internal struct RandomSource
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public RandomSource(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1), 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Uniform in [0, <paramref name="n"/>) by multiply-shift (Lemire) without the rejection step: the bias is at most
    /// n / 2^32, far below anything a synthetic stream could show.
    /// </summary>
    public int NextInt(int n) => (int)(((NextUInt64() >> 32) * (ulong)n) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double NextDouble(double min, double max) => min + (NextDouble() * (max - min));

    public bool NextBool(double probability) => NextDouble() < probability;

    /// <summary>An exponential variate: the gap to the next arrival of a Poisson process with this mean gap.</summary>
    public double NextExponential(double mean) => -Math.Log(1.0 - NextDouble()) * mean;

    /// <summary>A standard normal variate (Marsaglia's polar method, one of the pair used).</summary>
    public double NextNormal()
    {
        while (true)
        {
            double u = (2 * NextDouble()) - 1;
            double v = (2 * NextDouble()) - 1;
            double s = (u * u) + (v * v);
            if (s is > 0 and < 1)
            {
                return u * Math.Sqrt(-2 * Math.Log(s) / s);
            }
        }
    }

    public double NextLogNormal(double mu, double sigma) => Math.Exp(mu + (sigma * NextNormal()));

    /// <summary>A Gamma(shape, 1) variate (Marsaglia and Tsang), boosted for shapes below 1.</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1)
        {
            return NextGamma(shape + 1) * Math.Pow(1.0 - NextDouble(), 1 / shape);
        }

        double d = shape - (1.0 / 3);
        double c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = NextNormal();
            double v = 1 + (c * x);
            if (v <= 0)
            {
                continue;
            }

            v = v * v * v;
            double u = 1.0 - NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    /// <summary>A Beta(a, b) variate as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).</summary>
    public double NextBeta(double a, double b)
    {
        double x = NextGamma(a);
        double y = NextGamma(b);
        return x / (x + y);
    }

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
