namespace Freshet.Synthetic;

/// <summary>
/// What the generator knows about one item and a feature engine has to learn from the events: its popularity rank and
/// expected share of views, its true click-through rate and its list price.
/// </summary>
/// <param name="Index">Position in the generator's item table (the id is <c>i</c> followed by it).</param>
/// <param name="Id">The <c>item</c> field value of its events.</param>
/// <param name="Category">The <c>category</c> field value of its events.</param>
/// <param name="PopularityRank">1 for the most viewed item.</param>
/// <param name="ViewShare">Expected share of all views (Zipf), not counting promotions.</param>
/// <param name="TrueCtr">Probability that a view of the item becomes a click.</param>
/// <param name="Price">List price; carts and purchases sometimes carry a discount.</param>
public readonly record struct SyntheticItem(int Index, string Id, string Category, int PopularityRank, double ViewShare, double TrueCtr, double Price);

/// <summary>Events generated so far, by kind, and scheduled actions dropped because the pending queue was full.</summary>
public readonly record struct SyntheticCounts(long Sessions, long Views, long Clicks, long Carts, long Purchases, long Searches, long DroppedActions)
{
    public long Events => Views + Clicks + Carts + Purchases + Searches;
}
