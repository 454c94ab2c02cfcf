using Freshet.Options;

namespace Freshet.Server;

/// <summary>
/// Every way a <see cref="ServerOptions"/> cannot be used, each with the option, its value and what is allowed. The
/// server checks its options here, once, before it builds anything.
/// </summary>
public static class ServerOptionsValidator
{
    /// <summary>The shortest <see cref="ServerOptions.BodyGracePeriod"/> Kestrel takes for a minimum data rate.</summary>
    private static readonly TimeSpan MinGracePeriod = TimeSpan.FromSeconds(1);

    public static IReadOnlyList<OptionProblem> Validate(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new OptionProblems();
        problems.Check(IsHttpAddress(options.Url), nameof(options.Url), options.Url, $"an http:// or https:// address like {ServerOptions.DefaultUrl}");
        problems.Check(options.MaxBodyBytes >= 1, nameof(options.MaxBodyBytes), options.MaxBodyBytes, "at least 1 byte");
        problems.Check(options.MaxConcurrentIngests >= 1, nameof(options.MaxConcurrentIngests), options.MaxConcurrentIngests, "at least 1");
        problems.Check(options.MaxBufferedBodyBytes >= 0, nameof(options.MaxBufferedBodyBytes), options.MaxBufferedBodyBytes,
            "0 or more bytes (raised to what one body of MaxBodyBytes needs)");
        problems.Check(double.IsFinite(options.BodyMinBytesPerSecond) && options.BodyMinBytesPerSecond >= 0, nameof(options.BodyMinBytesPerSecond),
            options.BodyMinBytesPerSecond, "0 (no minimum) or a finite number of bytes a second");
        problems.Check(options.BodyMinBytesPerSecond <= 0 || options.BodyGracePeriod > MinGracePeriod, nameof(options.BodyGracePeriod), options.BodyGracePeriod,
            "more than 1 second while BodyMinBytesPerSecond is set (Kestrel refuses less)");
        problems.Check(options.BodyReadTimeout > TimeSpan.Zero, nameof(options.BodyReadTimeout), options.BodyReadTimeout, "more than 0");
        problems.Check(options.RequestHeadersTimeout > TimeSpan.Zero, nameof(options.RequestHeadersTimeout), options.RequestHeadersTimeout, "more than 0");
        problems.Check(options.AllowedHosts is not null && options.AllowedHosts.All(h => !string.IsNullOrWhiteSpace(h)), nameof(options.AllowedHosts),
            options.AllowedHosts is null ? null : string.Join(",", options.AllowedHosts), "host names (none: chosen from Url)");
        problems.Check(options.Models is not null, nameof(options.Models), options.Models, "a model set (ModelSet.Empty for none)");
        problems.Check(options.ModelSaveInterval >= TimeSpan.Zero, nameof(options.ModelSaveInterval), options.ModelSaveInterval, "0 or more");
        problems.Check(options.MaxScoreCandidates >= 1, nameof(options.MaxScoreCandidates), options.MaxScoreCandidates, "at least 1");
        problems.Check(options.MaxBatchKeys >= 1, nameof(options.MaxBatchKeys), options.MaxBatchKeys, "at least 1");
        problems.Check(options.VisibleTimeout >= TimeSpan.Zero, nameof(options.VisibleTimeout), options.VisibleTimeout, "0 or more");
        problems.Check(options.RetryAfterSeconds >= 0, nameof(options.RetryAfterSeconds), options.RetryAfterSeconds, "0 or more seconds");
        return problems.Problems;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> naming every problem, if there is one.</summary>
    public static void ThrowIfInvalid(ServerOptions options) => InvalidOptionsException.ThrowIfAny(nameof(ServerOptions), Validate(options));

    /// <summary>
    /// An address Kestrel can listen on: http:// or https:// and a host. Not <see cref="Uri"/>'s rules, which refuse
    /// the wildcard hosts Kestrel takes (<c>http://*:7700</c>, <c>http://+:7700</c>).
    /// </summary>
    private static bool IsHttpAddress(string? url)
    {
        string rest = url switch
        {
            not null when url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) => url["http://".Length..],
            not null when url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) => url["https://".Length..],
            _ => "",
        };
        return rest.Length > 0 && rest[0] is not ('/' or ':');
    }
}
