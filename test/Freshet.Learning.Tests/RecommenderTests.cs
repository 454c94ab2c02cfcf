using Freshet.Events;
using Freshet.Learning.Factorization;
using Freshet.Learning.Parameters;
using Freshet.Learning.Pipeline;

namespace Freshet.Learning.Tests;

public sealed class RecommenderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly RecommenderDefinition Definition = new()
    {
        Name = "for_you",
        Events = ["view"],
        Factorization = new MfOptions { Factors = 16, Seed = 5 },
        Evaluate = 1,
    };

    /// <summary>
    /// Users of 6 taste groups each view the 25 items of their own group only, all groups alike in size: popularity says
    /// nothing about a user, the factorization learns the group, so its prequential HR@10 and NDCG@10 beat most popular.
    /// </summary>
    [Fact]
    public void Figures_StreamWithAStrongTastePattern_FactorizationBeatsMostPopular()
    {
        var strings = new StringInterner();
        var recommender = new Recommender(Definition, strings);
        var stream = TasteGroups(strings, users: 300, groups: 6, itemsPerGroup: 40, rounds: 30, seed: 1);
        for (int i = 0; i < stream.Count; i++)
        {
            recommender.Observe(stream, i);
        }

        var f = recommender.Figures();
        Assert.Equal(300, f.Users);
        Assert.Equal(240, f.Items);
        Assert.Equal(9_000, f.Interactions);
        Assert.Equal(f.Quality.Count, f.MostPopular.Count);
        Assert.InRange(f.Quality.Count, 5_000, 8_000); // Repeats of an item already chosen are not scored.
        output.WriteLine($"factorization {f.Quality}, most popular {f.MostPopular}");
        Assert.True(f.Quality.HitRate > 2 * f.MostPopular.HitRate, $"factorization {f.Quality}, most popular {f.MostPopular}");
        Assert.True(f.Quality.Ndcg > 2 * f.MostPopular.Ndcg, $"factorization {f.Quality}, most popular {f.MostPopular}");
    }

    /// <summary>
    /// The figures equal a recomputation by brute force: a second factorization fed the same interactions, every item
    /// scored one by one and sorted, and popularity counted in a dictionary, over the same sampled interactions.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    [InlineData(null)] // The default: one in a hundred here (60 items).
    public void Figures_EqualABruteForceRecomputation(double? evaluate)
    {
        var strings = new StringInterner();
        var definition = Definition with { Evaluate = evaluate };
        var recommender = new Recommender(definition, strings);
        var stream = TasteGroups(strings, users: 80, groups: 4, itemsPerGroup: 15, rounds: 10, seed: 2);
        var mf = RealtimeMf.Create(definition.Factorization, InProcessParameterStores.Default, "test");
        var counts = new Dictionary<int, long>();
        var users = new Dictionary<string, int>();
        var items = new Dictionary<string, int>();
        long scored = 0, modelHits = 0, popularHits = 0;
        double modelGain = 0, popularGain = 0;
        int userField = strings.GetOrAdd("user"), itemField = strings.GetOrAdd("item");
        for (int n = 0; n < stream.Count; n++)
        {
            recommender.Observe(stream, n);

            stream.TryGetField(n, userField, out var userValue);
            stream.TryGetField(n, itemField, out var itemValue);
            string userKey = strings[userValue.StringId], itemKey = strings[itemValue.StringId];
            int u = users.TryGetValue(userKey, out int knownUser) ? knownUser : users[userKey] = users.Count;
            int i = items.TryGetValue(itemKey, out int knownItem) ? knownItem : items[itemKey] = items.Count;
            var seen = mf.Seen(u);
            if (KeySample.Includes((ulong)mf.Interactions, definition.EvaluateShare(mf.Items)) && !seen.Contains(i))
            {
                scored++;
                var candidates = Enumerable.Range(0, mf.Items).Where(j => !seen.Contains(j)).ToList();
                int modelRank = candidates.OrderByDescending(j => mf.Score(u, j)).ThenBy(j => j).Take(10).ToList().IndexOf(i);
                int popularRank = candidates.OrderByDescending(j => counts[j]).ThenBy(j => j).Take(10).ToList().IndexOf(i);
                (modelHits, modelGain) = modelRank < 0 ? (modelHits, modelGain) : (modelHits + 1, modelGain + (1 / Math.Log2(modelRank + 2)));
                (popularHits, popularGain) = popularRank < 0 ? (popularHits, popularGain) : (popularHits + 1, popularGain + (1 / Math.Log2(popularRank + 2)));
            }

            mf.Learn(u, i);
            counts[i] = counts.GetValueOrDefault(i) + 1;
        }

        var f = recommender.Figures();
        Assert.Equal(scored, f.Quality.Count);
        Assert.Equal(scored, f.MostPopular.Count);
        Assert.Equal(modelHits, f.Quality.Hits);
        Assert.Equal(popularHits, f.MostPopular.Hits);
        Assert.Equal((double)modelHits / scored, f.Quality.HitRate);
        Assert.Equal(modelGain / scored, f.Quality.Ndcg, 12);
        Assert.Equal(popularGain / scored, f.MostPopular.Ndcg, 12);
        Assert.True(scored > 0, "the stream should have some interactions scored");
        if (evaluate is not null)
        {
            Assert.True(modelHits > 0 && popularHits > 0, "the stream should give both lists some hits");
        }

        if (evaluate == 0.3)
        {
            Assert.InRange(scored, 0.2 * stream.Count, 0.4 * stream.Count);
        }
    }

    [Fact]
    public void Figures_AfterSaveAndLoad_ContinueWhereTheyStopped()
    {
        var strings = new StringInterner();
        var stream = TasteGroups(strings, users: 50, groups: 2, itemsPerGroup: 20, rounds: 8, seed: 3);
        var whole = new Recommender(Definition, strings);
        var first = new Recommender(Definition, strings);
        for (int i = 0; i < stream.Count; i++)
        {
            whole.Observe(stream, i);
            if (i < stream.Count / 2)
            {
                first.Observe(stream, i);
            }
        }

        using var state = new MemoryStream();
        using (var w = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            first.Save(w);
        }

        state.Position = 0;
        var resumed = new Recommender(Definition, strings);
        using (var r = new BinaryReader(state))
        {
            resumed.Load(r);
        }

        for (int i = stream.Count / 2; i < stream.Count; i++)
        {
            resumed.Observe(stream, i);
        }

        Assert.Equal(whole.Figures(), resumed.Figures());
    }

    [Fact]
    public void Figures_EvaluateZero_ScoresNothing()
    {
        var strings = new StringInterner();
        var recommender = new Recommender(Definition with { Evaluate = 0 }, strings);
        var stream = TasteGroups(strings, users: 20, groups: 2, itemsPerGroup: 10, rounds: 3, seed: 4);
        for (int i = 0; i < stream.Count; i++)
        {
            recommender.Observe(stream, i);
        }

        Assert.Equal(0, recommender.Figures().Quality.Count);
        Assert.True(double.IsNaN(recommender.Figures().Quality.HitRate));
    }

    /// <summary>Round after round, each user views an item of their group (user % groups) picked at random.</summary>
    private static EventBatch TasteGroups(StringInterner strings, int users, int groups, int itemsPerGroup, int rounds, int seed)
    {
        var random = new Random(seed);
        var batch = new EventBatch(users * rounds);
        int view = strings.GetOrAdd("view"), user = strings.GetOrAdd("user"), item = strings.GetOrAdd("item");
        long time = 0;
        for (int round = 0; round < rounds; round++)
        {
            for (int u = 0; u < users; u++)
            {
                int group = u % groups;
                batch.BeginEvent(view, time += 1000);
                batch.AddString(user, strings.GetOrAdd($"u{u}"));
                batch.AddString(item, strings.GetOrAdd($"i{(group * itemsPerGroup) + random.Next(itemsPerGroup)}"));
                batch.EndEvent();
            }
        }

        return batch;
    }
}
