namespace Freshet.Learning.Factorization;

/// <summary>The k highest-scoring items offered, in a min-heap; ties keep the lower item id.</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<int, (float Score, int NegatedItem)> _heap = new(k + 1);

    /// <summary>True when <paramref name="item"/> with <paramref name="score"/> would enter the list now.</summary>
    public bool Accepts(int item, float score) =>
        k > 0 && (_heap.Count < k || (_heap.TryPeek(out _, out var lowest) && (score, -item).CompareTo(lowest) > 0));

    public void Offer(int item, float score)
    {
        if (k <= 0)
        {
            return;
        }

        var priority = (score, -item);
        if (_heap.Count < k)
        {
            _heap.Enqueue(item, priority);
        }
        else if (_heap.TryPeek(out _, out var lowest) && priority.CompareTo(lowest) > 0)
        {
            _heap.DequeueEnqueue(item, priority);
        }
    }

    /// <summary>The items, best first.</summary>
    public List<(int Item, float Score)> Sorted()
    {
        var list = new List<(int Item, float Score)>(_heap.Count);
        while (_heap.TryDequeue(out int item, out var priority))
        {
            list.Add((item, priority.Score));
        }

        list.Reverse();
        return list;
    }
}
