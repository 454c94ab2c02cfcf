using System.Diagnostics;
using System.Globalization;
using Freshet.Events;
using Freshet.Learning.Factorization;
using Freshet.Learning.Metrics;
using Freshet.Learning.Parameters;
using Freshet.Learning.Pipeline;
using Freshet.Testing.TestData;
using Xunit.Abstractions;

namespace Freshet.Learning.Tests;

/// <summary>
/// MovieLens 100k replayed in time order, every rating an implicit interaction: before each one is learned, the
/// real-time factorization and the most-popular baseline each recommend 10 items the user has not seen, and the
/// item the user rated next counts as a hit or not (prequential HR@10 and NDCG@10, in the same run).
/// </summary>
public sealed class MovieLensReplayTests(ITestOutputHelper output)
{
    [DataFact("movielens_100k")]
    public void Replay_InTimeOrder_FactorizationBeatsMostPopular()
    {
        var ratings = Load();
        var mf = RealtimeMf.Create(new MfOptions(), InProcessParameterStores.Default, "test");
        var popular = new MostPopular();
        var mfQuality = new RankingQuality(10);
        var popularQuality = new RankingQuality(10);
        var users = new Dictionary<int, int>();
        var items = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();
        foreach (var (userKey, itemKey) in ratings)
        {
            // Dense ids in order of first sight: users and items arrive during the replay, as in production.
            int user = users.TryGetValue(userKey, out int u) ? u : users[userKey] = users.Count;
            int item = items.TryGetValue(itemKey, out int i) ? i : items[itemKey] = items.Count;
            var seen = mf.Seen(user);
            if (seen.Count > 0)
            {
                mfQuality.Add(mf.Recommend(user, 10), item);
                popularQuality.Add(popular.Recommend(10, seen), item);
            }

            mf.Learn(user, item);
            popular.Learn(item);
        }

        output.WriteLine($"{ratings.Count:N0} ratings of {users.Count:N0} users and {items.Count:N0} items in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"real-time factorization: {mfQuality}");
        output.WriteLine($"most popular:            {popularQuality}");
        Assert.Equal(943, users.Count);
        Assert.Equal(1_682, items.Count);
        Assert.True(mfQuality.HitRate > popularQuality.HitRate * 1.1, $"factorization {mfQuality} vs most popular {popularQuality}");
        Assert.True(mfQuality.Ndcg > popularQuality.Ndcg * 1.1, $"factorization {mfQuality} vs most popular {popularQuality}");

        // Similar items: the 10 nearest of each of the 100 most-rated movies share more genres with it than random pairs do.
        var genres = LoadGenres();
        var byDense = items.ToDictionary(p => p.Value, p => p.Key);
        var mostRated = ratings.GroupBy(r => r.Item).OrderByDescending(g => g.Count()).Take(100).Select(g => items[g.Key]).ToList();
        double similar = mostRated.Average(item => mf.Similar(item, 10).Average(s => Jaccard(genres[byDense[item]], genres[byDense[s.Item]])));
        var random = new Random(3);
        double baseline = Enumerable.Range(0, 5_000).Average(_ => Jaccard(genres[1 + random.Next(1_682)], genres[1 + random.Next(1_682)]));
        output.WriteLine($"genre overlap (Jaccard) with the 10 most similar items: {similar:F3}; between random items: {baseline:F3}");
        Assert.True(similar > baseline * 1.3, $"similar items overlap {similar:F3} in genre, random pairs {baseline:F3}");
    }

    /// <summary>
    /// The same replay through <see cref="Recommender"/>, as the server runs it (ratings as events, every one scored):
    /// the figures <c>GET /v1/models</c> reports put the factorization above most popular.
    /// </summary>
    [DataFact("movielens_100k")]
    public void Recommender_InTimeOrder_ReportsFactorizationAboveMostPopular()
    {
        var strings = new StringInterner();
        var recommender = new Recommender(new RecommenderDefinition { Name = "movies", Events = ["rating"], Evaluate = 1 }, strings);
        int rating = strings.GetOrAdd("rating"), user = strings.GetOrAdd("user"), item = strings.GetOrAdd("item");
        var batch = new EventBatch();
        foreach (var (userKey, itemKey) in Load())
        {
            batch.BeginEvent(rating, 0);
            batch.AddString(user, strings.GetOrAdd(userKey.ToString(CultureInfo.InvariantCulture)));
            batch.AddString(item, strings.GetOrAdd(itemKey.ToString(CultureInfo.InvariantCulture)));
            batch.EndEvent();
        }

        for (int i = 0; i < batch.Count; i++)
        {
            recommender.Observe(batch, i);
        }

        var f = recommender.Figures();
        output.WriteLine($"recommender: HR@10 {f.Quality.HitRate:F4}, NDCG@10 {f.Quality.Ndcg:F4}; most popular: HR@10 {f.MostPopular.HitRate:F4}, NDCG@10 {f.MostPopular.Ndcg:F4}; over {f.Quality.Count:N0} interactions");
        Assert.Equal(100_000, f.Quality.Count); // MovieLens has no repeated (user, movie) pair: every rating is scored.
        Assert.True(f.Quality.HitRate > f.MostPopular.HitRate * 1.1, $"factorization {f.Quality}, most popular {f.MostPopular}");
        Assert.True(f.Quality.Ndcg > f.MostPopular.Ndcg * 1.1, $"factorization {f.Quality}, most popular {f.MostPopular}");
    }

    private static double Jaccard(int a, int b) => (a | b) == 0 ? 0 : (double)System.Numerics.BitOperations.PopCount((uint)(a & b)) / System.Numerics.BitOperations.PopCount((uint)(a | b));

    /// <summary>Movie id → its 19 genre flags as bits (u.item is latin-1 and '|'-separated).</summary>
    private static Dictionary<int, int> LoadGenres() =>
        File.ReadLines(SharedData.PathOf("movielens_100k/u.item"), System.Text.Encoding.Latin1)
            .Select(line => line.Split('|'))
            .ToDictionary(f => int.Parse(f[0], CultureInfo.InvariantCulture), f => f[^19..].Select((flag, g) => flag == "1" ? 1 << g : 0).Sum());

    /// <summary>(user, item) of u.data sorted by time; ratings sharing a second keep their order in the file.</summary>
    private static List<(int User, int Item)> Load() =>
        [.. File.ReadLines(SharedData.PathOf("movielens_100k/u.data"))
            .Select((line, index) => (Fields: line.Split('\t'), Index: index))
            .Select(r => (User: int.Parse(r.Fields[0], CultureInfo.InvariantCulture), Item: int.Parse(r.Fields[1], CultureInfo.InvariantCulture),
                Time: long.Parse(r.Fields[3], CultureInfo.InvariantCulture), r.Index))
            .OrderBy(r => r.Time).ThenBy(r => r.Index)
            .Select(r => (r.User, r.Item))];
}
