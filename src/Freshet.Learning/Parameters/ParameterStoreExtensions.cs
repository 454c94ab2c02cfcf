namespace Freshet.Learning.Parameters;

/// <summary>Writes shared by every <see cref="IParameterStore"/>.</summary>
public static class ParameterStoreExtensions
{
    private const int KeysPerPush = 1_024;

    /// <summary>
    /// Pushes the rows of consecutive keys from <paramref name="firstKey"/>, <see cref="IParameterStore.Width"/> floats
    /// each, a thousand keys a push (loading a checkpoint).
    /// </summary>
    public static void PushRun(this IParameterStore store, int firstKey, ReadOnlySpan<float> rows)
    {
        int width = store.Width, count = rows.Length / width;
        Span<int> keys = stackalloc int[Math.Min(count, KeysPerPush)];
        for (int done = 0; done < count; done += keys.Length)
        {
            int n = Math.Min(keys.Length, count - done);
            for (int i = 0; i < n; i++)
            {
                keys[i] = firstKey + done + i;
            }

            store.Push(keys[..n], rows.Slice(done * width, n * width));
        }
    }
}
