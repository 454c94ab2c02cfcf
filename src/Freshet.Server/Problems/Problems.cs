using Freshet.Contracts;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Problems;

/// <summary>
/// RFC 7807 problem details for every error the API returns. Each kind has a stable <c>type</c> URI ending in a short
/// code (clients switch on it), a title, and a <c>detail</c> that names what was wrong and what is allowed.
/// </summary>
internal static class Problems
{
    public const string TypeBase = ProblemTypes.Base;

    public static IResult Of(int status, string code, string title, string detail, IEnumerable<KeyValuePair<string, object?>>? extensions = null) =>
        TypedResults.Problem(detail, instance: null, status, title, TypeBase + code, extensions);

    /// <summary>A read the feature reader could not answer, with the names it does know where that helps.</summary>
    public static IResult FromRead(ReadFailure failure, FeatureCatalog catalog, string? entity = null) => failure.Status switch
    {
        ReadStatus.UnknownEntity => Of(StatusCodes.Status404NotFound, "unknown-entity", "Unknown entity", failure.Problem,
            [new("known_entities", catalog.Entities.Select(x => x.Name).ToArray())]),
        ReadStatus.UnknownFeature => Of(StatusCodes.Status404NotFound, "unknown-feature", "Unknown feature", failure.Problem,
            [new("known_features", KnownFeatures(catalog, entity))]),
        ReadStatus.BadKey => Of(StatusCodes.Status400BadRequest, "bad-key", "Bad key", failure.Problem),
        ReadStatus.BadWindow => Of(StatusCodes.Status400BadRequest, "bad-window", "Bad window", failure.Problem),
        ReadStatus.OutOfRange => Of(StatusCodes.Status422UnprocessableEntity, "out-of-range", "Time out of range", failure.Problem),
        ReadStatus.NotSupported => Of(StatusCodes.Status422UnprocessableEntity, "not-supported", "Not supported for this feature", failure.Problem),
        ReadStatus.Unavailable => Of(StatusCodes.Status503ServiceUnavailable, "unavailable", "Feature values unavailable", failure.Problem),
        _ => Of(StatusCodes.Status400BadRequest, "bad-query", "Bad query", failure.Problem),
    };

    /// <summary>
    /// The event log cannot take writes (a full disk, a read-only or vanished directory): 507 when the device is full,
    /// 503 otherwise. Nothing of the request was acknowledged; the server takes no more events until it is restarted.
    /// </summary>
    public static IResult StorageFailed(Exception error, string? dataDirectory, int accepted = 0) =>
        Of(error is Engine.Storage.StorageException { Problem: Engine.Storage.StorageProblem.Full } ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status503ServiceUnavailable,
            "storage-failed", "The event log cannot be written",
            $"{DataPaths.Relative(error.Message, dataDirectory)}. {(accepted > 0 ? $"The {accepted} events of this request were not acknowledged; " : "")}"
            + "no event is acknowledged until the server is restarted (it then recovers everything acknowledged before); resend the events then",
            // A backend other than the file log names no storage problem of its own: it is unavailable.
            [new("storage_problem", System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(
                error is Engine.Storage.StorageException storage ? storage.Problem.ToString() : "Unavailable"))]);

    /// <summary>A query parameter (or body member) that could not be read.</summary>
    public static IResult BadParameter(string parameter, string detail) =>
        Of(StatusCodes.Status400BadRequest, "bad-parameter", $"Bad parameter '{parameter}'", detail, [new("parameter", parameter)]);

    public static IResult UnknownFeature(string name, FeatureCatalog catalog, string? entity = null)
    {
        var known = KnownFeatures(catalog, entity);
        return Of(StatusCodes.Status404NotFound, "unknown-feature", "Unknown feature",
            $"unknown feature '{name}'; known features{(entity is null ? "" : $" of '{entity}'")}: {string.Join(", ", known)}",
            [new("known_features", known)]);
    }

    /// <summary>Too much load: the client should retry after <paramref name="retryAfterSeconds"/>.</summary>
    public static IResult Overloaded(HttpContext http, int status, string detail, int retryAfterSeconds)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Of(status, "overloaded", status == StatusCodes.Status429TooManyRequests ? "Too many requests" : "Overloaded", detail,
            [new("retry_after_seconds", retryAfterSeconds)]);
    }

    private static string[] KnownFeatures(FeatureCatalog catalog, string? entity) =>
        catalog.Features.Where(f => entity is null || f.Entity.Name == entity || !catalog.TryGetEntity(entity, out _))
            .Select(f => f.Name).ToArray();
}
