using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Freshet.Learning.Factorization;

/// <summary>
/// Real-time matrix factorization for implicit feedback: a user u and an item i each have a vector of latent factors,
/// an item also a bias, and the score is <c>b_i + p_u · q_i</c>. Every interaction is learned as it arrives by
/// stochastic gradient steps on the BPR objective (Rendle et al. 2009): the item the user chose should outscore
/// items sampled uniformly from the catalogue so far. New users and items get factors on first sight, so the model
/// needs no retraining to cover them. <see cref="Recommend"/> ranks every item for a user, leaving out what the user
/// has already interacted with; <see cref="Similar"/> ranks items by the cosine of their factors.
/// Users and items are dense ids from 0 (the caller maps keys to ids); one writer at a time.
/// </summary>
public sealed class RealtimeMf
{
    private readonly int _k;
    private readonly float _rate;
    private readonly float _regularization;
    private ulong _random; // SplitMix64 state: saved with the model, so a restart draws the same negatives.
    private readonly float _scale;
    private float[] _users = [];
    private float[] _items = [];
    private float[] _itemBias = [];
    private readonly List<HashSet<int>> _seen = [];
    private readonly float[] _gradient;

    public RealtimeMf(MfOptions options)
    {
        options.Validate();
        Options = options;
        _k = options.Factors;
        _rate = (float)options.LearningRate;
        _regularization = (float)options.Regularization;
        _scale = (float)options.InitialScale;
        _random = (ulong)options.Seed;
        _gradient = new float[_k];
    }

    public MfOptions Options { get; }

    public int Users { get; private set; }

    public int Items { get; private set; }

    public long Interactions { get; private set; }

    /// <summary>Learns that <paramref name="user"/> chose <paramref name="item"/>, adding either if new.</summary>
    public void Learn(int user, int item)
    {
        EnsureUser(user);
        EnsureItem(item);
        _seen[user].Add(item);
        Interactions++;
        if (Items < 2)
        {
            return;
        }

        for (int n = 0; n < Options.Negatives; n++)
        {
            int negative = (int)(NextRandom() % (ulong)Items);
            if (negative == item || _seen[user].Contains(negative))
            {
                continue;
            }

            Step(user, item, negative);
        }
    }

    /// <summary>The model's score of <paramref name="item"/> for <paramref name="user"/> (unknown ones score the item bias or 0).</summary>
    public float Score(int user, int item)
    {
        if (item >= Items)
        {
            return 0;
        }

        return user >= Users ? _itemBias[item] : _itemBias[item] + Dot(UserVector(user), ItemVector(item));
    }

    /// <summary>
    /// The <paramref name="k"/> best items for <paramref name="user"/>, best first, leaving out items the user has
    /// interacted with. A user never seen gets the items with the highest bias, which BPR makes the popular ones.
    /// </summary>
    public IReadOnlyList<(int Item, float Score)> Recommend(int user, int k, IReadOnlySet<int>? exclude = null)
    {
        var seen = user < Users ? _seen[user] : null;
        var top = new TopK(k);
        var p = user < Users ? UserVector(user) : default;
        for (int item = 0; item < Items; item++)
        {
            float score = _itemBias[item] + (p.IsEmpty ? 0 : Dot(p, ItemVector(item)));
            // Most items do not make the list: test the exclusions only for those that would.
            if (top.Accepts(item, score)
                && (seen is null || !seen.Contains(item))
                && (exclude is null || !exclude.Contains(item)))
            {
                top.Offer(item, score);
            }
        }

        return top.Sorted();
    }

    /// <summary>The <paramref name="k"/> items whose factors point the most the same way as <paramref name="item"/>'s (cosine), best first.</summary>
    public IReadOnlyList<(int Item, float Score)> Similar(int item, int k)
    {
        if (item >= Items)
        {
            return [];
        }

        var q = ItemVector(item);
        var top = new TopK(k);
        for (int other = 0; other < Items; other++)
        {
            if (other != item)
            {
                top.Offer(other, TensorPrimitives.CosineSimilarity(q, ItemVector(other)));
            }
        }

        return top.Sorted();
    }

    /// <summary>Items <paramref name="user"/> has interacted with.</summary>
    public IReadOnlySet<int> Seen(int user) => user < Users ? _seen[user] : EmptySet;

    private static readonly HashSet<int> EmptySet = [];

    private Span<float> UserVector(int user) => _users.AsSpan(user * _k, _k);

    private Span<float> ItemVector(int item) => _items.AsSpan(item * _k, _k);

    /// <summary>One BPR step: raise x = s(u, i) − s(u, j) by the gradient of ln σ(x), with L2.</summary>
    private void Step(int user, int positive, int negative)
    {
        var p = UserVector(user);
        var qi = ItemVector(positive);
        var qj = ItemVector(negative);
        float x = _itemBias[positive] - _itemBias[negative] + Dot(p, qi) - Dot(p, qj);
        float g = 1f / (1f + MathF.Exp(x)); // σ(−x): how wrong the order still is.
        float rate = _rate;
        float reg = _regularization;
        _itemBias[positive] += rate * (g - (reg * _itemBias[positive]));
        _itemBias[negative] += rate * (-g - (reg * _itemBias[negative]));
        var gradient = _gradient.AsSpan();
        for (int f = 0; f < _k; f++)
        {
            float pu = p[f];
            float dqi = (g * pu) - (reg * qi[f]);
            float dqj = (-g * pu) - (reg * qj[f]);
            gradient[f] = (g * (qi[f] - qj[f])) - (reg * pu);
            qi[f] += rate * dqi;
            qj[f] += rate * dqj;
        }

        for (int f = 0; f < _k; f++)
        {
            p[f] += gradient[f] * rate;
        }
    }

    private void EnsureUser(int user)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        if (user < Users)
        {
            return;
        }

        Grow(ref _users, user + 1);
        for (int u = Users; u <= user; u++)
        {
            Initialize(UserVector(u));
            _seen.Add([]);
        }

        Users = user + 1;
    }

    private void EnsureItem(int item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if (item < Items)
        {
            return;
        }

        Grow(ref _items, item + 1);
        if (_itemBias.Length < _items.Length / _k)
        {
            Array.Resize(ref _itemBias, _items.Length / _k);
        }

        for (int i = Items; i <= item; i++)
        {
            Initialize(ItemVector(i));
        }

        Items = item + 1;
    }

    private void Grow(ref float[] factors, int count)
    {
        if (factors.Length < count * _k)
        {
            Array.Resize(ref factors, Math.Max(count, factors.Length / _k * 2) * _k);
        }
    }

    /// <summary>
    /// A dot product whose rounding does not depend on where the arrays sit in memory (TensorPrimitives aligns its
    /// vector loop to the address, so the same vectors could sum differently after a restart): vectors of 8 from the
    /// start of the spans, then the rest one by one, always in this order.
    /// </summary>
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && a.Length >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            ref float ra = ref MemoryMarshal.GetReference(a);
            ref float rb = ref MemoryMarshal.GetReference(b);
            for (; i <= a.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc += Vector256.LoadUnsafe(ref ra, (nuint)i) * Vector256.LoadUnsafe(ref rb, (nuint)i);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>SplitMix64 (Steele et al. 2014): small, fast, and its whole state is one number.</summary>
    private ulong NextRandom()
    {
        ulong z = _random += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private double NextDouble() => (NextRandom() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Writes the factors, biases, seen items, counters and random state.</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(_k);
        w.Write(Users);
        w.Write(Items);
        w.Write(Interactions);
        w.Write(_random);
        foreach (float f in _users.AsSpan(0, Users * _k))
        {
            w.Write(f);
        }

        foreach (float f in _items.AsSpan(0, Items * _k))
        {
            w.Write(f);
        }

        foreach (float f in _itemBias.AsSpan(0, Items))
        {
            w.Write(f);
        }

        foreach (var seen in _seen)
        {
            w.Write(seen.Count);
            foreach (int item in seen.Order())
            {
                w.Write(item);
            }
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/> with the same options.</summary>
    public static RealtimeMf Load(BinaryReader r, MfOptions options)
    {
        var mf = new RealtimeMf(options);
        int k = r.ReadInt32();
        if (k != options.Factors)
        {
            throw new InvalidDataException($"the saved factorization has {k} factors, the definition {options.Factors}");
        }

        int users = r.ReadInt32(), items = r.ReadInt32();
        mf.Interactions = r.ReadInt64();
        mf._random = r.ReadUInt64();
        mf._users = new float[Math.Max(1, users) * k];
        mf._items = new float[Math.Max(1, items) * k];
        mf._itemBias = new float[Math.Max(1, items)];
        for (int i = 0; i < users * k; i++)
        {
            mf._users[i] = r.ReadSingle();
        }

        for (int i = 0; i < items * k; i++)
        {
            mf._items[i] = r.ReadSingle();
        }

        for (int i = 0; i < items; i++)
        {
            mf._itemBias[i] = r.ReadSingle();
        }

        for (int u = 0; u < users; u++)
        {
            int count = r.ReadInt32();
            var seen = new HashSet<int>(count);
            for (int i = 0; i < count; i++)
            {
                seen.Add(r.ReadInt32());
            }

            mf._seen.Add(seen);
        }

        mf.Users = users;
        mf.Items = items;
        return mf;
    }

    private void Initialize(Span<float> vector)
    {
        for (int f = 0; f < vector.Length; f++)
        {
            // Box–Muller: a normal draw, scaled.
            double normal = Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());
            vector[f] = (float)(normal * _scale);
        }
    }
}
