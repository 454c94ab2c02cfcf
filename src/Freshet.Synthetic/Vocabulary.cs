namespace Freshet.Synthetic;

/// <summary>
/// The words of the synthetic shop: departments (each category belongs to one, named like <c>shoes-07</c>), search
/// queries per department, devices, and the event and field names the generated events use.
/// </summary>
public static class Vocabulary
{
    /// <summary>Event types, as the sample feature definitions consume them.</summary>
    public const string View = "view";
    public const string Click = "click";
    public const string Cart = "cart";
    public const string Purchase = "purchase";
    public const string Search = "search";

    /// <summary>
    /// Field names: every event has user and device; views, clicks, carts and purchases also item and category;
    /// carts and purchases price; searches query.
    /// </summary>
    public const string UserField = "user";
    public const string ItemField = "item";
    public const string CategoryField = "category";
    public const string DeviceField = "device";
    public const string PriceField = "price";
    public const string QueryField = "query";

    /// <summary>Devices, in the order of <see cref="DeviceShares"/>.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["ios", "android", "web"];

    /// <summary>
    /// How often each device is a user's usual one. An array, not a span over constant data: unoptimized (Debug)
    /// code builds such a span through a reflection stub on every call, which would allocate per session.
    /// </summary>
    internal static readonly double[] DeviceShares = [0.40, 0.35, 0.25];

    /// <summary>Queries per department: department d owns queries [d·n, (d+1)·n).</summary>
    internal const int QueriesPerDepartment = 4;

    internal static readonly (string Name, string[] Queries)[] Departments =
    [
        ("shoes", ["running shoes", "sneakers", "boots", "sandals"]),
        ("electronics", ["wireless earbuds", "usb-c charger", "bluetooth speaker", "4k monitor"]),
        ("books", ["mystery novels", "cookbook", "sci-fi", "biography"]),
        ("home", ["desk lamp", "throw pillows", "bath towels", "wall clock"]),
        ("kitchen", ["coffee grinder", "chef knife", "air fryer", "cast iron pan"]),
        ("toys", ["lego", "puzzle", "board games", "plush"]),
        ("beauty", ["sunscreen", "face serum", "lip balm", "shampoo"]),
        ("sports", ["yoga mat", "dumbbells", "tennis racket", "bike helmet"]),
        ("garden", ["seeds", "garden hose", "planters", "pruning shears"]),
        ("fashion", ["summer dress", "denim jacket", "wool scarf", "t-shirt"]),
        ("outdoor", ["tent", "sleeping bag", "hiking backpack", "headlamp"]),
        ("pets", ["dog food", "cat litter", "chew toys", "aquarium"]),
        ("office", ["notebook", "gel pens", "office chair", "stapler"]),
        ("baby", ["diapers", "stroller", "baby monitor", "onesies"]),
        ("grocery", ["olive oil", "green tea", "protein bars", "oat milk"]),
        ("music", ["guitar strings", "headphones", "vinyl", "ukulele"]),
        ("games", ["controller", "gaming mouse", "console", "rpg"]),
        ("jewelry", ["silver ring", "earrings", "watch", "necklace"]),
        ("auto", ["phone mount", "dash cam", "car vacuum", "wiper blades"]),
        ("tools", ["drill", "screwdriver set", "tape measure", "work gloves"]),
        ("health", ["vitamins", "thermometer", "first aid kit", "massage gun"]),
        ("bags", ["laptop bag", "suitcase", "tote", "wallet"]),
        ("crafts", ["yarn", "watercolors", "sewing kit", "glue gun"]),
        ("lighting", ["led strip", "smart bulb", "floor lamp", "string lights"]),
        ("furniture", ["bookshelf", "sofa", "bed frame", "side table"]),
    ];
}
