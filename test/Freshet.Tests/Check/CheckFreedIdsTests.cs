using System.Buffers.Binary;
using System.Text;
using Freshet.Cli.Tests.Replay;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Cli.Tests.Check;

/// <summary>
/// <c>freshet check</c> on a data directory whose id journal holds freed ids (kind 3 records, written after checkpoints
/// when keys' tiles expire): healthy when they are consistent, damaged (exit 4, naming ids.journal) when a record frees
/// an id that is not live, as the server then refuses to start.
/// </summary>
public sealed class CheckFreedIdsTests : IDisposable
{
    private const long T0 = 1_767_607_200_000; // 2026-01-05T10:00:00Z
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"freshet-check-freed-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private FreshetEngine Open() => FreshetEngine.Create(FeatureDefinitionLoader.Parse("""
        settings: { clock: event_time, allowed_lateness: 5m, max_future: 5m, tiles: [{ resolution: 1m, keep: 30m }] }
        entities: { user: user }
        features:
          user_views: { entity: user, events: [view], aggregation: count, windows: [1m] }
        """, "features.yaml"), new EngineOptions { Storage = new StorageOptions { Directory = _data, CheckpointInterval = TimeSpan.Zero } });

    /// <summary>A directory where 1,000 users' keys were freed (their one-minute tiles, kept 30 minutes, expired).</summary>
    private async Task FillAsync()
    {
        await using var engine = Open();
        async Task IngestAsync(IEnumerable<string> lines)
        {
            foreach (var chunk in lines.Chunk(100))
            {
                var batch = new EventBatch();
                new EventJsonParser(engine.Strings).Parse(Encoding.UTF8.GetBytes(string.Join('\n', chunk)), batch, []);
                await engine.WaitDurableAsync(engine.Ingest(batch));
            }

            Assert.True(engine.Flush(TimeSpan.FromSeconds(60)));
        }

        await IngestAsync(Enumerable.Range(0, 1000).Select(u => $$"""{"type": "view", "time": {{T0 + u}}, "user": "user-{{u}}"}"""));
        await engine.CheckpointAsync();
        await IngestAsync(Enumerable.Range(0, 3000).Select(i => $$"""{"type": "view", "time": {{T0 + 7_200_000 + i}}, "user": "ticker"}"""));
        await engine.CheckpointAsync();
        await IngestAsync([$$"""{"type": "view", "time": {{T0 + 7_300_000}}, "user": "ticker"}"""]);
        await engine.CheckpointAsync();
        Assert.True(engine.StringsFreed >= 1000, $"{engine.StringsFreed} ids freed");
    }

    /// <summary>The bytes of the journal's first freed-ids record (kind 3), header included.</summary>
    private static byte[] FirstFreedRecord(byte[] journal)
    {
        for (int position = 16; position + 9 <= journal.Length;)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(journal.AsSpan(position));
            if (journal[position + 8] == 3)
            {
                return journal.AsSpan(position, 8 + length).ToArray();
            }

            position += 8 + length;
        }

        throw new InvalidOperationException("the journal holds no freed-ids record");
    }

    [Fact]
    public async Task Check_JournalWithFreedIds_IsHealthyAndCountsThem()
    {
        await FillAsync();

        var (exitCode, output, error) = await ReplayFiles.RunAsync("check", _data);

        Assert.True(exitCode == 0, error + output);
        Assert.Contains("more freed", output, StringComparison.Ordinal);
        Assert.EndsWith("Healthy.\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FreedIdsRecordFreeingAnIdTwice_IsDamagedAndExits4LikeTheServerRefuses()
    {
        await FillAsync();
        string journal = Path.Combine(_data, "ids.journal");
        await File.AppendAllBytesAsync(journal, FirstFreedRecord(await File.ReadAllBytesAsync(journal)));

        var (exitCode, output, _) = await ReplayFiles.RunAsync("check", _data);

        Assert.Equal(4, exitCode);
        Assert.Contains("ids.journal", output, StringComparison.Ordinal);
        Assert.Contains("not live", output, StringComparison.Ordinal);
        var refusal = Assert.Throws<StorageException>(Open);
        Assert.Contains("not live", refusal.Message, StringComparison.Ordinal);
    }
}
