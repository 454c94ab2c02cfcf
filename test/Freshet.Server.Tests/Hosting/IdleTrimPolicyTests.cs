using Freshet.Server.Hosting;

namespace Freshet.Server.Tests.Hosting;

public sealed class IdleTrimPolicyTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void ShouldTrim_QuietAfterABurst_TrimsOnceThenWaitsForTheNextBurst()
    {
        var policy = new IdleTrimPolicy();
        long allocated = 0;
        Assert.False(policy.ShouldTrim(allocated));
        Assert.False(policy.ShouldTrim(allocated += 300 * MiB)); // The burst.
        Assert.False(policy.ShouldTrim(allocated += MiB)); // Quiet once: maybe a pause between two bursts.

        Assert.True(policy.ShouldTrim(allocated += MiB)); // Quiet twice: trim.
        policy.Trimmed(allocated);

        Assert.False(policy.ShouldTrim(allocated += MiB));
        Assert.False(policy.ShouldTrim(allocated += MiB));
        Assert.False(policy.ShouldTrim(allocated));
    }

    [Fact]
    public void ShouldTrim_Busy_NeverTrims()
    {
        var policy = new IdleTrimPolicy();
        long allocated = 0;
        for (int i = 0; i < 100; i++)
        {
            Assert.False(policy.ShouldTrim(allocated += 50 * MiB));
        }
    }

    [Fact]
    public void ShouldTrim_QuietWithoutABurst_DoesNotTrim()
    {
        var policy = new IdleTrimPolicy();
        long allocated = 0;
        for (int i = 0; i < 100; i++)
        {
            Assert.False(policy.ShouldTrim(allocated += 2 * MiB));
        }
    }
}
