using System.Runtime.CompilerServices;

namespace Freshet.Synthetic;

/// <summary>
/// One column of an alias table: keep <see cref="Value"/> with probability <see cref="Threshold"/>, else take
/// <see cref="Alias"/>. Values are stored (not column numbers) so that a draw costs one memory read even when the
/// table is a slice of a bigger one, like the per-category tables over item numbers.
/// </summary>
internal readonly record struct AliasEntry(float Threshold, int Value, int Alias);

/// <summary>
/// Walker's alias method (Vose's construction): after O(n) set-up, a draw from any discrete distribution costs one
/// random number and one read, whatever its shape.
/// </summary>
internal static class AliasTable
{
    /// <summary>
    /// Fills <paramref name="table"/> (as long as <paramref name="weights"/>) so that <see cref="Sample"/> returns
    /// values[i] (or i, when <paramref name="values"/> is empty) with probability weights[i] / sum(weights).
    /// </summary>
    public static void Build(ReadOnlySpan<double> weights, ReadOnlySpan<int> values, Span<AliasEntry> table)
    {
        int n = weights.Length;
        double sum = 0;
        foreach (double w in weights)
        {
            sum += w;
        }

        if (n == 0 || sum <= 0)
        {
            throw new ArgumentException("An alias table needs at least one positive weight.", nameof(weights));
        }

        // Scaled probabilities average exactly 1; columns below 1 are topped up from columns above it.
        var scaled = new double[n];
        var alias = new int[n];
        var small = new int[n];
        var large = new int[n];
        int smallCount = 0, largeCount = 0;
        for (int i = 0; i < n; i++)
        {
            scaled[i] = weights[i] * n / sum;
            alias[i] = i;
            if (scaled[i] < 1)
            {
                small[smallCount++] = i;
            }
            else
            {
                large[largeCount++] = i;
            }
        }

        while (smallCount > 0 && largeCount > 0)
        {
            int less = small[--smallCount];
            int more = large[--largeCount];
            alias[less] = more;
            scaled[more] -= 1 - scaled[less];
            if (scaled[more] < 1)
            {
                small[smallCount++] = more;
            }
            else
            {
                large[largeCount++] = more;
            }
        }

        // What is left is 1 up to rounding error: always keep it.
        while (largeCount > 0)
        {
            scaled[large[--largeCount]] = 1;
        }

        while (smallCount > 0)
        {
            scaled[small[--smallCount]] = 1;
        }

        for (int i = 0; i < n; i++)
        {
            table[i] = values.IsEmpty
                ? new AliasEntry((float)scaled[i], i, alias[i])
                : new AliasEntry((float)scaled[i], values[i], values[alias[i]]);
        }
    }

    /// <summary>One draw; the integer part of one uniform picks the column and its fraction the coin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sample(ReadOnlySpan<AliasEntry> table, ref RandomSource random)
    {
        double u = random.NextDouble() * table.Length;
        int column = (int)u;
        ref readonly var entry = ref table[column];
        return u - column < entry.Threshold ? entry.Value : entry.Alias;
    }
}
