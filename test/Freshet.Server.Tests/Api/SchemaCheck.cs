using System.Text.Json;

namespace Freshet.Server.Tests.Api;

/// <summary>
/// Checks a JSON value against a schema of an OpenAPI 3.1 document: the subset the document uses ($ref, type, enum,
/// properties, required, additionalProperties, items, anyOf, oneOf). Stricter than JSON Schema in one way, on purpose:
/// a member the schema does not list is an error unless the schema allows more (additionalProperties), so an answer
/// cannot carry a member the document does not describe.
/// </summary>
internal static class SchemaCheck
{
    public static List<string> Errors(JsonElement document, JsonElement schema, JsonElement value, string path)
    {
        var errors = new List<string>();
        Check(document, schema, value, path, errors);
        return errors;
    }

    public static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            string pointer = reference.GetString()!;
            Assert.StartsWith("#/", pointer);
            var target = document;
            foreach (string part in pointer[2..].Split('/'))
            {
                Assert.True(target.TryGetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal), out target),
                    $"the document has no {pointer}");
            }

            schema = target;
        }

        return schema;
    }

    private static void Check(JsonElement document, JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        schema = Resolve(document, schema);
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(s => Errors(document, s, value, path).Count == 0))
        {
            errors.Add($"{path}: {Show(value)} matches none of anyOf {anyOf}");
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var each = oneOf.EnumerateArray().Select(s => Errors(document, s, value, path)).ToList();
            if (each.Count(e => e.Count == 0) != 1)
            {
                errors.Add($"{path}: {Show(value)} does not match exactly one of oneOf: {string.Join("; ", each.Select(e => e.Count == 0 ? "matches" : string.Join(", ", e)))}");
            }
        }

        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => Is(t, value)))
            {
                errors.Add($"{path}: {Show(value)} is not {string.Join(" or ", types)}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out var choices) && !choices.EnumerateArray().Any(c => JsonElement.DeepEquals(c, value)))
        {
            errors.Add($"{path}: {Show(value)} is not one of {choices}");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            CheckObject(document, schema, value, path, errors);
        }
        else if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var element in value.EnumerateArray())
            {
                Check(document, items, element, $"{path}[{i++}]", errors);
            }
        }
    }

    private static void CheckObject(JsonElement document, JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(n => !value.TryGetProperty(n, out _)))
            {
                errors.Add($"{path}: the required member '{name}' is missing");
            }
        }

        bool hasProperties = schema.TryGetProperty("properties", out var properties);
        bool hasMore = schema.TryGetProperty("additionalProperties", out var more);
        foreach (var member in value.EnumerateObject())
        {
            if (hasProperties && properties.TryGetProperty(member.Name, out var memberSchema))
            {
                Check(document, memberSchema, member.Value, $"{path}.{member.Name}", errors);
            }
            else if (hasMore && more.ValueKind != JsonValueKind.False)
            {
                Check(document, more, member.Value, $"{path}.{member.Name}", errors);
            }
            else if (hasProperties || (hasMore && more.ValueKind == JsonValueKind.False))
            {
                errors.Add($"{path}: the member '{member.Name}' is not in the schema");
            }
        }
    }

    private static bool Is(string type, JsonElement value) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => throw new InvalidOperationException($"schema type '{type}' is not known to this check"),
    };

    private static string Show(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length > 80 ? text[..80] + "…" : text;
    }
}
