using Freshet.Learning.Factorization;
using Freshet.Learning.Metrics;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// Prequential quality (He et al. 2016's online protocol): before a sampled interaction is learned, the recommender's
/// top 10 for that user, and the most-popular baseline's top 10 leaving out the same items (those the user has
/// already interacted with), are checked for the item the user chose. Interactions with an item the user had
/// already chosen are not scored: neither list may name it, so they would only measure how often users repeat.
/// Users never seen are scored (the factorization ranks by item bias, the baseline by count), since they are served
/// too. Which interactions are scored depends only on their position in the stream (a hash of the interaction's
/// number), so the same stream gives the same figures on every run.
/// </summary>
public sealed partial class Recommender
{
    /// <summary>The length of the lists scored.</summary>
    public const int QualityK = 10;

    private MostPopular _popular = new();
    private RankingQuality _quality = new(QualityK);
    private RankingQuality _popularQuality = new(QualityK);

    /// <summary>The size of the model and its prequential quality beside the most-popular baseline's, read together.</summary>
    public RecommenderFigures Figures()
    {
        lock (_lock)
        {
            return new RecommenderFigures(_mf.Users, _mf.Items, _mf.Interactions, Snapshot(_quality), Snapshot(_popularQuality));
        }

        static RankingFigures Snapshot(RankingQuality q) => new(q.K, q.Count, q.Hits, q.HitRate, q.Ndcg);
    }

    /// <summary>Scores the lists served before <paramref name="user"/> chose <paramref name="item"/>, when this interaction is in the sample.</summary>
    private void Evaluate(int user, int item)
    {
        RealtimeMf mf;
        RankingStart start;
        lock (_lock)
        {
            mf = _mf;
            if (!KeySample.Includes(unchecked((ulong)mf.Interactions), Definition.EvaluateShare(mf.Items)) || mf.Seen(user).Contains(item))
            {
                return;
            }

            start = mf.StartRanking(user);
        }

        var exclude = (IReadOnlySet<int>?)start.Seen ?? EmptyItems;
        var model = mf.Rank(start, QualityK);
        var popular = _popular.Recommend(QualityK, exclude);
        lock (_lock)
        {
            _quality.Add(model, item);
            _popularQuality.Add(popular, item);
        }
    }

    private static readonly HashSet<int> EmptyItems = [];

    private void SaveQuality(BinaryWriter w)
    {
        _popular.Save(w);
        _quality.Save(w);
        _popularQuality.Save(w);
    }

    private void LoadQuality(BinaryReader r)
    {
        _popular = MostPopular.Load(r);
        _quality = RankingQuality.Load(r);
        _popularQuality = RankingQuality.Load(r);
    }
}
