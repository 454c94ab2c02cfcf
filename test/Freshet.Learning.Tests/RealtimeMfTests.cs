using Freshet.Learning.Factorization;
using Freshet.Learning.Metrics;
using Freshet.Learning.Parameters;

namespace Freshet.Learning.Tests;

public sealed class RealtimeMfTests
{
    [Fact]
    public void Learn_TwoTasteGroups_RecommendsTheUnseenItemsOfTheUsersGroup()
    {
        // Users 0–49 like items 0–9, users 50–99 like items 10–19; every user has seen all but one item of their group.
        var mf = RealtimeMf.Create(new MfOptions { Factors = 8, Seed = 1 }, InProcessParameterStores.Default, "test");
        var random = new Random(2);
        for (int round = 0; round < 30; round++)
        {
            for (int user = 0; user < 100; user++)
            {
                int group = user < 50 ? 0 : 10;
                int item = group + random.Next(10);
                if (item != group + (user % 10))
                {
                    mf.Learn(user, item);
                }
            }
        }

        for (int user = 0; user < 100; user += 7)
        {
            int group = user < 50 ? 0 : 10;
            var top = mf.Recommend(user, 3);
            Assert.DoesNotContain(top, r => mf.Seen(user).Contains(r.Item));
            Assert.Equal(group + (user % 10), top[0].Item);
        }
    }

    [Fact]
    public void Learn_NewUsersAndItems_AreAddedOnTheFly()
    {
        var mf = RealtimeMf.Create(new MfOptions { Factors = 4 }, InProcessParameterStores.Default, "test");
        mf.Learn(0, 0);
        mf.Learn(250, 1_000);

        Assert.Equal(251, mf.Users);
        Assert.Equal(1_001, mf.Items);
        Assert.Equal(1_000, mf.Recommend(0, 1_000).Count); // Every item but the one seen.
        Assert.Equal(10, mf.Recommend(999, 10).Count); // A user never seen gets the best items by bias.
        Assert.Empty(mf.Similar(5_000, 10));
    }

    [Fact]
    public void Learn_SameSeedAndStream_GivesTheSameRecommendations()
    {
        static IReadOnlyList<(int, float)> Run()
        {
            var mf = RealtimeMf.Create(new MfOptions { Seed = 9 }, InProcessParameterStores.Default, "test");
            var random = new Random(4);
            for (int i = 0; i < 5_000; i++)
            {
                mf.Learn(random.Next(100), random.Next(300));
            }

            return mf.Recommend(3, 10);
        }

        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData(0, 0.05, 8, "factors")]
    [InlineData(8, 0, 8, "learning rate")]
    [InlineData(8, 0.05, 0, "negatives")]
    public void New_BadOptions_NameTheOption(int factors, double rate, int negatives, string name)
    {
        var error = Assert.Throws<ArgumentException>(() => RealtimeMf.Create(new MfOptions { Factors = factors, LearningRate = rate, Negatives = negatives }, InProcessParameterStores.Default, "test"));
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void RankingQuality_CreditsHitsByRank()
    {
        var quality = new RankingQuality(10);
        quality.Add(0);
        quality.Add(2);
        quality.Add(-1);
        quality.Add(10); // Outside the top 10.

        Assert.Equal(0.5, quality.HitRate, 12);
        Assert.Equal((1 + (1 / Math.Log2(4))) / 4, quality.Ndcg, 12);
    }

    [Fact]
    public void MostPopular_RecommendsByCountLeavingOutTheExcluded()
    {
        var popular = new MostPopular();
        foreach (int item in new[] { 3, 3, 3, 1, 1, 2, 5, 5, 5, 5 })
        {
            popular.Learn(item);
        }

        Assert.Equal([5, 1, 2], popular.Recommend(3, new HashSet<int> { 3 }).Select(r => r.Item));
    }

    /// <summary>
    /// The catalogue scan runs outside the writer's lock (as the recommender runs it): while one thread learns and adds
    /// items, rankings from another never fail and name only items that existed when they started.
    /// </summary>
    [Fact]
    public async Task Rank_BesideTheWriterAddingItems_NeverFailsAndNamesOnlyItemsThatExisted()
    {
        var mf = RealtimeMf.Create(new MfOptions { Factors = 16 }, InProcessParameterStores.Default, "test");
        var gate = new Lock();
        using var done = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var random = new Random(3);
            for (int i = 0; i < 200_000; i++)
            {
                lock (gate)
                {
                    mf.Learn(random.Next(500), i < 50_000 ? i : random.Next(50_000));
                }
            }

            done.Cancel();
        });
        int rankings = 0;
        while (!done.IsCancellationRequested)
        {
            RankingStart start;
            lock (gate)
            {
                start = mf.StartRanking(rankings % 600);
            }

            var top = mf.Rank(start, 10);
            Assert.All(top, r => Assert.InRange(r.Item, 0, start.Items - 1));
            Assert.All(top, r => Assert.True(float.IsFinite(r.Score)));
            rankings++;
        }

        await writer;
        Assert.True(rankings > 0);
    }
}
