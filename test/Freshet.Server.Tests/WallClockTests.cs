using Freshet.Engine;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests;

public sealed class WallClockTests
{
    private const string WallYaml = """
        settings: { clock: wall, allowed_lateness: 1m, max_future: 1m }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [5m] }
        """;

    [Fact]
    public async Task WallClockServer_TicksTheEngine_SoShardsAdvanceWithoutEvents()
    {
        await using var server = await StartAsync(yaml: WallYaml, engineOptions: new EngineOptions { ShardCount = 2 });
        long before = server.Engine.GetStats().Batches;

        // The ticker dispatches a clock-only batch every second; two of them prove it runs.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (server.Engine.GetStats().Batches < before + 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "expected the wall-clock ticker to advance the engine at least twice within 15 s");
            await Task.Delay(100);
        }

        Assert.Equal("wall", (await server.GetJsonAsync("v1/features")).GetProperty("clock").GetString());
    }
}
