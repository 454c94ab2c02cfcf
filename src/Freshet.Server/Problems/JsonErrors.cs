using System.Globalization;
using System.Text.Json;

namespace Freshet.Server.Problems;

/// <summary>Says where a request body's JSON went wrong and what was wrong, in the words of a problem document.</summary>
internal static class JsonErrors
{
    /// <summary><c>line 1, byte 14 (at $.candidates[0]): 'x' is an invalid start of a value</c>.</summary>
    public static string Describe(JsonException e)
    {
        // The serializer appends "Path: $ | LineNumber: 0 | BytePositionInLine: 13." to its message; the position is
        // said here once, 1-based, in front.
        string message = e.Message;
        int suffix = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (suffix < 0)
        {
            suffix = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        }

        string what = (suffix >= 0 ? message[..suffix] : message).TrimEnd('.', ' ');
        string where = string.Create(CultureInfo.InvariantCulture, $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}");
        return e.Path is { Length: > 0 } path and not "$" ? $"{where} (at {path}): {what}" : $"{where}: {what}";
    }
}
