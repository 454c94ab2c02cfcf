namespace Freshet.Redis.Tests.Infrastructure;

/// <summary>One standalone redis-server (AOF with appendfsync always) shared by a test class; each test uses its own key prefix.</summary>
public sealed class StandaloneRedisFixture : IDisposable
{
    public LocalRedis Redis { get; } = LocalRedis.Standalone(appendFsync: "always");

    public void Dispose() => Redis.Dispose();
}

/// <summary>A 3-master Redis Cluster shared by the tests of the "redis cluster" collection; each test uses its own key prefix.</summary>
public sealed class RedisClusterFixture : IDisposable
{
    public LocalRedis Redis { get; } = LocalRedis.Cluster(3);

    public void Dispose() => Redis.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis cluster";
}
