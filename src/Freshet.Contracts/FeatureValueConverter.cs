using System.Text.Json;
using System.Text.Json.Serialization;
using Freshet.Aggregation;

namespace Freshet.Contracts;

/// <summary>
/// Writes a feature value the way clients read it: a number, <c>null</c> when there is no value (a mean of no events,
/// or a non-finite number), or for last-k and top-k an array of <c>{"item", "value"}</c> objects with the Space-Saving
/// <c>error</c> bound and the <c>time</c> when they apply. Reads the same shape back (clients such as <c>freshet query</c>).
/// </summary>
public sealed class FeatureValueConverter : JsonConverter<FeatureValue>
{
    public override FeatureValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Null => FeatureValue.Missing,
            JsonTokenType.Number => FeatureValue.Of(reader.GetDouble()),
            JsonTokenType.StartArray => FeatureValue.Of(JsonSerializer.Deserialize<ItemDto[]>(ref reader, options)!
                .Select(i => new ItemValue(i.Item, i.Value ?? double.NaN, i.Error ?? 0, i.Time ?? 0)).ToArray()),
            _ => throw new JsonException($"a feature value is a number, null or an array of items, not {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, FeatureValue value, JsonSerializerOptions options)
    {
        switch (value.Kind)
        {
            case FeatureValueKind.Number when double.IsFinite(value.Number):
                writer.WriteNumberValue(value.Number);
                break;
            case FeatureValueKind.Items:
                writer.WriteStartArray();
                foreach (var item in value.Items!)
                {
                    writer.WriteStartObject();
                    writer.WriteString("item"u8, item.Item);
                    if (double.IsFinite(item.Value))
                    {
                        writer.WriteNumber("value"u8, item.Value);
                    }
                    else
                    {
                        writer.WriteNull("value"u8);
                    }

                    if (item.Error != 0)
                    {
                        writer.WriteNumber("error"u8, item.Error);
                    }

                    if (item.TimeMs != 0)
                    {
                        writer.WriteNumber("time"u8, item.TimeMs);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private sealed record ItemDto(string? Item, double? Value, double? Error, long? Time);
}
