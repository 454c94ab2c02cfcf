using System.Globalization;

namespace Freshet.Aggregation;

/// <summary>What kind of value a feature produced.</summary>
public enum FeatureValueKind : byte
{
    /// <summary>No data in the window for an aggregation without an identity (mean, min, max, last…).</summary>
    Missing,
    Number,
    /// <summary>A list: last-k values or top-k items with counts.</summary>
    Items,
}

/// <summary>One entry of a list-valued feature: a last-k value with its time, or a top-k item with count and error bound.</summary>
public readonly record struct ItemValue(string? Item, double Value, double Error = 0, long TimeMs = 0);

/// <summary>A served feature value.</summary>
public readonly record struct FeatureValue(FeatureValueKind Kind, double Number, ItemValue[]? Items)
{
    public static readonly FeatureValue Missing = new(FeatureValueKind.Missing, double.NaN, null);

    public static FeatureValue Of(double number) => new(FeatureValueKind.Number, number, null);

    public static FeatureValue Of(ItemValue[] items) => new(FeatureValueKind.Items, double.NaN, items);

    public bool IsMissing => Kind == FeatureValueKind.Missing;

    public override string ToString() => Kind switch
    {
        FeatureValueKind.Number => Number.ToString("G6", CultureInfo.InvariantCulture),
        FeatureValueKind.Items => "[" + string.Join(", ", Items!.Select(i => i.Item is null
            ? i.Value.ToString("G6", CultureInfo.InvariantCulture)
            : $"{i.Item}:{i.Value.ToString("G6", CultureInfo.InvariantCulture)}")) + "]",
        _ => "-",
    };
}
