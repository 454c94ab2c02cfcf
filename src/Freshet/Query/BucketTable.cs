using Freshet.Aggregation;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary>A label → value table of buckets or slots, drawn the same way by <c>series</c> and <c>profile</c>.</summary>
internal static class BucketTable
{
    /// <summary>Cells of the longest bar on a terminal.</summary>
    public const int BarWidth = 30;

    private const int MaxItems = 3;

    /// <summary>A label → value table; on a terminal each number gets a bar scaled to the largest.</summary>
    public static void Write(QueryView view, string labelHeader, IReadOnlyList<(string Label, FeatureValue Value)> rows)
    {
        double max = rows.Select(r => r.Value).Where(v => v.Kind == FeatureValueKind.Number && double.IsFinite(v.Number))
            .Select(v => v.Number).DefaultIfEmpty(0).Max();
        var table = view.Table();
        table.AddColumn(view.Column(labelHeader));
        table.AddColumn(view.Column("value", right: true));
        if (view.Live)
        {
            table.AddColumn(view.Column(""));
        }

        foreach (var (label, value) in rows)
        {
            string cell = QueryFormat.Value(value, view, MaxItems);
            if (view.Live)
            {
                string bar = value.Kind == FeatureValueKind.Number ? QueryFormat.Bar(value.Number, max, BarWidth, view.Unicode) : "";
                table.AddRow(Markup.Escape(label), cell, $"[green]{bar}[/]");
            }
            else
            {
                table.AddRow(Markup.Escape(label), cell);
            }
        }

        view.Write(table);
    }
}
