using System.Globalization;
using Freshet.Events;

namespace Freshet.Synthetic;

/// <summary>What the generator reads about an item for every event, in one 16-byte record (one cache miss, not four).</summary>
internal readonly record struct ItemFacts(int NameId, int CategoryNameId, int Category, float Ctr);

/// <summary>A user's interned name and favourite categories (a user with two favourites repeats the first).</summary>
internal readonly record struct UserFacts(int NameId, int Favourite0, int Favourite1, int Favourite2);

/// <summary>
/// The fixed population of a synthetic shop, built once from a seed: items (category, Zipf popularity, true CTR,
/// price), categories, users (2–3 favourite categories, a usual device, an activity weight) and the search vocabulary.
/// Every name is interned here, once, so generating an event only copies ints. Read-only after construction.
/// </summary>
internal sealed class SyntheticWorld
{
    // Arrays rather than properties: the generator reads them for every event.
    public readonly ItemFacts[] Items;
    public readonly UserFacts[] Users;
    public readonly byte[] UserDevice;
    public readonly int[] QueryIds;
    public readonly int[] DeviceIds;

    // Ground truth, read only for reporting.
    public readonly int[] ItemRank;
    public readonly int[] ItemOfRank;
    public readonly double[] ItemShare;
    public readonly double[] ItemPrice;

    private readonly StringInterner _strings;
    private readonly AliasEntry[] _items;
    private readonly int[] _categoryStart; // Category c's table over its items: _categoryItems[_categoryStart[c] .. _categoryStart[c + 1]).
    private readonly AliasEntry[] _categoryItems;
    private readonly AliasEntry[] _categories;
    private readonly AliasEntry[] _users;

    public SyntheticWorld(SyntheticOptions options, StringInterner strings, ref RandomSource random)
    {
        _strings = strings;
        int items = options.ItemCount, categories = options.CategoryCount, users = options.UserCount;
        var departments = Vocabulary.Departments;
        var categoryNames = new int[categories];
        for (int c = 0; c < categories; c++)
        {
            string department = departments[c % departments.Length].Name;
            categoryNames[c] = strings.GetOrAdd(string.Create(CultureInfo.InvariantCulture, $"{department}-{(c / departments.Length) + 1:00}"));
        }

        // Items: a random permutation assigns popularity ranks, so item numbers say nothing about popularity.
        Items = new ItemFacts[items];
        ItemRank = new int[items];
        ItemOfRank = new int[items + 1];
        ItemShare = new double[items];
        ItemPrice = new double[items];
        for (int i = 0; i < items; i++)
        {
            ItemRank[i] = i + 1;
        }

        for (int i = items - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (ItemRank[i], ItemRank[j]) = (ItemRank[j], ItemRank[i]);
        }

        double zipfSum = 0, ctrSum = 0;
        for (int i = 0; i < items; i++)
        {
            ItemOfRank[ItemRank[i]] = i;
            ItemShare[i] = Math.Pow(ItemRank[i], -options.ZipfExponent);
            zipfSum += ItemShare[i];
            float ctr = (float)random.NextBeta(options.CtrAlpha, options.CtrBeta);
            ItemPrice[i] = Math.Floor(random.NextLogNormal(options.PriceLogMean, options.PriceLogSigma)) + 0.99; // Shop prices end in .99.
            int category = i < categories ? i : random.NextInt(categories); // Every category gets at least one item.
            int name = strings.GetOrAdd(string.Create(CultureInfo.InvariantCulture, $"i{i}"));
            Items[i] = new ItemFacts(name, categoryNames[category], category, ctr);
        }

        for (int i = 0; i < items; i++)
        {
            ItemShare[i] /= zipfSum;
            ctrSum += ItemShare[i] * Items[i].Ctr;
        }

        ViewWeightedCtr = ctrSum;
        _items = BuildTable(ItemShare, []);

        // Categories: items grouped by category (a counting sort), then one alias table per category over its items.
        _categoryStart = new int[categories + 1];
        foreach (var item in Items)
        {
            _categoryStart[item.Category + 1]++;
        }

        for (int c = 0; c < categories; c++)
        {
            _categoryStart[c + 1] += _categoryStart[c];
        }

        var members = new int[items];
        var next = (int[])_categoryStart.Clone();
        for (int i = 0; i < items; i++)
        {
            members[next[Items[i].Category]++] = i;
        }

        _categoryItems = new AliasEntry[items];
        var categoryShare = new double[categories];
        var weights = new double[items];
        for (int c = 0; c < categories; c++)
        {
            int start = _categoryStart[c], length = _categoryStart[c + 1] - start;
            for (int k = start; k < start + length; k++)
            {
                weights[k] = ItemShare[members[k]];
                categoryShare[c] += weights[k];
            }

            AliasTable.Build(weights.AsSpan(start, length), members.AsSpan(start, length), _categoryItems.AsSpan(start, length));
        }

        // Favourite categories are drawn by category popularity: a category drawn this way and then an item by
        // popularity inside it is, over all users, an item drawn by global popularity. So preferences shape each
        // user's views without bending the shop-wide Zipf curve.
        _categories = BuildTable(categoryShare, []);

        Users = new UserFacts[users];
        UserDevice = new byte[users];
        var activity = new double[users];
        Span<int> favourites = stackalloc int[3];
        for (int u = 0; u < users; u++)
        {
            activity[u] = random.NextLogNormal(0, options.UserActivitySigma);
            UserDevice[u] = (byte)SampleDevice(ref random);
            int count = random.NextBool(0.5) ? 2 : 3;
            for (int f = 0; f < 3; f++)
            {
                favourites[f] = f < count ? SampleDistinctCategory(favourites[..f], ref random) : favourites[0];
            }

            int name = strings.GetOrAdd(string.Create(CultureInfo.InvariantCulture, $"u{u}"));
            Users[u] = new UserFacts(name, favourites[0], favourites[1], favourites[2]);
        }

        _users = BuildTable(activity, []);

        QueryIds = new int[departments.Length * Vocabulary.QueriesPerDepartment];
        for (int d = 0; d < departments.Length; d++)
        {
            for (int q = 0; q < Vocabulary.QueriesPerDepartment; q++)
            {
                QueryIds[(d * Vocabulary.QueriesPerDepartment) + q] = strings.GetOrAdd(departments[d].Queries[q]);
            }
        }

        DeviceIds = [.. Vocabulary.Devices.Select(strings.GetOrAdd)];
    }

    /// <summary>Mean true CTR weighted by expected views: the click-through rate of the whole stream.</summary>
    public double ViewWeightedCtr { get; }

    public string Name(int id) => _strings[id];

    public int SampleItem(ref RandomSource random) => AliasTable.Sample(_items, ref random);

    public int SampleItemInCategory(int category, ref RandomSource random)
    {
        int start = _categoryStart[category];
        return AliasTable.Sample(_categoryItems.AsSpan(start, _categoryStart[category + 1] - start), ref random);
    }

    public int SampleUser(ref RandomSource random) => AliasTable.Sample(_users, ref random);

    public int SampleFavourite(int user, ref RandomSource random)
    {
        ref readonly var facts = ref Users[user];
        return random.NextInt(3) switch
        {
            0 => facts.Favourite0,
            1 => facts.Favourite1,
            _ => facts.Favourite2,
        };
    }

    /// <summary>A query of the category's department.</summary>
    public int SampleQuery(int category, ref RandomSource random)
    {
        int department = category % Vocabulary.Departments.Length;
        return QueryIds[(department * Vocabulary.QueriesPerDepartment) + random.NextInt(Vocabulary.QueriesPerDepartment)];
    }

    public static int SampleDevice(ref RandomSource random)
    {
        double u = random.NextDouble();
        var shares = Vocabulary.DeviceShares;
        for (int d = 0; d < shares.Length - 1; d++)
        {
            if ((u -= shares[d]) < 0)
            {
                return d;
            }
        }

        return shares.Length - 1;
    }

    private int SampleDistinctCategory(ReadOnlySpan<int> taken, ref RandomSource random)
    {
        int category = AliasTable.Sample(_categories, ref random);
        for (int attempt = 0; attempt < 16 && taken.Contains(category); attempt++)
        {
            category = AliasTable.Sample(_categories, ref random);
        }

        return category;
    }

    private static AliasEntry[] BuildTable(double[] weights, int[] values)
    {
        var table = new AliasEntry[weights.Length];
        AliasTable.Build(weights, values, table);
        return table;
    }
}
