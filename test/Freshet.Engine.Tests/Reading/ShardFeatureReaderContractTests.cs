using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;
using Freshet.Testing.Reading;

namespace Freshet.Engine.Tests.Reading;

/// <summary>The embedded reader (the engine's shards) passes the reader contract, with keys spread over three shards.</summary>
public sealed class ShardFeatureReaderContractTests : FeatureReaderContract
{
    private FreshetEngine? _engine;

    protected override Task<IFeatureReader> StartAsync(FeatureSet features, IReadOnlyList<ReaderEvent> events)
    {
        _engine = FreshetEngine.Create(features, new EngineOptions
        {
            ShardCount = 3,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(ReaderStream.EndMs)),
        });
        var batch = new EventBatch();
        foreach (var chunk in events.Chunk(500))
        {
            batch.Clear();
            ReaderEvent.Fill(batch, _engine.Strings, chunk);
            var result = _engine.Ingest(batch);
            Assert.True(result.Accepted == chunk.Length, $"{result.RejectedCount} of {chunk.Length} events were rejected: {string.Join("; ", result.Rejected.Take(3))}");
        }

        Assert.True(_engine.Flush(TimeSpan.FromSeconds(30)), "the shards did not apply the stream within 30 s");
        return Task.FromResult(_engine.Reader);
    }

    protected override async Task StopAsync()
    {
        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }
}
