using Freshet.Server.Hosting;
using Freshet.Server.Ingest;

namespace Freshet.Server.Tests.Hosting;

public sealed class IdleReleasePolicyTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Observe_BusySpellThenTwoQuietTicks_ReleasesOnceAndNotAgainUntilTheNextSpell()
    {
        var policy = new IdleReleasePolicy(0);
        long total = 0;
        bool Tick(long allocated) => policy.Observe(total += allocated);

        Assert.False(Tick(300 * MiB)); // Busy.
        Assert.False(Tick(1 * MiB));   // One quiet tick: the burst may not be over.
        Assert.True(Tick(1 * MiB));    // Two: release.
        Assert.False(Tick(0));         // Still idle, nothing new to give back.
        Assert.False(Tick(0));

        Assert.False(Tick(200 * MiB)); // A smaller spell, and another: 256 MiB in all since the release.
        Assert.False(Tick(100 * MiB));
        Assert.False(Tick(0));
        Assert.True(Tick(0));
    }

    [Fact]
    public void Observe_SteadySmallAllocations_NeverRelease()
    {
        // A server under light, steady load: each tick allocates a little more than "idle", so a blocking collection would
        // land on live requests; it never releases, however much it allocates in all.
        var policy = new IdleReleasePolicy(0);
        long total = 0;
        for (int i = 0; i < 1_000; i++)
        {
            Assert.False(policy.Observe(total += IdleReleasePolicy.IdleBytes));
        }
    }

    [Fact]
    public void Observe_QuietWithoutABusySpell_DoesNotRelease()
    {
        var policy = new IdleReleasePolicy(0);
        long total = 0;
        for (int i = 0; i < 100; i++)
        {
            Assert.False(policy.Observe(total += 1 * MiB));
        }
    }

    [Fact]
    public void BodyBuffers_ALargeBodyBuffer_IsNotKeptByThePool()
    {
        // A multi-megabyte body's buffer goes back to the GC, not into a pool that would hold it for good.
        var large = BodyBuffers.Pool.Rent(BodyBuffers.MaxPooledBytes * 4);
        BodyBuffers.Pool.Return(large);
        var again = BodyBuffers.Pool.Rent(BodyBuffers.MaxPooledBytes * 4);
        Assert.NotSame(large, again);
        BodyBuffers.Pool.Return(again);
    }
}
