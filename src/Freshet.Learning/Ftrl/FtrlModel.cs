using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Freshet.Hashing;
using Freshet.Learning.Features;

namespace Freshet.Learning.Ftrl;

/// <summary>
/// FTRL-Proximal logistic regression (McMahan et al. 2013, algorithm 1) over hashed coordinates. It keeps the
/// optimizer state per coordinate — z (the adjusted gradient sum) and n (the sum of squared gradients) — and derives
/// weights lazily from them, so L1 gives exact zeros and a checkpoint of (z, n) lets a restart continue exactly where
/// it stopped. <see cref="Learn"/> scores an example before learning from it: the returned probability is the
/// progressive-validation prediction. z and √n sit side by side in one array, so a coordinate costs one cache line;
/// keeping √n rather than n leaves one square root per coordinate and update instead of three.
/// One writer at a time; <see cref="Predict"/> may run beside it and sees weights of some recent moment.
/// </summary>
public sealed class FtrlModel
{
    private const double MaxMargin = 35;
    private static ReadOnlySpan<byte> Magic => "FRSHFTRL"u8;
    private const int FormatVersion = 1;

    /// <summary>Magic, version, bits, α, β, λ1, λ2, examples, prior rate.</summary>
    private const int HeaderBytes = 8 + 4 + 4 + (8 * 4) + 8 + 8;

    private readonly float[] _zn;
    private readonly double _alpha;
    private readonly double _inverseAlpha;
    private readonly double _beta;
    private readonly double _l1;
    private readonly double _l2;

    public FtrlModel(FtrlOptions options)
    {
        options.Validate();
        Options = options;
        _alpha = options.Alpha;
        _inverseAlpha = 1 / options.Alpha;
        _beta = options.Beta;
        _l1 = options.L1;
        _l2 = options.L2;
        _zn = new float[2 << options.Bits];

        // z of the bias such that its weight (with n = 0) is the prior's logit: w = −(z − sgn(z)·λ1) / (β/α + λ2).
        double logit = Math.Log(options.PriorRate / (1 - options.PriorRate));
        if (logit != 0)
        {
            _zn[FeatureHasher.BiasIndex << 1] = (float)((-logit * ((_beta * _inverseAlpha) + _l2)) - (Math.Sign(logit) * _l1));
        }
    }

    public FtrlOptions Options { get; }

    /// <summary>Examples learned from.</summary>
    public long Examples { get; private set; }

    /// <summary>The probability of a positive label for <paramref name="x"/>.</summary>
    public double Predict(SparseVector x)
    {
        var indices = x.Indices;
        var values = x.Values;
        double margin = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            margin += Weight(indices[i]) * values[i];
        }

        return Sigmoid(margin);
    }

    /// <summary>Scores <paramref name="x"/>, then learns from its label; returns the score made before learning.</summary>
    public double Learn(SparseVector x, bool label)
    {
        var indices = x.Indices;
        var values = x.Values;
        Span<double> weights = indices.Length <= 256 ? stackalloc double[256] : new double[indices.Length];
        double margin = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            double w = Weight(indices[i]);
            weights[i] = w;
            margin += w * values[i];
        }

        double p = Sigmoid(margin);
        double error = p - (label ? 1 : 0);
        var zn = _zn;
        for (int i = 0; i < indices.Length; i++)
        {
            int at = indices[i] << 1;
            double g = error * values[i];
            double root = zn[at + 1];
            double grown = Math.Sqrt((root * root) + (g * g));
            zn[at] = (float)(zn[at] + g - ((grown - root) * _inverseAlpha * weights[i]));
            zn[at + 1] = (float)grown;
        }

        Examples++;
        return p;
    }

    /// <summary>The weight of one coordinate, derived from its z and √n (zero inside the L1 ball).</summary>
    public double Weight(int index)
    {
        int at = index << 1;
        double z = _zn[at];
        if (Math.Abs(z) <= _l1)
        {
            return 0;
        }

        return (Math.CopySign(_l1, z) - z) / (((_beta + _zn[at + 1]) * _inverseAlpha) + _l2);
    }

    /// <summary>Coordinates with a non-zero weight (L1 keeps most at exactly zero).</summary>
    public int NonZeroWeights()
    {
        int count = 0;
        for (int i = 0; i < _zn.Length; i += 2)
        {
            if (Math.Abs(_zn[i]) > _l1)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Writes the whole optimizer state (options, example count, z and √n), followed by an XXH64 of everything before
    /// it, so a damaged file is refused rather than half loaded.
    /// </summary>
    public void Save(Stream stream)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), Options.Bits);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(16), _alpha);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(24), _beta);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(32), _l1);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(40), _l2);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(48), Examples);
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(56), Options.PriorRate);
        var body = MemoryMarshal.AsBytes(_zn.AsSpan());
        stream.Write(header);
        stream.Write(body);
        Span<byte> check = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(check, XxHash64.Hash(body, XxHash64.Hash(header)));
        stream.Write(check);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static FtrlModel Load(Stream stream)
    {
        var header = new byte[HeaderBytes];
        stream.ReadExactly(header);
        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new InvalidDataException("not an FTRL model checkpoint (bad magic)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"FTRL model checkpoint version {version} is not supported (this build reads {FormatVersion})");
        }

        var options = new FtrlOptions
        {
            Bits = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)),
            Alpha = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(16)),
            Beta = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(24)),
            L1 = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(32)),
            L2 = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(40)),
            PriorRate = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(56)),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"FTRL model checkpoint has bad options: {e.Message}");
        }

        var model = new FtrlModel(options) { Examples = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(48)) };
        var body = MemoryMarshal.AsBytes(model._zn.AsSpan());
        stream.ReadExactly(body);
        Span<byte> check = stackalloc byte[8];
        stream.ReadExactly(check);
        if (BinaryPrimitives.ReadUInt64LittleEndian(check) != XxHash64.Hash(body, XxHash64.Hash(header)))
        {
            throw new InvalidDataException("FTRL model checkpoint is damaged (checksum mismatch)");
        }

        return model;
    }

    /// <summary>True when both models hold bit-identical state.</summary>
    public bool SameStateAs(FtrlModel other) =>
        Examples == other.Examples && Options == other.Options && _zn.AsSpan().SequenceEqual(other._zn);

    private static double Sigmoid(double margin) => 1 / (1 + Math.Exp(-Math.Clamp(margin, -MaxMargin, MaxMargin)));
}
