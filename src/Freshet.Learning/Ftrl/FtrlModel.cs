using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Freshet.Learning.Features;
using Freshet.Learning.Parameters;

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

    /// <summary>Examples with more features than this keep their rows on the heap rather than the stack.</summary>
    private const int MaxStackFeatures = 256;
    private static ReadOnlySpan<byte> Magic => "FRSHFTRL"u8;
    private const int FormatVersion = 1;

    /// <summary>Magic, version, bits, α, β, λ1, λ2, examples, prior rate.</summary>
    private const int HeaderBytes = 8 + 4 + 4 + (8 * 4) + 8 + 8;

    private readonly IParameterStore _store;
    private readonly double _alpha;
    private readonly double _inverseAlpha;
    private readonly double _beta;
    private readonly double _l1;
    private readonly double _l2;

    /// <param name="options">The hyper-parameters.</param>
    /// <param name="store">Where z and √n live, one two-float row per coordinate (see <see cref="Create"/> to get one from a factory).</param>
    public FtrlModel(FtrlOptions options, IParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        options.Validate();
        Options = options;
        _alpha = options.Alpha;
        _inverseAlpha = 1 / options.Alpha;
        _beta = options.Beta;
        _l1 = options.L1;
        _l2 = options.L2;
        _store = store;
        if (_store.Width != 2)
        {
            throw new ArgumentException($"an FTRL model keeps two floats a coordinate (z and √n), but the store's rows hold {_store.Width}", nameof(store));
        }

        // z of the bias such that its weight (with n = 0) is the prior's logit: w = −(z − sgn(z)·λ1) / (β/α + λ2).
        double logit = Math.Log(options.PriorRate / (1 - options.PriorRate));
        if (logit != 0 && _store.KeyCount == 0)
        {
            float z = (float)((-logit * ((_beta * _inverseAlpha) + _l2)) - (Math.Sign(logit) * _l1));
            _store.Push([FeatureHasher.BiasIndex], [z, 0]);
        }
    }

    /// <summary>A new model whose store comes from <paramref name="stores"/> (role <see cref="ParameterStoreRoles.Ftrl"/> of <paramref name="model"/>).</summary>
    public static FtrlModel Create(FtrlOptions options, IParameterStoreFactory stores, string model)
    {
        options.Validate();
        return new FtrlModel(options, CreateStore(options, stores, model));
    }

    /// <summary>The store of a model with <paramref name="options"/>, from <paramref name="stores"/>: two floats a coordinate, sized for 2^bits of them.</summary>
    public static IParameterStore CreateStore(FtrlOptions options, IParameterStoreFactory stores, string model) =>
        stores.Create(model, ParameterStoreRoles.Ftrl, width: 2, keyCapacity: 1 << options.Bits);

    public FtrlOptions Options { get; }

    /// <summary>Examples learned from.</summary>
    public long Examples { get; private set; }

    /// <summary>Coordinates the model can address (2^bits).</summary>
    private int Coordinates => 1 << Options.Bits;

    /// <summary>The probability of a positive label for <paramref name="x"/>.</summary>
    public double Predict(SparseVector x)
    {
        var indices = x.Indices;
        var values = x.Values;
        Span<float> zn = indices.Length <= MaxStackFeatures ? stackalloc float[2 * indices.Length] : new float[2 * indices.Length];
        _store.Pull(indices, zn);
        double margin = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            margin += Weight(zn[2 * i], zn[(2 * i) + 1]) * values[i];
        }

        return Sigmoid(margin);
    }

    /// <summary>
    /// Scores <paramref name="x"/>, then learns from its label; returns the score made before learning. The rows of the
    /// example's coordinates are pulled once and pushed once (a coordinate twice in one example counts its last update).
    /// </summary>
    public double Learn(SparseVector x, bool label)
    {
        var indices = x.Indices;
        var values = x.Values;
        bool onStack = indices.Length <= MaxStackFeatures;
        Span<float> zn = onStack ? stackalloc float[2 * indices.Length] : new float[2 * indices.Length];
        Span<double> weights = onStack ? stackalloc double[indices.Length] : new double[indices.Length];
        _store.Pull(indices, zn);
        double margin = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            double w = Weight(zn[2 * i], zn[(2 * i) + 1]);
            weights[i] = w;
            margin += w * values[i];
        }

        double p = Sigmoid(margin);
        double error = p - (label ? 1 : 0);
        for (int i = 0; i < indices.Length; i++)
        {
            int at = 2 * i;
            double g = error * values[i];
            double root = zn[at + 1];
            double grown = Math.Sqrt((root * root) + (g * g));
            zn[at] = (float)(zn[at] + g - ((grown - root) * _inverseAlpha * weights[i]));
            zn[at + 1] = (float)grown;
        }

        _store.Push(indices, zn);
        Examples++;
        return p;
    }

    /// <summary>The weight of one coordinate, derived from its z and √n (zero inside the L1 ball).</summary>
    public double Weight(int index)
    {
        Span<float> zn = stackalloc float[2];
        _store.Pull([index], zn);
        return Weight(zn[0], zn[1]);
    }

    /// <summary>Coordinates with a non-zero weight (L1 keeps most at exactly zero).</summary>
    public int NonZeroWeights()
    {
        int count = 0;
        double l1 = _l1;
        _store.Scan(0, Coordinates, (_, rows) =>
        {
            for (int i = 0; i < rows.Length; i += 2)
            {
                count += Math.Abs(rows[i]) > l1 ? 1 : 0;
            }
        });
        return count;
    }

    /// <summary>
    /// Writes the whole optimizer state (options, example count, z and √n of every coordinate), followed by an XXH64
    /// of the body seeded with one of the header, so a damaged file is refused rather than half loaded.
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
        stream.Write(header);
        var check = BodyCheck(header);
        _store.Scan(0, Coordinates, (_, rows) =>
        {
            var bytes = MemoryMarshal.AsBytes(rows);
            stream.Write(bytes);
            check.Append(bytes);
        });
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, check.GetCurrentHashAsUInt64());
        stream.Write(tail);
    }

    /// <summary>
    /// Reads a model written by <see cref="Save"/> into a store of <paramref name="model"/> from <paramref name="stores"/>;
    /// throws <see cref="InvalidDataException"/> naming what is wrong.
    /// </summary>
    public static FtrlModel Load(Stream stream, IParameterStoreFactory stores, string model) =>
        Load(stream, options => CreateStore(options, stores, model));

    /// <summary>
    /// Reads a model written by <see cref="Save"/> into the store <paramref name="createStore"/> returns for the saved
    /// options, asked only once the whole file has been read and checked (so a damaged file touches no store; the
    /// callback may refuse options by throwing <see cref="InvalidDataException"/>). Throws
    /// <see cref="InvalidDataException"/> naming what is wrong.
    /// </summary>
    public static FtrlModel Load(Stream stream, Func<FtrlOptions, IParameterStore> createStore)
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

        // Read and check everything before pushing any of it, so a damaged file leaves the store as it was.
        var body = new float[2 << options.Bits];
        var bytes = MemoryMarshal.AsBytes(body.AsSpan());
        stream.ReadExactly(bytes);
        Span<byte> tail = stackalloc byte[8];
        stream.ReadExactly(tail);
        var check = BodyCheck(header);
        check.Append(bytes);
        if (BinaryPrimitives.ReadUInt64LittleEndian(tail) != check.GetCurrentHashAsUInt64())
        {
            throw new InvalidDataException("FTRL model checkpoint is damaged (checksum mismatch)");
        }

        var model = new FtrlModel(options, createStore(options)) { Examples = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(48)) };
        model.PushNonZero(body);
        return model;
    }

    /// <summary>
    /// The check of a checkpoint: XXH64 of the body seeded with XXH64 of the header, streamed so the body can come from
    /// the store a run of rows at a time (the same value as version 1's one-shot hash, so its files still load).
    /// </summary>
    private static System.IO.Hashing.XxHash64 BodyCheck(ReadOnlySpan<byte> header) => new(unchecked((long)Freshet.Hashing.XxHash64.Hash(header)));

    /// <summary>True when both models hold bit-identical state.</summary>
    public bool SameStateAs(FtrlModel other)
    {
        using MemoryStream mine = new(), theirs = new();
        Save(mine);
        other.Save(theirs);
        return mine.GetBuffer().AsSpan(0, (int)mine.Length).SequenceEqual(theirs.GetBuffer().AsSpan(0, (int)theirs.Length));
    }

    /// <summary>Pushes the runs of rows of a loaded checkpoint that are not zero (a row never pushed reads as zeros anyway).</summary>
    private void PushNonZero(float[] body)
    {
        int keys = body.Length / 2;
        for (int key = 0; key < keys;)
        {
            if (!Kept(key))
            {
                key++;
                continue;
            }

            int first = key;
            while (key < keys && Kept(key))
            {
                key++;
            }

            _store.PushRun(first, body.AsSpan(2 * first, 2 * (key - first)));
        }

        bool Kept(int key) => key == FeatureHasher.BiasIndex || body[2 * key] != 0 || body[(2 * key) + 1] != 0;
    }

    private double Weight(double z, double root)
    {
        if (Math.Abs(z) <= _l1)
        {
            return 0;
        }

        return (Math.CopySign(_l1, z) - z) / (((_beta + root) * _inverseAlpha) + _l2);
    }

    private static double Sigmoid(double margin) => 1 / (1 + Math.Exp(-Math.Clamp(margin, -MaxMargin, MaxMargin)));
}
