using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Freshet.Contracts;

namespace Freshet.Cli.Query;

/// <summary>
/// Reads the server's JSON into the server's own response records (<c>Freshet.Contracts</c>), so a change to the API
/// shapes breaks this command at compile time rather than in a user's terminal; and re-indents bodies for
/// <c>--json</c>.
/// </summary>
internal static class ApiJson
{
    /// <summary>Snake-case names as the server writes them; unknown members (a newer server) are ignored.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new FeatureValueConverter() },
    };

    private static readonly JsonWriterOptions IndentedWriter = new()
    {
        Indented = true,
        // The output is read in a terminal or by jq, never embedded in HTML: keep "→" and "<" as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static T Read<T>(string body, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, Options)
                ?? throw new QueryFailure($"the server's answer to {what} is empty");
        }
        catch (JsonException e)
        {
            throw new QueryFailure($"the server's answer to {what} is not what this freshet expects ({e.Message}); are the server and the command the same version?");
        }
    }

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>The body as the server sent it, indented for reading; a body that is not JSON is returned unchanged.</summary>
    public static string Indent(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, IndentedWriter))
            {
                document.WriteTo(writer);
            }

            return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
