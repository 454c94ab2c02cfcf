using Freshet.Learning.Features;

namespace Freshet.Learning.Tests;

/// <summary>
/// Impressions whose click probability follows a known sparse logistic model: a user bias, an item bias and a
/// user-segment × category affinity, around a 5 % base rate. Seeded, so every run sees the same stream.
/// </summary>
internal sealed class SyntheticClicks
{
    private static readonly ulong User = FeatureHasher.Namespace("user");
    private static readonly ulong Item = FeatureHasher.Namespace("item");
    private static readonly ulong Segment = FeatureHasher.Namespace("segment");
    private static readonly ulong Category = FeatureHasher.Namespace("category");

    private readonly Random _random;
    private readonly double[] _userBias;
    private readonly double[] _itemBias;
    private readonly double[,] _affinity;
    private readonly string[] _users;
    private readonly string[] _items;

    public SyntheticClicks(int seed, int users = 2_000, int items = 500)
    {
        _random = new Random(seed);
        var truth = new Random(1234); // The model itself is the same for every seed.
        _userBias = [.. Enumerable.Range(0, users).Select(_ => Normal(truth) * 0.8)];
        _itemBias = [.. Enumerable.Range(0, items).Select(_ => Normal(truth) * 1.0)];
        _affinity = new double[8, 20];
        for (int s = 0; s < 8; s++)
        {
            for (int c = 0; c < 20; c++)
            {
                _affinity[s, c] = Normal(truth) * 1.2;
            }
        }

        _users = [.. Enumerable.Range(0, users).Select(u => $"u{u}")];
        _items = [.. Enumerable.Range(0, items).Select(i => $"i{i}")];
    }

    /// <summary>Fills <paramref name="x"/> with the next impression's features and returns whether it was clicked.</summary>
    public bool Next(FeatureHasher hasher, SparseVector x)
    {
        int user = _random.Next(_users.Length);
        int item = _random.Next(_items.Length);
        int segment = user % 8;
        int category = item % 20;
        double margin = -3.0 + _userBias[user] + _itemBias[item] + _affinity[segment, category];
        bool clicked = _random.NextDouble() < 1 / (1 + Math.Exp(-margin));
        hasher.Begin(x);
        hasher.Add(x, User, _users[user]);
        hasher.Add(x, Item, _items[item]);
        hasher.Add(x, Segment, $"s{segment}");
        hasher.Add(x, Category, $"c{category}");
        hasher.AddCross(x, Segment, $"s{segment}", Category, $"c{category}");
        return clicked;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
