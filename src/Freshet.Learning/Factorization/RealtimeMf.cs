using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Freshet.Learning.Parameters;

namespace Freshet.Learning.Factorization;

/// <summary>
/// Real-time matrix factorization for implicit feedback: a user u and an item i each have a vector of latent factors,
/// an item also a bias, and the score is <c>b_i + p_u · q_i</c>. Every interaction is learned as it arrives by
/// stochastic gradient steps on the BPR objective (Rendle et al. 2009): the item the user chose should outscore
/// items sampled uniformly from the catalogue so far. New users and items get factors on first sight, so the model
/// needs no retraining to cover them. <see cref="Recommend"/> ranks every item for a user, leaving out what the user
/// has already interacted with; <see cref="Similar"/> ranks items by the cosine of their factors.
/// Users and items are dense ids from 0 (the caller maps keys to ids), and their rows live in two
/// <see cref="IParameterStore"/>s: a user's row is its factors, an item's its factors then its bias. One writer.
/// </summary>
public sealed partial class RealtimeMf
{
    private readonly int _k;
    private readonly float _rate;
    private readonly float _regularization;
    private ulong _random; // SplitMix64 state: saved with the model, so a restart draws the same negatives.
    private readonly float _scale;
    private readonly IParameterStore _users;
    private readonly IParameterStore _items;
    private readonly List<HashSet<int>> _seen = [];
    private readonly float[] _user;
    private readonly float[] _itemRows; // The rows of an interaction's item and its negatives, k + 1 floats each.
    private readonly int[] _itemKeys; // Their keys: the item first, then each distinct negative.
    private readonly int[] _negativeSlots; // For each step, in order, the row of its negative.
    private readonly float[] _gradient;

    /// <param name="options">The hyper-parameters.</param>
    /// <param name="users">Rows of <see cref="MfOptions.Factors"/> floats (see <see cref="Create"/> to get both stores from a factory).</param>
    /// <param name="items">Rows of <see cref="MfOptions.Factors"/> + 1 floats.</param>
    public RealtimeMf(MfOptions options, IParameterStore users, IParameterStore items)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        options.Validate();
        Options = options;
        _k = options.Factors;
        _rate = (float)options.LearningRate;
        _regularization = (float)options.Regularization;
        _scale = (float)options.InitialScale;
        _random = (ulong)options.Seed;
        _users = users;
        _items = items;
        if (_users.Width != _k || _items.Width != _k + 1)
        {
            throw new ArgumentException($"{_k} factors need user rows of {_k} floats and item rows of {_k + 1} (factors and bias), but the stores hold {_users.Width} and {_items.Width}");
        }

        _user = new float[_k];
        _itemRows = new float[(1 + options.Negatives) * (_k + 1)];
        _itemKeys = new int[1 + options.Negatives];
        _negativeSlots = new int[options.Negatives];
        _gradient = new float[_k];
    }

    /// <summary>A new factorization whose user and item stores come from <paramref name="stores"/> (roles <see cref="ParameterStoreRoles.Users"/> and <see cref="ParameterStoreRoles.Items"/> of <paramref name="model"/>).</summary>
    public static RealtimeMf Create(MfOptions options, IParameterStoreFactory stores, string model)
    {
        options.Validate();
        return new RealtimeMf(options, stores.Create(model, ParameterStoreRoles.Users, options.Factors, 0), stores.Create(model, ParameterStoreRoles.Items, options.Factors + 1, 0));
    }

    public MfOptions Options { get; }

    public int Users { get; private set; }

    public int Items { get; private set; }

    public long Interactions { get; private set; }

    /// <summary>
    /// Learns that <paramref name="user"/> chose <paramref name="item"/>, adding either if new: one BPR step per sampled
    /// negative. The negatives are drawn first (the draws do not depend on the factors), so the rows of the user, the
    /// item and its negatives are pulled once, stepped in the order of the draws as one step at a time would step them,
    /// and pushed once: an interaction is one pull and one push a store, however many negatives it samples.
    /// </summary>
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

        var keys = _itemKeys.AsSpan();
        keys[0] = item;
        int rows = 1, steps = 0;
        for (int n = 0; n < Options.Negatives; n++)
        {
            int negative = (int)(NextRandom() % (ulong)Items);
            if (negative == item || _seen[user].Contains(negative))
            {
                continue;
            }

            // A negative drawn twice is stepped twice on its one row, as the second step saw the first's update.
            int slot = keys[1..rows].IndexOf(negative) + 1;
            if (slot == 0)
            {
                keys[rows] = negative;
                slot = rows++;
            }

            _negativeSlots[steps++] = slot;
        }

        if (steps == 0)
        {
            return;
        }

        int width = _k + 1;
        var p = _user.AsSpan();
        var itemRows = _itemRows.AsSpan(0, rows * width);
        _users.Pull([user], p);
        _items.Pull(keys[..rows], itemRows);
        for (int s = 0; s < steps; s++)
        {
            Step(p, itemRows[..width], itemRows.Slice(_negativeSlots[s] * width, width));
        }

        _users.Push([user], p);
        _items.Push(keys[..rows], itemRows);
    }

    /// <summary>The model's score of <paramref name="item"/> for <paramref name="user"/> (unknown ones score the item bias or 0).</summary>
    public float Score(int user, int item)
    {
        if (item >= Items)
        {
            return 0;
        }

        Span<float> q = stackalloc float[_k + 1];
        _items.Pull([item], q);
        if (user >= Users)
        {
            return q[_k];
        }

        Span<float> p = stackalloc float[_k];
        _users.Pull([user], p);
        return q[_k] + Dot(p, q[.._k]);
    }

    /// <summary>
    /// The <paramref name="k"/> best items for <paramref name="user"/>, best first, leaving out items the user has
    /// interacted with. A user never seen gets the items with the highest bias, which BPR makes the popular ones.
    /// </summary>
    public IReadOnlyList<(int Item, float Score)> Recommend(int user, int k, IReadOnlySet<int>? exclude = null) =>
        Rank(StartRanking(user), k, exclude);

    /// <summary>
    /// What a ranking for <paramref name="user"/> needs from the writer's side, copied: the user's factors, the items
    /// they have seen, and how many items there are. Take it under the writer's lock; <see cref="Rank"/> then scans the
    /// catalogue outside it, so a long scan never holds up learning.
    /// </summary>
    public RankingStart StartRanking(int user)
    {
        if (user >= Users)
        {
            return new RankingStart(null, null, Items);
        }

        var p = new float[_k];
        _users.Pull([user], p);
        return new RankingStart(p, [.. _seen[user]], Items);
    }

    /// <summary>
    /// The <paramref name="k"/> best items for the user of <paramref name="start"/>, best first. Safe beside the writer:
    /// it reads item rows through the store, as of some recent moment.
    /// </summary>
    public IReadOnlyList<(int Item, float Score)> Rank(RankingStart start, int k, IReadOnlySet<int>? exclude = null)
    {
        var top = new TopK(k);
        var (p, seen) = (start.User, start.Seen);
        int width = _k + 1;
        _items.Scan(0, start.Items, (first, rows) =>
        {
            for (int at = 0, item = first; at < rows.Length; at += width, item++)
            {
                var row = rows.Slice(at, width);
                float score = row[_k] + (p is null ? 0 : Dot(p, row[.._k]));
                // Most items do not make the list: test the exclusions only for those that would.
                if (top.Accepts(item, score)
                    && (seen is null || !seen.Contains(item))
                    && (exclude is null || !exclude.Contains(item)))
                {
                    top.Offer(item, score);
                }
            }
        });
        return top.Sorted();
    }

    /// <summary>The <paramref name="k"/> items whose factors point the most the same way as <paramref name="item"/>'s (cosine), best first.</summary>
    public IReadOnlyList<(int Item, float Score)> Similar(int item, int k) => RankSimilar(StartSimilar(item), k);

    /// <summary>The factors of <paramref name="item"/> and the item count, copied (under the writer's lock); null for an item never seen.</summary>
    public SimilarStart? StartSimilar(int item)
    {
        if (item >= Items)
        {
            return null;
        }

        var q = new float[_k + 1];
        _items.Pull([item], q);
        return new SimilarStart(item, q, Items);
    }

    /// <summary>The items most like the one of <paramref name="start"/>; safe beside the writer, like <see cref="Rank"/>.</summary>
    public IReadOnlyList<(int Item, float Score)> RankSimilar(SimilarStart? start, int k)
    {
        if (start is not { } s)
        {
            return [];
        }

        int width = _k + 1;
        var top = new TopK(k);
        _items.Scan(0, s.Items, (first, rows) =>
        {
            for (int at = 0, other = first; at < rows.Length; at += width, other++)
            {
                if (other != s.Item)
                {
                    top.Offer(other, TensorPrimitives.CosineSimilarity(s.Factors.AsSpan(0, _k), rows.Slice(at, _k)));
                }
            }
        });
        return top.Sorted();
    }

    /// <summary>Items <paramref name="user"/> has interacted with.</summary>
    public IReadOnlySet<int> Seen(int user) => user < Users ? _seen[user] : EmptySet;

    private static readonly HashSet<int> EmptySet = [];

    /// <summary>
    /// One BPR step: raise x = s(u, i) − s(u, j) by the gradient of ln σ(x), with L2, on the user's factors
    /// <paramref name="p"/>, the chosen item's row <paramref name="positive"/> and a sampled one's <paramref name="negative"/>
    /// (factors, then bias), in place.
    /// </summary>
    private void Step(Span<float> p, Span<float> positive, Span<float> negative)
    {
        int k = _k;
        var qi = positive[..k];
        var qj = negative[..k];
        ref float bi = ref positive[k];
        ref float bj = ref negative[k];
        float x = bi - bj + Dot(p, qi) - Dot(p, qj);
        float g = 1f / (1f + MathF.Exp(x)); // σ(−x): how wrong the order still is.
        float rate = _rate;
        float reg = _regularization;
        bi += rate * (g - (reg * bi));
        bj += rate * (-g - (reg * bj));
        var gradient = _gradient.AsSpan();
        for (int f = 0; f < k; f++)
        {
            float pu = p[f];
            float dqi = (g * pu) - (reg * qi[f]);
            float dqj = (-g * pu) - (reg * qj[f]);
            gradient[f] = (g * (qi[f] - qj[f])) - (reg * pu);
            qi[f] += rate * dqi;
            qj[f] += rate * dqj;
        }

        for (int f = 0; f < k; f++)
        {
            p[f] += gradient[f] * rate;
        }
    }

    private void EnsureUser(int user)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        for (; Users <= user; Users++)
        {
            Initialize(_user);
            _users.Push([Users], _user);
            _seen.Add([]);
        }
    }

    private void EnsureItem(int item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        var row = _itemRows.AsSpan(0, _k + 1);
        for (; Items <= item; Items++)
        {
            Initialize(row[.._k]);
            row[_k] = 0;
            _items.Push([Items], row);
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

/// <summary>A ranking's inputs copied from the writer's side: the user's factors and seen items (null for a user never seen), and the item count.</summary>
public sealed record RankingStart(float[]? User, HashSet<int>? Seen, int Items);

/// <summary>A similar-items ranking's inputs: the item, its factors (and bias) and the item count.</summary>
public sealed record SimilarStart(int Item, float[] Factors, int Items);
