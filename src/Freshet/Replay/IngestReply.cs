using System.Text.Json;

namespace Freshet.Cli.Replay;

/// <summary>One event the server did not take: its position in the request, the reason code and the message.</summary>
internal readonly record struct RejectedEvent(int Index, string Reason, string Message);

/// <summary>
/// The server's answer to <c>POST /v1/events</c>: the 200 body (<c>accepted</c>, <c>duplicates</c>, <c>rejected</c>) or
/// the problem document of a 400/422/504 with the same members plus <c>title</c>, <c>detail</c> and
/// <c>rejected_count</c> (the server lists only so many rejections; the count covers the rest).
/// </summary>
internal sealed record IngestReply(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent>? Rejected, int RejectedCount, string? Title, string? Detail)
{
    public static IngestReply? TryParse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            List<RejectedEvent>? rejected = null;
            if (root.TryGetProperty("rejected", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                rejected = [];
                foreach (var item in list.EnumerateArray())
                {
                    rejected.Add(new RejectedEvent(
                        Int(item, "index") ?? -1,
                        String(item, "reason") ?? "unknown",
                        String(item, "message") ?? ""));
                }
            }

            return new IngestReply(
                Int(root, "accepted") ?? 0,
                Int(root, "duplicates") ?? 0,
                rejected,
                Int(root, "rejected_count") ?? rejected?.Count ?? 0,
                String(root, "title"),
                String(root, "detail"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : null;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
