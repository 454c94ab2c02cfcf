namespace Freshet.Learning.Parameters;

/// <summary>
/// Where models get their <see cref="IParameterStore"/>s: a model never makes its own, so the host chooses the backend
/// (<see cref="InProcessParameterStores"/> in this process; Redis hashes in the scale-out) and a test can hand in a
/// store that watches what the model does.
/// </summary>
public interface IParameterStoreFactory
{
    /// <summary>
    /// A store for the rows of one role of one model (<see cref="ParameterStoreRoles"/>). A backend that keeps rows
    /// outside the process names them by <paramref name="model"/> and <paramref name="role"/>.
    /// </summary>
    /// <param name="model">The model's name (from its definition).</param>
    /// <param name="role">What the rows are, e.g. <see cref="ParameterStoreRoles.Ftrl"/>.</param>
    /// <param name="width">Floats in a row.</param>
    /// <param name="keyCapacity">Keys expected (2^bits for a hashed model; 0 when unknown): a sizing hint, not a limit.</param>
    IParameterStore Create(string model, string role, int width, int keyCapacity);
}

/// <summary>The roles of the stores models ask <see cref="IParameterStoreFactory"/> for.</summary>
public static class ParameterStoreRoles
{
    /// <summary>FTRL's z and √n, one two-float row per hashed coordinate.</summary>
    public const string Ftrl = "ftrl";

    /// <summary>A factorization's user factors.</summary>
    public const string Users = "users";

    /// <summary>A factorization's item factors, then the item's bias.</summary>
    public const string Items = "items";
}

/// <summary>The default <see cref="IParameterStoreFactory"/>: a <see cref="ShardedParameterStore"/> in this process for every store.</summary>
/// <param name="shards">Shards of each store (a power of two).</param>
public sealed class InProcessParameterStores(int shards = 4) : IParameterStoreFactory
{
    /// <summary>Four shards a store.</summary>
    public static InProcessParameterStores Default { get; } = new();

    public IParameterStore Create(string model, string role, int width, int keyCapacity) =>
        new ShardedParameterStore(width, shards, keyCapacity);
}
