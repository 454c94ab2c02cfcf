namespace Freshet.Learning.Parameters;

/// <summary>
/// Where a model keeps its parameters: rows of <see cref="Width"/> floats addressed by a non-negative key (a hashed
/// coordinate for FTRL, whose row is z and √n; a user or item id for factorization, whose row is its factors).
/// Trainers pull the rows an example touches, compute, and push the rows back, a batch at a time, as Pora's workers
/// did with its parameter server: a store in another process (Redis, in the scale-out issue) then costs a round trip
/// per example, not per float. A row never pushed reads as zeros.
/// </summary>
/// <remarks>
/// Keys are divided among <see cref="Shards"/> by <see cref="ShardOf"/>. Each model has one trainer, which writes every
/// shard, so a push simply overwrites and training is deterministic; a store shared by several trainers would give
/// each its own shards. Readers (scoring) may pull beside the trainer and see rows of some recent moment.
/// </remarks>
public interface IParameterStore
{
    /// <summary>Floats in a row.</summary>
    int Width { get; }

    /// <summary>Shards the keys are divided among.</summary>
    int Shards { get; }

    /// <summary>One more than the largest key ever pushed; 0 while empty.</summary>
    int KeyCount { get; }

    /// <summary>The shard that holds <paramref name="key"/>.</summary>
    int ShardOf(int key);

    /// <summary>Copies the rows of <paramref name="keys"/> into <paramref name="rows"/>, <see cref="Width"/> floats each, in order.</summary>
    void Pull(ReadOnlySpan<int> keys, Span<float> rows);

    /// <summary>Writes the rows of <paramref name="keys"/> from <paramref name="rows"/>, <see cref="Width"/> floats each, in order.</summary>
    void Push(ReadOnlySpan<int> keys, ReadOnlySpan<float> rows);

    /// <summary>
    /// Hands the rows of keys [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="visit"/> in key order, a
    /// run of consecutive rows at a time (a whole-catalogue scan for top-k, or a checkpoint); the spans are valid only
    /// during the call.
    /// </summary>
    void Scan(int from, int to, RowRunVisitor visit);
}

/// <summary>Rows of consecutive keys from <paramref name="firstKey"/>, <see cref="IParameterStore.Width"/> floats each.</summary>
public delegate void RowRunVisitor(int firstKey, ReadOnlySpan<float> rows);
