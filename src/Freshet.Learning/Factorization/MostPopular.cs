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
