using Freshet.Events;
using Freshet.Learning.Factorization;
using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Parameters;
using Freshet.Learning.Pipeline;

namespace Freshet.Learning.Tests.Parameters;

/// <summary>Models learn on the stores they are given, and fetch an example's rows once.</summary>
public sealed class InjectedStoreTests
{
    private static readonly ClickModelDefinition Carts = new()
    {
        Name = "carts",
        ExposureEvents = ["view"],
        OutcomeEvents = ["cart"],
        KeyFields = ["user", "item"],
        WindowMs = 60_000,
        Fields = ["user", "item"],
        Ftrl = new() { PriorRate = 0.05, Bits = 12 },
    };

    [Fact]
    public void ClickModel_OnAnInjectedStore_LearnsAndScoresThroughIt()
    {
        var stores = new CountingParameterStores();
        var strings = new StringInterner();
        var model = new ClickModel(Carts, strings, stores: stores);
        var store = stores.Of("carts", ParameterStoreRoles.Ftrl);
        Assert.Equal(2, store.Width);
        var batch = Events(strings, ("view", "u1", "i1", 1_000), ("cart", "u1", "i1", 2_000), ("view", "u2", "i1", 3_000));
        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        Assert.Equal(3, model.Model.Examples);
        Assert.True(store.KeyCount > 0, "the model's rows were pushed to the store it was given");
        int pulls = store.Pulls;
        model.Score(new Dictionary<string, string> { ["user"] = "u1", ["item"] = "i1" });
        Assert.Equal(pulls + 1, store.Pulls);
    }

    /// <summary>
    /// An exposure is scored and learned (as the fake negative) with one pull and one push of its rows; a repeat of an
    /// open example costs nothing; an outcome's positive is one pull and one push. Scoring then learning pulled twice.
    /// </summary>
    [Fact]
    public void ClickModel_Observe_OneExampleIsOnePullAndOnePush()
    {
        var stores = new CountingParameterStores();
        var strings = new StringInterner();
        var model = new ClickModel(Carts, strings, stores: stores);
        var store = stores.Of("carts", ParameterStoreRoles.Ftrl);
        var batch = Events(strings, ("view", "u1", "i1", 1_000), ("view", "u1", "i1", 1_500), ("cart", "u1", "i1", 2_000));
        (int Pulls, int Pushes) Step(int index)
        {
            (int pulls, int pushes) = (store.Pulls, store.Pushes);
            model.Observe(batch, index);
            return (store.Pulls - pulls, store.Pushes - pushes);
        }

        Assert.Equal((1, 1), Step(0));
        Assert.Equal((0, 0), Step(1));
        Assert.Equal((1, 1), Step(2));
        Assert.Equal(1, model.Labels.RepeatedExposures);
        Assert.Equal(2, model.Model.Examples);
    }

    /// <summary>
    /// What lets one pull serve both: the score Learn returns is bit for bit the score Predict gives the same example
    /// just before, over a model in many states (so serving the fused score changes no figure).
    /// </summary>
    [Fact]
    public void FtrlModel_Learn_ReturnsExactlyWhatPredictGaveBeforeTheUpdate()
    {
        var model = FtrlModel.Create(new FtrlOptions { Bits = 10, PriorRate = 0.1 }, InProcessParameterStores.Default, "test");
        var hasher = new FeatureHasher(10);
        var random = new Random(3);
        var x = new SparseVector();
        for (int n = 0; n < 5_000; n++)
        {
            hasher.Begin(x);
            for (int f = 0; f < 6; f++)
            {
                hasher.AddHashed(x, (ulong)f, (ulong)random.Next(50));
            }

            hasher.AddNumber(x, 99, random.NextDouble() * 3);
            double predicted = model.Predict(x);
            double learned = model.Learn(x, random.NextDouble() < 0.2);
            Assert.Equal(BitConverter.DoubleToInt64Bits(predicted), BitConverter.DoubleToInt64Bits(learned));
        }
    }

    [Fact]
    public void FtrlModel_Load_FillsTheStoreFromTheFactoryAndRefusesBeforeAskingWhenTheCallerSaysSo()
    {
        var options = new FtrlOptions { Bits = 8 };
        var saved = FtrlModel.Create(options, InProcessParameterStores.Default, "m");
        var hasher = new FeatureHasher(8);
        var x = new SparseVector();
        hasher.Begin(x);
        hasher.AddHashed(x, 1, 2);
        saved.Learn(x, true);
        using var file = new MemoryStream();
        saved.Save(file);

        var stores = new CountingParameterStores();
        file.Position = 0;
        var loaded = FtrlModel.Load(file, stores, "m");
        var (model, role, width, store) = Assert.Single(stores.Created);
        Assert.Equal(("m", ParameterStoreRoles.Ftrl, 2), (model, role, width));
        Assert.True(store.Pushes > 0);
        Assert.True(loaded.SameStateAs(saved));

        file.Position = 0;
        Assert.Throws<InvalidDataException>(() => FtrlModel.Load(file, _ => throw new InvalidDataException("other settings")));
        Assert.Single(stores.Created);
    }

    [Fact]
    public void Recommender_OnInjectedStores_LearnsAndSavesThroughThem()
    {
        var definition = new RecommenderDefinition { Name = "for_you", Events = ["view"], Factorization = new MfOptions { Factors = 4 }, Evaluate = 0 };
        var stores = new CountingParameterStores();
        var strings = new StringInterner();
        var recommender = new Recommender(definition, strings, stores);
        var batch = Events(strings, ("view", "u1", "i1", 1), ("view", "u1", "i2", 2), ("view", "u2", "i1", 3));
        for (int i = 0; i < batch.Count; i++)
        {
            recommender.Observe(batch, i);
        }

        var users = stores.Of("for_you", ParameterStoreRoles.Users);
        var items = stores.Of("for_you", ParameterStoreRoles.Items);
        Assert.Equal((4, 5), (users.Width, items.Width));
        Assert.Equal((2, 2), (users.KeyCount, items.KeyCount));

        using var state = new MemoryStream();
        recommender.Save(new BinaryWriter(state));
        state.Position = 0;
        var resumed = new Recommender(definition, strings, stores);
        resumed.Load(new BinaryReader(state));
        Assert.Equal(2, stores.Of("for_you", ParameterStoreRoles.Items).KeyCount);
        Assert.NotSame(items, stores.Of("for_you", ParameterStoreRoles.Items));
        Assert.Equal(recommender.Recommend("u2", 5), resumed.Recommend("u2", 5));
    }

    /// <summary>
    /// An interaction of a known user and item is one pull and one push a store, however many negatives it samples
    /// (a step per negative used to pull and push its three rows). The factors are those of stepping one negative at a
    /// time: a store sharded 1 or 8 ways, and a fresh model, learn the same (ShardedParameterStoreTests), and the saved
    /// state of seeded streams hashed before and after this change was equal.
    /// </summary>
    [Fact]
    public void RealtimeMf_Learn_OneInteractionIsOnePullAndOnePushAStore()
    {
        var stores = new CountingParameterStores();
        var mf = RealtimeMf.Create(new MfOptions { Factors = 4, Negatives = 8, Seed = 2 }, stores, "mf");
        var users = stores.Of("mf", ParameterStoreRoles.Users);
        var items = stores.Of("mf", ParameterStoreRoles.Items);
        for (int i = 0; i < 50; i++)
        {
            mf.Learn(0, i);
        }

        mf.Learn(1, 0);
        (int Pulls, int Pushes) Change(Action learn)
        {
            int pulls = users.Pulls + items.Pulls, pushes = users.Pushes + items.Pushes;
            learn();
            return (users.Pulls + items.Pulls - pulls, users.Pushes + items.Pushes - pushes);
        }

        Assert.Equal((2, 2), Change(() => mf.Learn(1, 7)));
        Assert.Equal((2, 2), Change(() => mf.Learn(1, 9)));
        Assert.Equal((0, 0), Change(() => mf.Learn(0, 3))); // User 0 has seen every item: no negative to step.
    }

    private static EventBatch Events(StringInterner strings, params (string Type, string User, string Item, long TimeMs)[] events)
    {
        var batch = new EventBatch();
        foreach (var (type, user, item, time) in events)
        {
            batch.BeginEvent(strings.GetOrAdd(type), time);
            batch.AddString(strings.GetOrAdd("user"), strings.GetOrAdd(user));
            batch.AddString(strings.GetOrAdd("item"), strings.GetOrAdd(item));
            batch.EndEvent();
        }

        return batch;
    }
}
