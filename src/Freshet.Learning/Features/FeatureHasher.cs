using System.Text;
using Freshet.Hashing;

namespace Freshet.Learning.Features;

/// <summary>
/// The hashing trick (Weinberger et al. 2009; Vowpal Wabbit): a feature named by a namespace and a value ("user" =
/// "u42", "category" = "shoes") becomes a coordinate in a space of 2^<see cref="Bits"/> weights by hashing, so the
/// model needs no dictionary and new users and items just work. Crosses ("user × category") hash the pair. A value's
/// hash is XXH64 of its UTF-8 text — the content hash the event interner already keeps — mixed with a namespace seed,
/// so coordinates are the same in every process and across restarts: the one code path for training and serving.
/// Numeric features put their value on the namespace's coordinate.
/// </summary>
public sealed class FeatureHasher
{
    /// <summary>The coordinate of the always-on bias feature.</summary>
    public const int BiasIndex = 0;

    private readonly int _mask;

    public FeatureHasher(int bits)
    {
        if (bits is < 4 or > 29)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "hash bits must be 4 to 29 (16 to 2^29 weights)");
        }

        Bits = bits;
        _mask = (1 << bits) - 1;
    }

    /// <summary>log2 of the number of weights.</summary>
    public int Bits { get; }

    public int Size => _mask + 1;

    /// <summary>Seed for a namespace: its name hashed, so "user=x" and "item=x" land apart.</summary>
    public static ulong Namespace(string name) => XxHash64.Hash(Encoding.UTF8.GetBytes(name), 0x5EED_F7E5_4E7A_0001UL);

    /// <summary>Starts an example: clears <paramref name="x"/> and adds the bias.</summary>
    public void Begin(SparseVector x)
    {
        x.Clear();
        x.Add(BiasIndex, 1f);
    }

    /// <summary>Adds the categorical feature namespace = value (one-hot, value 1).</summary>
    public void Add(SparseVector x, ulong ns, string value) => x.Add(Index(Hash(ns, ValueHash(value))), 1f);

    /// <summary>
    /// Adds namespace = a value given by its content hash (XXH64 of its UTF-8), such as
    /// <see cref="Events.StringInterner.HashOf"/> of an event field: the same coordinate as <see cref="Add"/>, without
    /// touching the text.
    /// </summary>
    public void AddHashed(SparseVector x, ulong ns, ulong valueHash) => x.Add(Index(Hash(ns, valueHash)), 1f);

    /// <summary>Adds a numeric feature: the namespace's own coordinate, carrying the value.</summary>
    public void AddNumber(SparseVector x, ulong ns, double value)
    {
        if (double.IsFinite(value))
        {
            x.Add(Index(XxHash64.Hash(ns, 0x4E55_4D42_4552UL)), (float)value);
        }
    }

    /// <summary>Adds the cross of two categorical features given by content hash, e.g. user × category.</summary>
    public void AddCross(SparseVector x, ulong nsA, ulong valueA, ulong nsB, ulong valueB) =>
        x.Add(Index(XxHash64.Hash(Hash(nsA, valueA), Hash(nsB, valueB))), 1f);

    /// <summary>Adds the cross of two categorical features, e.g. user × category.</summary>
    public void AddCross(SparseVector x, ulong nsA, string a, ulong nsB, string b) =>
        AddCross(x, nsA, ValueHash(a), nsB, ValueHash(b));

    /// <summary>The 64-bit hash of namespace = value (stable across processes).</summary>
    public static ulong Hash(ulong ns, ulong valueHash) => XxHash64.Hash(valueHash, ns);

    /// <summary>A value's content hash: XXH64 of its UTF-8 bytes, as the event interner keeps for every string.</summary>
    public static ulong ValueHash(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> buffer = max <= 256 ? stackalloc byte[256] : new byte[max];
        int length = Encoding.UTF8.GetBytes(value, buffer);
        return XxHash64.Hash(buffer[..length]);
    }

    /// <summary>Folds a hash into the weight space; never the bias coordinate.</summary>
    public int Index(ulong hash)
    {
        int index = (int)(hash ^ (hash >> 32)) & _mask;
        return index == BiasIndex ? 1 : index;
    }
}
