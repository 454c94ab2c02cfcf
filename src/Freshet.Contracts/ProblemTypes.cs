namespace Freshet.Contracts;

/// <summary>
/// The <c>type</c> of every RFC 7807 problem document the API returns: <see cref="Base"/> followed by a short stable
/// code. Clients switch on the code (see <see cref="CodeOf"/>); the title and detail are for people and may change.
/// </summary>
public static class ProblemTypes
{
    /// <summary>What every problem type URI starts with.</summary>
    public const string Base = "https://freshet.dev/problems/";

    // Ingest (POST /v1/events).
    public const string RejectedEvents = "rejected-events";
    public const string EmptyBody = "empty-body";
    public const string BodyTooLarge = "body-too-large";
    public const string BodyTimeout = "body-timeout";
    public const string BadGzip = "bad-gzip";
    public const string BadFraming = "bad-framing";
    public const string UnsupportedEncoding = "unsupported-encoding";
    public const string NotYetVisible = "not-yet-visible";
    public const string NotYetLearned = "not-yet-learned";
    public const string StorageFailed = "storage-failed";
    public const string Overloaded = "overloaded";

    // Reads (vectors, series, profiles, top-k, the catalog).
    public const string UnknownEntity = "unknown-entity";
    public const string UnknownFeature = "unknown-feature";
    public const string BadKey = "bad-key";
    public const string BadWindow = "bad-window";
    public const string BadRange = "bad-range";
    public const string BadParameter = "bad-parameter";
    public const string BadQuery = "bad-query";
    public const string OutOfRange = "out-of-range";
    public const string NotSupported = "not-supported";

    // Models (/v1/models, /v1/score, /v1/recommend, /v1/similar).
    public const string UnknownModel = "unknown-model";
    public const string UnknownItem = "unknown-item";
    public const string LearnersBehind = "learners-behind";

    // Any request.
    public const string MalformedJson = "malformed-json";
    public const string HostNotAllowed = "host-not-allowed";
    public const string UnsupportedMediaType = "unsupported-media-type";

    /// <summary>The type URI of a code: <c>https://freshet.dev/problems/unknown-feature</c>.</summary>
    public static string Uri(string code) => Base + code;

    /// <summary>
    /// The code a problem's type URI ends in, or null for a type that is not Freshet's (a framework's own problems
    /// point at the HTTP specification, where a code would say nothing).
    /// </summary>
    public static string? CodeOf(string? type) =>
        type is not null && type.StartsWith(Base, StringComparison.Ordinal) ? type[Base.Length..] : null;
}
