namespace Freshet.Files.Mapping;

/// <summary>A named set of replay options for a public dataset, and the file it is meant for.</summary>
public sealed record MappingPreset(string Name, string File, MappingSpec Spec);

/// <summary>
/// Presets for the sample datasets in <c>../shared/data</c>. Each is nothing but options a user could type (they are
/// printed at the start of a replay and in <c>--help</c>, so the general mapping is learnt from them); options given
/// explicitly override the preset's.
/// </summary>
public static class MappingPresets
{
    public static IReadOnlyList<MappingPreset> All { get; } =
    [
        // REES46 eCommerce (2019-Oct.csv): header row, ISO-like times "2019-10-01 00:00:00 UTC", event types already
        // view/cart/purchase. category_id is always present (category_code is empty in a third of the rows).
        new("rees46", "rees46_ecommerce_sample/2019-Oct.csv", new MappingSpec
        {
            Maps =
            [
                new("type", "event_type"), new("time", "event_time"), new("item", "product_id"), new("user", "user_id"),
                new("category", "category_id"), new("session", "user_session"),
            ],
            Numbers = ["price"],
        }),

        // YOOCHOOSE RecSys 2015 clicks: TAB-separated, float Unix seconds, sessions (no users), grouped by session and
        // not in global time order, hence --sort.
        new("yoochoose", "yoochoose_rsc15_sample/yoochoose-clicks-100k_train_full.txt", new MappingSpec
        {
            Format = InputFormat.Tsv,
            Maps = [new("session", "SessionId"), new("item", "ItemId"), new("time", "Time")],
            Sets = [new("type", "click")],
            TimeUnit = TimeUnit.Seconds,
            Sort = true,
        }),

        // Taobao UserBehavior: no header, Unix seconds, behaviours pv/cart/fav/buy (renamed to the sample features' names).
        // The original file (100M rows) is grouped by user, not in time order, hence --sort (in runs on disk past
        // --sort-limit); time-ordered excerpts of it sort as they are.
        new("taobao", "taobao_userbehavior/UserBehavior.csv", new MappingSpec
        {
            Format = InputFormat.Csv,
            NoHeader = true,
            Columns = ["user", "item", "category", "type", "time"],
            TypeRenames = [new("pv", "view"), new("buy", "purchase")],
            TimeUnit = TimeUnit.Seconds,
            Sort = true,
        }),

        // MovieLens 100K ratings (u.data): TAB-separated, no header, Unix seconds, not sorted by time.
        new("movielens", "movielens_100k/u.data", new MappingSpec
        {
            Format = InputFormat.Tsv,
            NoHeader = true,
            Columns = ["user", "item", "rating", "time"],
            Sets = [new("type", "rating")],
            Numbers = ["rating"],
            TimeUnit = TimeUnit.Seconds,
            Sort = true,
        }),

        // DIGINETICA item views: ';'-separated, a date plus milliseconds since the session started, user "NA" when
        // anonymous, grouped by session and not in time order.
        new("diginetica", "diginetica_sample/sample_train-item-views.csv", new MappingSpec
        {
            Format = InputFormat.Csv,
            Delimiter = ';',
            Maps = [new("session", "session_id"), new("user", "user_id"), new("item", "item_id"), new("time", "eventdate")],
            TimeOffset = "timeframe",
            Nulls = ["NA"],
            Sets = [new("type", "view")],
            Sort = true,
        }),
    ];

    public static MappingPreset? Find(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));

    public static string Names => string.Join(", ", All.Select(p => p.Name));

    /// <summary>The presets as help text: the name, the file it is for, and the options it stands for.</summary>
    public static string Help() => string.Join("\n", All.Select(p => $"  {p.Name,-11} {p.Spec.Describe()}\n  {"",-11} (for {p.File})"));
}
