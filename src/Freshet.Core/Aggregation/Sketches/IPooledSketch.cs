namespace Freshet.Aggregation.Sketches;

/// <summary>What <see cref="PooledSketchAggregator{TSketch}"/> needs of a sketch: reuse, and a versioned binary form.</summary>
public interface IPooledSketch<TSelf>
    where TSelf : IPooledSketch<TSelf>
{
    /// <summary>Upper bound of <see cref="WriteTo"/>'s output, in bytes.</summary>
    int MaxSerializedSize { get; }

    /// <summary>Empties the sketch for reuse.</summary>
    void Clear();

    /// <summary>Writes the sketch; returns the bytes written.</summary>
    int WriteTo(Span<byte> destination);

    /// <summary>Reads a sketch written by <see cref="WriteTo"/> into <paramref name="into"/>; returns the bytes read.</summary>
    static abstract int ReadFrom(ReadOnlySpan<byte> source, TSelf into);
}
