using Freshet.Engine;
using Freshet.Features;
using Freshet.Options;

namespace Freshet.Server.Tests.Hosting;

/// <summary>Each bad server option is named with its value and what is allowed, all of them at once, before anything listens.</summary>
public sealed class ServerOptionsValidatorTests
{
    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("https://example.com:8443")]
    [InlineData("http://*:7700")]
    [InlineData("http://+:7700")]
    [InlineData("http://[::1]:7700")]
    public void Validate_DefaultsWithAnyListenAddress_HaveNoProblem(string url) =>
        Assert.Empty(ServerOptionsValidator.Validate(new ServerOptions { Url = url }));

    public static TheoryData<ServerOptions, string> BadOptions => new()
    {
        { new ServerOptions { Url = "127.0.0.1:7700" }, "Url is '127.0.0.1:7700'; allowed: an http:// or https:// address like http://127.0.0.1:7700" },
        { new ServerOptions { Url = "http://" }, "Url is 'http://'; allowed: an http:// or https:// address like http://127.0.0.1:7700" },
        { new ServerOptions { MaxBodyBytes = 0 }, "MaxBodyBytes is 0; allowed: at least 1 byte" },
        { new ServerOptions { MaxConcurrentIngests = 0 }, "MaxConcurrentIngests is 0; allowed: at least 1" },
        { new ServerOptions { MaxBufferedBodyBytes = -1 }, "MaxBufferedBodyBytes is -1; allowed: 0 or more bytes (raised to what one body of MaxBodyBytes needs)" },
        { new ServerOptions { BodyMinBytesPerSecond = double.NaN }, "BodyMinBytesPerSecond is NaN; allowed: 0 (no minimum) or a finite number of bytes a second" },
        { new ServerOptions { BodyGracePeriod = TimeSpan.FromSeconds(1) }, "BodyGracePeriod is 00:00:01; allowed: more than 1 second while BodyMinBytesPerSecond is set (Kestrel refuses less)" },
        { new ServerOptions { BodyReadTimeout = TimeSpan.Zero }, "BodyReadTimeout is 00:00:00; allowed: more than 0" },
        { new ServerOptions { RequestHeadersTimeout = TimeSpan.FromSeconds(-1) }, "RequestHeadersTimeout is -00:00:01; allowed: more than 0" },
        { new ServerOptions { AllowedHosts = ["localhost", ""] }, "AllowedHosts is 'localhost,'; allowed: host names (none: chosen from Url)" },
        { new ServerOptions { Models = null! }, "Models is null; allowed: a model set (ModelSet.Empty for none)" },
        { new ServerOptions { ModelSaveInterval = TimeSpan.FromSeconds(-1) }, "ModelSaveInterval is -00:00:01; allowed: 0 or more" },
        { new ServerOptions { MaxScoreCandidates = 0 }, "MaxScoreCandidates is 0; allowed: at least 1" },
        { new ServerOptions { MaxBatchKeys = -3 }, "MaxBatchKeys is -3; allowed: at least 1" },
        { new ServerOptions { VisibleTimeout = TimeSpan.FromMilliseconds(-1) }, "VisibleTimeout is -00:00:00.0010000; allowed: 0 or more" },
        { new ServerOptions { RetryAfterSeconds = -1 }, "RetryAfterSeconds is -1; allowed: 0 or more seconds" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadOption_NamesItsValueAndWhatIsAllowed(ServerOptions options, string expected)
    {
        var problem = Assert.Single(ServerOptionsValidator.Validate(options));

        Assert.Equal(expected, problem.ToString());
    }

    [Fact]
    public void Validate_GracePeriodWithoutAMinimumRate_IsNotAProblem() =>
        Assert.Empty(ServerOptionsValidator.Validate(new ServerOptions { BodyMinBytesPerSecond = 0, BodyGracePeriod = TimeSpan.Zero }));

    [Fact]
    public async Task StartAsync_SeveralBadOptions_ThrowsOnceNamingEveryOneBeforeListening()
    {
        await using var engine = FreshetEngine.Create(new FeatureSet("empty", null, new CatalogSettings(), [], []));
        var options = new ServerOptions { Url = "http://127.0.0.1:0", MaxBatchKeys = 0, RetryAfterSeconds = -1 };

        var e = await Assert.ThrowsAsync<InvalidOptionsException>(() => FreshetServer.StartAsync(engine, options));

        Assert.Equal("invalid ServerOptions: MaxBatchKeys is 0; allowed: at least 1; RetryAfterSeconds is -1; allowed: 0 or more seconds", e.Message);
    }
}
