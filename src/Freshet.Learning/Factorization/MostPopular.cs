namespace Freshet.Learning.Factorization;

/// <summary>
/// The most-popular baseline: recommends the items with the most interactions so far, leaving out what the user has
/// already interacted with. Any recommender worth serving must beat it in the same replay.
/// </summary>
public sealed class MostPopular
{
    private readonly List<long> _counts = [];

    public void Learn(int item)
    {
        while (_counts.Count <= item)
        {
            _counts.Add(0);
        }

        _counts[item]++;
    }

    /// <summary>Interactions counted for <paramref name="item"/> so far.</summary>
    public long CountOf(int item) => item < _counts.Count ? _counts[item] : 0;

    public void Save(BinaryWriter w)
    {
        w.Write(_counts.Count);
        foreach (long count in _counts)
        {
            w.Write(count);
        }
    }

    /// <summary>Reads counts written by <see cref="Save"/>.</summary>
    public static MostPopular Load(BinaryReader r)
    {
        var popular = new MostPopular();
        int items = r.ReadInt32();
        if (items < 0)
        {
            throw new InvalidDataException($"the saved most-popular baseline has {items} items");
        }

        for (int i = 0; i < items; i++)
        {
            popular._counts.Add(r.ReadInt64());
        }

        return popular;
    }

    public IReadOnlyList<(int Item, float Score)> Recommend(int k, IReadOnlySet<int> exclude)
    {
        var top = new TopK(k);
        for (int item = 0; item < _counts.Count; item++)
        {
            if (_counts[item] > 0 && !exclude.Contains(item))
            {
                top.Offer(item, _counts[item]);
            }
        }

        return top.Sorted();
    }
}
