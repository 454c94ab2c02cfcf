using System.Buffers;
using System.Runtime.InteropServices;
using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>
/// A monoid over tile states (the IR): <see cref="Init"/> is the identity, <see cref="Update"/> folds one event in,
/// <see cref="Merge"/> combines two states, <see cref="Finish"/> turns a state into the served value.
/// A state is a fixed number of <c>long</c> slots (<see cref="Width"/>) stored inline in the tile table, so count
/// and sum tiles cost 8 bytes of payload. Variable-size states (HyperLogLog, Space-Saving) keep a handle in slot 0
/// and the sketch in a pool owned by the aggregator instance.
/// One instance belongs to one shard (single writer), so it may own mutable pools without locks.
/// </summary>
public abstract class Aggregator
{
    /// <summary>Number of <c>long</c> slots per state.</summary>
    public abstract int Width { get; }

    /// <summary>
    /// True when a state is wholly its <see cref="Width"/> slots and <see cref="Write"/> is their raw bytes, so a
    /// checkpoint can copy states without calling <see cref="Write"/>/<see cref="Read"/>. False for pooled sketches.
    /// </summary>
    public virtual bool IsInline => true;

    /// <summary>True when merge is exact (not a sketch or floating-point approximation).</summary>
    public virtual bool IsExact => true;

    /// <summary>Sets a state to the identity (empty) value.</summary>
    public virtual void Init(Span<long> state) => state.Clear();

    /// <summary>Folds one event into a state. <paramref name="value"/> is the feature's field (absent for count).</summary>
    public abstract void Update(Span<long> state, in FieldValue value, long timeMs);

    /// <summary>Folds <paramref name="from"/> into <paramref name="into"/>.</summary>
    public abstract void Merge(Span<long> into, ReadOnlySpan<long> from);

    /// <summary>The served value of a state.</summary>
    public abstract FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context);

    /// <summary>Marks the string ids a state holds (item values), so they are not reclaimed. Most states hold none.</summary>
    public virtual void MarkStrings(ReadOnlySpan<long> state, StringMarks marks)
    {
    }

    /// <summary>Frees what a state holds outside its slots (pooled sketches); the state must not be used after.</summary>
    public virtual void Release(Span<long> state)
    {
    }

    /// <summary>Writes a state in a self-contained, process-independent form (for checkpoints and Redis).</summary>
    public virtual void Write(ReadOnlySpan<long> state, IBufferWriter<byte> output)
    {
        var bytes = MemoryMarshal.AsBytes(state);
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>Reads a state written by <see cref="Write"/>; returns the bytes consumed.</summary>
    public virtual int Read(ReadOnlySpan<byte> input, Span<long> state)
    {
        int n = Width * sizeof(long);
        MemoryMarshal.Cast<byte, long>(input[..n]).CopyTo(state);
        return n;
    }
}

/// <summary>
/// What <see cref="Aggregator.Finish"/> may need: the query time (for decay) and the string table. States read from
/// published tile values (a serving process) hold the string ids of the worker that wrote them: <see cref="Published"/>
/// then maps those ids to their strings, and <see cref="StringOf"/> looks there instead of in <see cref="Strings"/>.
/// </summary>
public readonly record struct FinishContext(long NowMs, StringInterner Strings, IReadOnlyDictionary<int, string>? Published = null)
{
    /// <summary>The string a state's id stands for.</summary>
    public string StringOf(int id) => Published is null ? Strings[id] : Published[id];
}
