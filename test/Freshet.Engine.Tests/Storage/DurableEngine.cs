using System.Globalization;
using System.Text;
using Freshet.Aggregation;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Storage;

/// <summary>Helpers for the durability tests: a temporary data directory, the oracle stream, and a full dump of an engine's answers.</summary>
internal static class DurableEngine
{
    public static readonly FeatureSet Definitions = OracleStream.Definitions();
    public static readonly long Wall = OracleStream.Start + (13 * Duration.Day);

    public static string NewDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "freshet-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public static EngineOptions Options(string? directory, int shards = 2, StorageOptions? storage = null) => new()
    {
        ShardCount = shards,
        Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Wall)),
        Storage = directory is null ? null : (storage ?? new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero }) with { Directory = directory },
    };

    public static FreshetEngine Open(string? directory, int shards = 2, StorageOptions? storage = null) =>
        FreshetEngine.Create(Definitions, Options(directory, shards, storage));

    /// <summary>Ingests the events in batches of varying size (seeded), waiting until each batch is durable.</summary>
    public static async Task<List<int>> IngestAsync(FreshetEngine engine, IReadOnlyList<RawEvent> events, int seed, bool withIds = true)
    {
        var sizes = new List<int>();
        var random = new Random(seed);
        var batch = new EventBatch();
        for (int position = 0; position < events.Count;)
        {
            int size = Math.Min(events.Count - position, 1 + random.Next(300));
            batch.Clear();
            Fill(batch, engine.Strings, events.Skip(position).Take(size), withIds);
            var result = engine.Ingest(batch, position);
            await engine.WaitDurableAsync(result);
            sizes.Add(result.Accepted);
            position += size;
        }

        Assert.True(engine.Flush(TimeSpan.FromSeconds(60)), "the shards did not apply the stream within 60 s");
        return sizes;
    }

    /// <summary>The answers of an in-memory engine fed the same events.</summary>
    public static async Task<string> ReferenceAsync(IReadOnlyList<RawEvent> events)
    {
        await using var engine = Open(directory: null);
        await IngestAsync(engine, events, seed: 99);
        return Dump(engine);
    }

    /// <summary>The log segments of a data directory, oldest first.</summary>
    public static string[] Segments(string directory) => [.. Directory.GetFiles(Path.Combine(directory, "log"), "*.log").Order(StringComparer.Ordinal)];

    /// <summary>Flips one bit of a file at <paramref name="position"/> (negative: from the end).</summary>
    public static void FlipBit(string path, long position)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position >= 0 ? position : file.Length + position;
        int b = file.ReadByte();
        file.Position -= 1;
        file.WriteByte((byte)(b ^ 0x10));
    }

    /// <summary>Writes the oracle's events into a batch as OracleStream.Fill does, with ids ("e{index}", hashed as the JSON parser does) when asked.</summary>
    public static void Fill(EventBatch batch, StringInterner strings, IEnumerable<RawEvent> events, bool withIds)
    {
        int item = strings.GetOrAdd("item"), user = strings.GetOrAdd("user"), category = strings.GetOrAdd("category"), price = strings.GetOrAdd("price");
        foreach (var e in events)
        {
            ulong id = withIds ? Math.Max(1UL, Freshet.Hashing.XxHash64.Hash(Encoding.UTF8.GetBytes($"e{e.Index}"))) : 0;
            batch.BeginEvent(strings.GetOrAdd(e.Type), e.TimeMs, id);
            batch.AddString(item, strings.GetOrAdd(e.Item));
            batch.AddString(user, strings.GetOrAdd(e.User));
            batch.AddString(category, strings.GetOrAdd(e.Category));
            if (e.Price is { } p)
            {
                if (e.PriceAsText)
                {
                    batch.AddString(price, strings.GetOrAdd(p.ToString(CultureInfo.InvariantCulture)));
                }
                else
                {
                    batch.AddNumber(price, p);
                }
            }

            batch.EndEvent();
        }
    }

    /// <summary>Every answer the oracle's features give now: vectors of all items, user×category keys and the site, and hourly series.</summary>
    public static string Dump(FreshetEngine engine)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"now {engine.NowMs}\n");
        var keys = Enumerable.Range(0, 50).Select(i => ("item", new[] { $"i{i}" }))
            .Concat(Enumerable.Range(0, 30).SelectMany(u => Enumerable.Range(0, 5).Select(c => ("user_category", new[] { $"u{u}", $"c{c}" }))))
            .Append(("site", Array.Empty<string>()));
        foreach (var (entity, key) in keys)
        {
            var vector = engine.Reader.ReadVector(entity, key).ValueOrThrow();
            text.Append(CultureInfo.InvariantCulture, $"{entity} {string.Join('|', key)} known={vector.KnownKey}\n");
            foreach (var r in vector.Readings)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {r.Feature} {r.Window} [{r.FromMs},{r.ToMs}) {Format(r.Value)}\n");
            }
        }

        foreach (string item in new[] { "i0", "i1", "i7" })
        {
            var series = engine.Reader.ReadSeries("item_views", [item], Duration.Hour, engine.NowMs - Duration.Day).ValueOrThrow();
            text.Append(CultureInfo.InvariantCulture, $"series {item}: {string.Join(' ', series.Points.Select(p => $"{p.StartMs}={Format(p.Value)}"))}\n");
        }

        return text.ToString();
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from))
        {
            if (Path.GetFileName(file) == "LOCK")
            {
                File.WriteAllBytes(Path.Combine(to, "LOCK"), []); // The file stays after a kill; its lock goes with the process.
                continue;
            }

            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    private static string Format(FeatureValue value) => value.Kind switch
    {
        FeatureValueKind.Number => value.Number.ToString("R", CultureInfo.InvariantCulture),
        FeatureValueKind.Items => "[" + string.Join(",", value.Items!.Select(i => $"{i.Item}:{i.Value.ToString("R", CultureInfo.InvariantCulture)}:{i.Error.ToString("R", CultureInfo.InvariantCulture)}@{i.TimeMs}")) + "]",
        _ => "-",
    };
}
