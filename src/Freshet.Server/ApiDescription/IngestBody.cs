using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Freshet.Server.ApiDescription;

/// <summary>
/// The body of <c>POST /v1/events</c> for the OpenAPI document. The endpoint parses it straight from bytes (no .NET
/// type describes it), so its schema is written here: one event is a flat object, sent as a JSON array or as NDJSON.
/// </summary>
internal static class IngestBody
{
    public static OpenApiRequestBody Describe() => new()
    {
        Required = true,
        Description = "Events: a JSON array of event objects, or NDJSON (one object per line; also accepted as application/ndjson, "
            + "application/jsonl, application/x-jsonlines). Content-Encoding: gzip is accepted. At most 64 fields per event, strings up to "
            + "1,024 characters, numbers finite and within ±1e100.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/x-ndjson"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "One event object per line, each as in the application/json array.",
                },
                Example = JsonValue.Create("{\"id\": \"e1\", \"type\": \"view\", \"time\": 1795341600000, \"user\": \"u1\", \"item\": \"i9\"}\n"
                    + "{\"id\": \"e2\", \"type\": \"click\", \"time\": \"2026-11-22T10:00:05Z\", \"user\": \"u1\", \"item\": \"i9\"}\n"),
            },
            ["application/json"] = new()
            {
                Schema = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Event() },
            },
        },
    };

    private static OpenApiSchema Event() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "One event: its type and time, an optional id, and its fields.",
        Required = new HashSet<string> { "type", "time" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The event type, such as view or click." },
            ["time"] = new OpenApiSchema
            {
                Description = "When it happened: epoch milliseconds or ISO-8601 (epoch seconds are refused as such).",
                AnyOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
                    new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                ],
            },
            ["id"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String | JsonSchemaType.Number,
                Description = "Makes retries safe: an event resent with the same id inside the dedup horizon is acknowledged and counted once.",
            },
        },
        AdditionalProperties = new OpenApiSchema
        {
            Type = JsonSchemaType.String | JsonSchemaType.Number | JsonSchemaType.Boolean,
            Description = "A field: a string, number or boolean (no objects or arrays).",
        },
    };
}
