namespace Freshet.Aggregation.Sketches;

/// <summary>
/// The sketches of one aggregator instance, addressed by handles stored in a state's slot 0: handle 0 means empty,
/// handle h is the sketch at index h − 1. Freed indices go on a stack and are reused first, so the pool never holds
/// more sketches than the peak number of live states. Single-threaded, like the shard that owns the aggregator.
/// </summary>
internal sealed class SketchPool<TSketch>(Func<TSketch> create)
    where TSketch : class
{
    private TSketch[] _sketches = new TSketch[16];
    private int[] _free = new int[16];
    private int _allocated;
    private int _freeCount;

    /// <summary>Number of sketches created so far (live plus free).</summary>
    public int Allocated => _allocated;

    /// <summary>Number of sketches waiting for reuse.</summary>
    public int FreeCount => _freeCount;

    /// <summary>Hands out an empty sketch and returns its handle (≥ 1).</summary>
    public long Rent()
    {
        if (_freeCount > 0)
        {
            return _free[--_freeCount] + 1;
        }

        if (_allocated == _sketches.Length)
        {
            Array.Resize(ref _sketches, _allocated * 2);
        }

        _sketches[_allocated] = create();
        return ++_allocated;
    }

    public TSketch Get(long handle) => _sketches[handle - 1];

    /// <summary>Takes back a sketch the caller has already cleared.</summary>
    public void Return(long handle)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _freeCount * 2);
        }

        _free[_freeCount++] = (int)(handle - 1);
    }
}
