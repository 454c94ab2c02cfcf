namespace Freshet.Redis.Tests.Infrastructure;

[Collection(RedisClusterCollection.Name)]
public sealed class LocalRedisTests(RedisClusterFixture cluster) : IClassFixture<StandaloneRedisFixture>
{
    [Fact]
    public void Cluster_HasThreeMastersCoveringEverySlot()
    {
        string info = cluster.Redis.Cli(0, "cluster", "info");
        Assert.Contains("cluster_state:ok", info, StringComparison.Ordinal);
        Assert.Contains("cluster_size:3", info, StringComparison.Ordinal);
        Assert.Contains("cluster_slots_assigned:16384", info, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_RedirectsAcrossNodes()
    {
        cluster.Redis.Cli(0, "set", "local-redis-test:{a}", "1");
        cluster.Redis.Cli(1, "set", "local-redis-test:{b}", "2");
        Assert.Contains("1", cluster.Redis.Cli(2, "get", "local-redis-test:{a}"), StringComparison.Ordinal);
    }
}
