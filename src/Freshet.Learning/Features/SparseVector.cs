namespace Freshet.Learning.Features;

/// <summary>
/// A model input: hashed coordinates with their values, in reusable arrays so building an example allocates nothing
/// once warm. Coordinates may repeat (two fields hashing to one slot); the model then sums them, as hashing intends.
/// </summary>
public sealed class SparseVector
{
    private int[] _indices;
    private float[] _values;

    public SparseVector(int capacity = 64)
    {
        _indices = new int[Math.Max(1, capacity)];
        _values = new float[Math.Max(1, capacity)];
    }

    public int Count { get; private set; }

    public ReadOnlySpan<int> Indices => _indices.AsSpan(0, Count);

    public ReadOnlySpan<float> Values => _values.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(int index, float value)
    {
        if (Count == _indices.Length)
        {
            Array.Resize(ref _indices, Count * 2);
            Array.Resize(ref _values, Count * 2);
        }

        _indices[Count] = index;
        _values[Count] = value;
        Count++;
    }

    /// <summary>Copies <paramref name="other"/> into this vector (reusing this vector's arrays).</summary>
    public void CopyFrom(SparseVector other)
    {
        Clear();
        for (int i = 0; i < other.Count; i++)
        {
            Add(other._indices[i], other._values[i]);
        }
    }
}
