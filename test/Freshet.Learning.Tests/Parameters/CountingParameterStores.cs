using Freshet.Learning.Parameters;

namespace Freshet.Learning.Tests.Parameters;

/// <summary>A store that counts the pulls and pushes (calls, as a remote store's round trips) it passes on to an in-process one.</summary>
public sealed class CountingParameterStore(IParameterStore inner) : IParameterStore
{
    public int Pulls { get; private set; }

    public int Pushes { get; private set; }

    public int Width => inner.Width;

    public int Shards => inner.Shards;

    public int KeyCount => inner.KeyCount;

    public int ShardOf(int key) => inner.ShardOf(key);

    public void Pull(ReadOnlySpan<int> keys, Span<float> rows)
    {
        Pulls++;
        inner.Pull(keys, rows);
    }

    public void Push(ReadOnlySpan<int> keys, ReadOnlySpan<float> rows)
    {
        Pushes++;
        inner.Push(keys, rows);
    }

    public void Scan(int from, int to, RowRunVisitor visit) => inner.Scan(from, to, visit);
}

/// <summary>A factory of <see cref="CountingParameterStore"/>s that remembers what it was asked for.</summary>
public sealed class CountingParameterStores : IParameterStoreFactory
{
    public List<(string Model, string Role, int Width, CountingParameterStore Store)> Created { get; } = [];

    public IParameterStore Create(string model, string role, int width, int keyCapacity)
    {
        var store = new CountingParameterStore(InProcessParameterStores.Default.Create(model, role, width, keyCapacity));
        Created.Add((model, role, width, store));
        return store;
    }

    /// <summary>The last store made for <paramref name="role"/> of <paramref name="model"/>.</summary>
    public CountingParameterStore Of(string model, string role) => Created.Last(c => c.Model == model && c.Role == role).Store;
}
