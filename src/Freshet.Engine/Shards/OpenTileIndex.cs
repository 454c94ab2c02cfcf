namespace Freshet.Engine.Shards;

/// <summary>A tile that has not closed yet: its entity and bucket start at one level.</summary>
internal readonly record struct OpenTile(int EntityId, long StartMs);

/// <summary>
/// The open tiles of one level of one feature, grouped by the time they close (their bucket end), so closing
/// everything that ended before the watermark touches only those tiles. Lists are reused.
/// </summary>
internal sealed class OpenTileIndex
{
    private readonly Dictionary<long, List<OpenTile>> _byEnd = [];
    private readonly PriorityQueue<long, long> _ends = new();
    private readonly Stack<List<OpenTile>> _spare = new();

    public int Count { get; private set; }

    public void Add(long endMs, OpenTile tile)
    {
        if (!_byEnd.TryGetValue(endMs, out var list))
        {
            list = _spare.Count > 0 ? _spare.Pop() : [];
            _byEnd[endMs] = list;
            _ends.Enqueue(endMs, endMs);
        }

        list.Add(tile);
        Count++;
    }

    /// <summary>Takes the tiles of the earliest end if it is at or before <paramref name="watermarkMs"/>; give the list back with <see cref="Recycle"/>.</summary>
    public bool TryTakeClosed(long watermarkMs, out List<OpenTile> tiles)
    {
        if (_ends.TryPeek(out long end, out _) && end <= watermarkMs)
        {
            _ends.Dequeue();
            _byEnd.Remove(end, out tiles!);
            Count -= tiles.Count;
            return true;
        }

        tiles = null!;
        return false;
    }

    public void Recycle(List<OpenTile> tiles)
    {
        tiles.Clear();
        _spare.Push(tiles);
    }
}
