namespace Freshet.Learning.Metrics;

/// <summary>
/// Prequential top-k quality of a recommender (He et al. 2016's online protocol): before each interaction is learned,
/// the recommender's top k for that user is checked for the item the user went on to choose. HR@k is the share of
/// hits; NDCG@k credits a hit at rank r (from 0) with 1 / log2(r + 2).
/// </summary>
public sealed class RankingQuality(int k)
{
    private double _gain;

    public int K { get; } = k;

    public long Count { get; private set; }

    public long Hits { get; private set; }

    /// <summary>Records where the chosen item ranked in a top-k list (-1 when absent).</summary>
    public void Add(int rank)
    {
        Count++;
        if (rank >= 0 && rank < K)
        {
            Hits++;
            _gain += 1 / Math.Log2(rank + 2);
        }
    }

    /// <summary>Records a recommendation list and the item chosen.</summary>
    public void Add(IReadOnlyList<(int Item, float Score)> recommended, int chosen)
    {
        int rank = -1;
        for (int r = 0; r < recommended.Count && r < K; r++)
        {
            if (recommended[r].Item == chosen)
            {
                rank = r;
                break;
            }
        }

        Add(rank);
    }

    public double HitRate => Count == 0 ? double.NaN : (double)Hits / Count;

    public double Ndcg => Count == 0 ? double.NaN : _gain / Count;

    public void Save(BinaryWriter w)
    {
        w.Write(K);
        w.Write(Count);
        w.Write(Hits);
        w.Write(_gain);
    }

    /// <summary>Reads figures written by <see cref="Save"/>.</summary>
    public static RankingQuality Load(BinaryReader r)
    {
        var quality = new RankingQuality(r.ReadInt32()) { Count = r.ReadInt64(), Hits = r.ReadInt64() };
        quality._gain = r.ReadDouble();
        return quality;
    }

    public override string ToString() => FormattableString.Invariant($"HR@{K} {HitRate:F4}, NDCG@{K} {Ndcg:F4} over {Count:N0}");
}
