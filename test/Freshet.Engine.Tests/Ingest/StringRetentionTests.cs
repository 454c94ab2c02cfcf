using Freshet.Seams;
using System.Text;
using Freshet.Reading;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Storage;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

/// <summary>
/// Which strings become permanent (the interner, ids.journal): only the values state holds, of accepted events. Every
/// other string stays with its batch and the log, which must still hold every field whole.
/// </summary>
public sealed class StringRetentionTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    private const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 5m
          max_future: 5m
        entities:
          item: item
        features:
          item_views:
            entity: item
            events: [view]
            aggregation: count
            windows: [1h]
          mobile_views:
            entity: item
            events: [view]
            filter: {device: mobile}
            aggregation: count
            windows: [1h]
        """;

    private static FreshetEngine Open(string? directory) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
            Storage = directory is null ? null : new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero },
        });

    private static async Task<IngestResult> IngestAsync(FreshetEngine engine, string ndjson)
    {
        var batch = new EventBatch();
        var errors = new List<EventError>();
        new EventJsonParser(engine.Strings).Parse(Encoding.UTF8.GetBytes(ndjson), batch, errors);
        var result = engine.Ingest(batch);
        await engine.WaitDurableAsync(result);
        return result;
    }

    private static string Events(int count, Func<int, string> line) => string.Join('\n', Enumerable.Range(0, count).Select(line));

    private static double Count(FreshetEngine engine, string item, string feature) =>
        engine.Reader.ReadVector("item", [item], new VectorQuery { Features = [feature] }).ValueOrThrow().Find(feature, "1h")!.Value.Number;

    [Fact]
    public async Task Ingest_UniqueValuesOfAnUnusedField_StayOutOfTheInternerButWholeInTheLog()
    {
        string directory = DurableEngine.NewDirectory();
        try
        {
            int before;
            await using (var engine = Open(directory))
            {
                before = engine.Strings.Count;
                var result = await IngestAsync(engine, Events(1000, i => $$"""{"type": "view", "time": {{T0 + i}}, "item": "i{{i % 10}}", "note": "unique-{{i}}"}"""));
                Assert.Equal(1000, result.Accepted);
                Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));

                // The ten items (entity keys) are state; the thousand notes and the name "note" are not.
                Assert.Equal(before + 10, engine.Strings.Count);
                Assert.Equal(100, Count(engine, "i3", "item_views"));
                Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"unique-{i}"), Notes(engine));
            }

            await using (var reopened = Open(directory))
            {
                Assert.Equal(before + 10, reopened.Strings.Count);
                Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"unique-{i}"), Notes(reopened));
                Assert.Equal(100, Count(reopened, "i3", "item_views"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Ingest_RejectedEvents_InternNoString()
    {
        await using var engine = Open(directory: null);
        await IngestAsync(engine, """{"type": "view", "time": 1763719200000, "item": "first"}""");
        int before = engine.Strings.Count;

        // Rejected by the parser (no time) and by the engine (late, future): none of their strings is state.
        var result = await IngestAsync(engine, Events(300, i => (i % 3) switch
        {
            0 => $$"""{"type": "view-{{i}}", "item": "no-time-{{i}}", "extra-{{i}}": "x{{i}}"}""",
            1 => $$"""{"type": "view", "time": {{T0 - Duration.Hour}}, "item": "late-{{i}}"}""",
            _ => $$"""{"type": "view", "time": {{T0 + (3 * Duration.Day)}}, "item": "future-{{i}}"}""",
        }));

        Assert.Equal(0, result.Accepted);
        Assert.Equal(200, result.Rejected.Count); // The parser's 100 are reported by the parser.
        Assert.Equal(before, engine.Strings.Count);
    }

    [Fact]
    public async Task Ingest_FilterOnAValueTheInternerHasNeverSeen_MatchesOnlyTheLiteral()
    {
        await using var engine = Open(directory: null);
        await IngestAsync(engine, Events(30, i => $$"""{"type": "view", "time": {{T0 + i}}, "item": "a", "device": "{{(i % 3 == 0 ? "mobile" : $"tablet-{i}")}}"}"""));
        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));

        Assert.Equal(30, Count(engine, "a", "item_views"));
        Assert.Equal(10, Count(engine, "a", "mobile_views"));
    }

    private static List<string> Notes(FreshetEngine engine)
    {
        var notes = new List<string>();
        engine.Log!.Read(0, LogPosition.Start, engine.Strings, (batch, _) =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                foreach (var field in batch.FieldsOf(i))
                {
                    if (batch.StringOf(field.NameId, engine.Strings) == "note")
                    {
                        notes.Add(batch.StringOf(field.StringId, engine.Strings));
                    }
                }
            }
        });
        return notes;
    }
}
