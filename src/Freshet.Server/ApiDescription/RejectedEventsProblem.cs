using Freshet.Contracts;

namespace Freshet.Server.ApiDescription;

// Only described, never written: EventsEndpoint writes these members through Problems.Of, and OpenApiDocumentTests
// checks its real answers against this shape, so the two cannot drift apart.

/// <summary>
/// A problem document of <c>POST /v1/events</c> (400, 422): which events were rejected and why, and how many of the
/// request were accepted. The ingest members are absent when the whole body was refused (an empty body, bad gzip).
/// </summary>
/// <param name="Type">The problem's URI; it ends in a stable code (rejected-events, empty-body, bad-gzip…).</param>
/// <param name="Title">A short summary of the problem.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What was wrong, naming the first rejected event and why.</param>
/// <param name="Accepted">Events of the request that were accepted (and are kept).</param>
/// <param name="Duplicates">Events that were retries of events already accepted: acknowledged, not counted again.</param>
/// <param name="RejectedCount">Events rejected, all of them (the list stops at 1,000).</param>
/// <param name="Rejected">The rejected events by 0-based index in the request, with a reason code and a message.</param>
/// <param name="Sequence">The request's place in the server's order (what ?wait=true waits for).</param>
/// <param name="TraceId">The request's trace id, for the server's logs.</param>
internal sealed record RejectedEventsProblem(
    string Type,
    string Title,
    int Status,
    string Detail,
    int? Accepted,
    int? Duplicates,
    int? RejectedCount,
    IReadOnlyList<RejectedEvent>? Rejected,
    long? Sequence,
    string? TraceId);
