namespace Freshet.Engine.Tests;

/// <summary>A clock tests set by hand (Microsoft.Extensions.TimeProvider.Testing does not restore here).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
