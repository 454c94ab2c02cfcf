using Freshet.Events;
using Freshet.Learning.Factorization;
using Freshet.Learning.Parameters;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// A recommender fed by the stream: every interaction event (user, item) is learned at once by the real-time
/// factorization; users and items are numbered on first sight. Readers and the writer share one lock, so a
/// recommendation sees the model between two interactions. A sample of the interactions is scored before it is
/// learned, against the most-popular baseline (see Recommender.Quality.cs).
/// </summary>
public sealed partial class Recommender
{
    private readonly Lock _lock = new();
    private RealtimeMf _mf;
    private readonly HashSet<int> _types;
    private readonly int _userField;
    private readonly int _itemField;
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly List<string> _itemNames = [];
    private readonly StringInterner _strings;
    private readonly IParameterStoreFactory _stores;

    /// <param name="definition">What the recommender learns from.</param>
    /// <param name="strings">The stream's interned strings.</param>
    /// <param name="stores">Where the factors live (<see cref="InProcessParameterStores.Default"/> when null).</param>
    public Recommender(RecommenderDefinition definition, StringInterner strings, IParameterStoreFactory? stores = null)
    {
        Definition = definition;
        _strings = strings;
        _stores = stores ?? InProcessParameterStores.Default;
        _mf = RealtimeMf.Create(definition.Factorization, _stores, definition.Name);
        _types = [.. definition.Events.Select(strings.GetOrAdd)];
        _userField = strings.GetOrAdd(definition.UserField);
        _itemField = strings.GetOrAdd(definition.ItemField);
    }

    public RecommenderDefinition Definition { get; }

    public (int Users, int Items, long Interactions) Size
    {
        get
        {
            lock (_lock)
            {
                return (_mf.Users, _mf.Items, _mf.Interactions);
            }
        }
    }

    /// <summary>Learns the event at <paramref name="index"/> if it is an interaction with both a user and an item.</summary>
    public void Observe(EventBatch batch, int index)
    {
        if (!_types.Contains(batch[index].TypeId)
            || !batch.TryGetField(index, _userField, out var user) || user.Kind != FieldKind.String
            || !batch.TryGetField(index, _itemField, out var item) || item.Kind != FieldKind.String)
        {
            return;
        }

        if (!KeySample.Includes(batch.HashOf(user.StringId, _strings), Definition.Sample))
        {
            return;
        }

        string userKey = batch.StringOf(user.StringId, _strings), itemKey = batch.StringOf(item.StringId, _strings);
        int u, i;
        lock (_lock)
        {
            if (!_users.TryGetValue(userKey, out u))
            {
                _users[userKey] = u = _users.Count;
            }

            if (!_items.TryGetValue(itemKey, out i))
            {
                _items[itemKey] = i = _items.Count;
                _itemNames.Add(itemKey);
            }

        }

        // Scored before learning, as a recommendation served at that moment would have been (outside the lock, as
        // rankings run: this thread is the only writer, so the model cannot change under it).
        Evaluate(u, i);
        lock (_lock)
        {
            _mf.Learn(u, i);
            _popular.Learn(i);
        }
    }

    /// <summary>Writes the factorization and the key numbering, so a restart continues where this stopped.</summary>
    public void Save(BinaryWriter w)
    {
        lock (_lock)
        {
            w.Write(_users.Count);
            foreach (var (key, id) in _users.OrderBy(p => p.Value))
            {
                w.Write(key);
            }

            w.Write(_itemNames.Count);
            foreach (string item in _itemNames)
            {
                w.Write(item);
            }

            _mf.Save(w);
            SaveQuality(w);
        }
    }

    /// <summary>Reads state written by <see cref="Save"/> into this recommender (made from the same definition).</summary>
    public void Load(BinaryReader r)
    {
        lock (_lock)
        {
            _users.Clear();
            _items.Clear();
            _itemNames.Clear();
            int users = r.ReadInt32();
            for (int u = 0; u < users; u++)
            {
                _users[r.ReadString()] = u;
            }

            int items = r.ReadInt32();
            for (int i = 0; i < items; i++)
            {
                string name = r.ReadString();
                _items[name] = i;
                _itemNames.Add(name);
            }

            _mf = RealtimeMf.Load(r, Definition.Factorization, _stores, Definition.Name);
            LoadQuality(r);
        }
    }

    /// <summary>The best <paramref name="k"/> items for <paramref name="user"/> that the user has not interacted with (popular ones for a user never seen).</summary>
    public IReadOnlyList<(string Item, double Score)> Recommend(string user, int k)
    {
        RealtimeMf mf;
        RankingStart start;
        lock (_lock)
        {
            mf = _mf;
            start = mf.StartRanking(_users.TryGetValue(user, out int known) ? known : int.MaxValue);
        }

        // The scan of the whole catalogue runs outside the lock: the learner keeps learning beside it.
        return Names(mf.Rank(start, k));
    }

    /// <summary>The <paramref name="k"/> items most like <paramref name="item"/>; null when the item was never seen.</summary>
    public IReadOnlyList<(string Item, double Score)>? Similar(string item, int k)
    {
        RealtimeMf mf;
        SimilarStart? start;
        lock (_lock)
        {
            if (!_items.TryGetValue(item, out int i))
            {
                return null;
            }

            mf = _mf;
            start = mf.StartSimilar(i);
        }

        return Names(mf.RankSimilar(start, k));
    }

    private List<(string Item, double Score)> Names(IReadOnlyList<(int Item, float Score)> ranked)
    {
        lock (_lock)
        {
            return [.. ranked.Select(r => (_itemNames[r.Item], (double)r.Score))];
        }
    }
}
