namespace Freshet.Redis.Tests;

public sealed class RedisKeysTests
{
    [Fact]
    public void PartitionKeys_ShareOneHashTag()
    {
        var keys = new RedisKeys();
        Assert.Equal("fr:{p03}:log", keys.Log(3));
        Assert.Equal("fr:{p03}:lease", keys.Lease(3));
        Assert.Equal("fr:{p03}:ckpt:12", keys.Checkpoint(3, "12"));
    }

    [Fact]
    public void TileKeys_AreTaggedByTheEntityKey()
    {
        var keys = new RedisKeys("x");
        Assert.Equal("x:t:{item|i9}", keys.Tiles("item", ["i9"]));
        Assert.Equal("x:t:{user_category|u1\u001fc3}", keys.Tiles("user_category", ["u1", "c3"]));
    }
}
