using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Freshet.Events;

/// <summary>
/// The parser's checks beyond JSON syntax, and its messages. Every check here rejects one event with a reason and a
/// message that names the key and the rule in the user's words (never the reader's token names), so that one bad
/// event costs only itself. The checks are on the error path or are one comparison on the normal path.
/// </summary>
public sealed partial class EventJsonParser
{
    /// <summary>Longest piece of a bad value quoted in a message.</summary>
    private const int QuotedBytesMax = 40;

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The reserved keys already seen in the event being read, to reject a repeated one.</summary>
    [Flags]
    private enum HeaderKeys : byte
    {
        None = 0,
        Type = 1,
        Time = 2,
        Id = 4,
    }

    /// <summary>Marks a reserved key as seen; true (and an error) when it was already, since the docs promise <c>invalid_field</c> for a repeated key.</summary>
    private static bool Repeated(ref HeaderKeys seen, HeaderKeys key, int index, string name, ref EventError? error)
    {
        if ((seen & key) != 0)
        {
            error ??= RepeatedKey(index, name);
            return true;
        }

        seen |= key;
        return false;
    }

    /// <summary>
    /// Records field name <paramref name="nameId"/> as the <paramref name="position"/>-th field of the event; true (and an
    /// error) when an earlier field had the same name. Which of two values to keep is a guess a user should not have
    /// to discover, so the event is rejected. Names are compared by id (interned or local to the batch, one id per text either way), so "it\u0065m" and "item" are one key.
    /// </summary>
    private bool IsRepeatedField(EventBatch batch, int nameId, int position, int index, ref EventError? error)
    {
        var names = _fieldNames.AsSpan(0, position);
        if (names.Contains(nameId))
        {
            error ??= RepeatedKey(index, batch.StringOf(nameId, strings));
            return true;
        }

        _fieldNames[position] = nameId;
        return false;
    }

    private static EventError RepeatedKey(int index, string name) =>
        new(index, EventRejectReason.InvalidField, name, $"'{name}' appears more than once in the event; send each key once");

    /// <summary>
    /// True when the current string token (a key or a value) is valid Unicode; otherwise sets <paramref name="error"/>
    /// (reason <c>invalid_string</c>). Only escaped strings can hold a lone surrogate, and only a body that failed the
    /// UTF-8 check can hold bad bytes, so a normal string costs two flag tests. This must run before the string is
    /// unescaped or decoded: the reader throws on both, which used to fail the whole request with a 500.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsValidText(ref Utf8JsonReader reader, EventBatch? batch, int index, string? field, int fieldNameId, ref EventError? error) =>
        (!reader.ValueIsEscaped && !_checkUtf8)
        || CheckText(reader.ValueSpan, reader.ValueIsEscaped, index, field ?? (fieldNameId != 0 ? batch?.StringOf(fieldNameId, strings) : null), ref error);

    private bool CheckText(ReadOnlySpan<byte> raw, bool escaped, int index, string? field, ref EventError? error)
    {
        if (_checkUtf8 && !Utf8.IsValid(raw))
        {
            error ??= new EventError(index, EventRejectReason.InvalidString, field, $"{Subject(field)} holds bytes that are not UTF-8; send text encoded as UTF-8");
            return false;
        }

        if (escaped && FindLoneSurrogate(raw) is int unit and >= 0)
        {
            error ??= new EventError(index, EventRejectReason.InvalidString, field,
                $"{Subject(field)} holds a lone UTF-16 surrogate \\u{unit.ToString("x4", CultureInfo.InvariantCulture)}, which is not valid Unicode");
            return false;
        }

        return true;
    }

    private static string Subject(string? field) => field switch
    {
        null => "a field name",
        "type" or "time" or "id" => $"'{field}'",
        _ => $"field '{field}'",
    };

    /// <summary>
    /// The first UTF-16 surrogate escape in raw (still escaped) JSON string text that is not part of a pair — a high
    /// surrogate not followed by <c>\uDC00</c>–<c>\uDFFF</c>, or a low one on its own — or −1 when there is none.
    /// The reader has already checked that every <c>\u</c> is followed by four hex digits.
    /// </summary>
    internal static int FindLoneSurrogate(ReadOnlySpan<byte> raw)
    {
        for (int i = 0; i < raw.Length - 1; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            i++; // The escaped character: 'u', or one of " \ / b f n r t, which is skipped whole.
            if (raw[i] != (byte)'u' || i + 4 >= raw.Length)
            {
                continue;
            }

            int unit = Hex4(raw.Slice(i + 1, 4));
            i += 4;
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return unit;
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (i + 6 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u' && Hex4(raw.Slice(i + 3, 4)) is >= 0xDC00 and <= 0xDFFF)
                {
                    i += 6;
                    continue;
                }

                return unit;
            }
        }

        return -1;
    }

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        int value = 0;
        foreach (byte b in hex)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => 0,
            };
            value = (value << 4) | digit;
        }

        return value;
    }

    /// <summary>The error for a numeric field that is not finite or is outside <see cref="NumberRange"/>, quoting the number as sent.</summary>
    private static EventError NumberOutOfRange(ref Utf8JsonReader reader, int index, string field) =>
        new(index, EventRejectReason.InvalidNumber, field,
            $"field '{field}' is {Quote(reader.ValueSpan)}, outside the accepted range for numbers (-{NumberRange.MaxMagnitudeText} to {NumberRange.MaxMagnitudeText})");

    /// <summary>
    /// Reads a numeric time that is not a plain integer: one written with an exponent or a zero fraction
    /// (<c>1.7637192e12</c>) is whole milliseconds and accepted; a real fraction or an out-of-range or infinite value
    /// (<c>1e400</c>) is rejected saying which.
    /// </summary>
    private static bool TryReadWholeTime(ref Utf8JsonReader reader, int index, out long timeMs, ref EventError? error)
    {
        timeMs = 0;
        if (!reader.TryGetDouble(out double value) || !(Math.Abs(value) <= MaxTimeMs))
        {
            error ??= Header(index, "time", $"'time' {Quote(reader.ValueSpan)} is out of range (1973 to 9999 in epoch milliseconds)");
            return false;
        }

        if (value != Math.Floor(value))
        {
            error ??= Header(index, "time", $"'time' {Quote(reader.ValueSpan)} has a fraction; send whole epoch milliseconds");
            return false;
        }

        timeMs = (long)value;
        return true;
    }

    /// <summary>Raw value text for a message, cut to <see cref="QuotedBytesMax"/> bytes (a 5,000-digit number says how long it was).</summary>
    private static string Quote(ReadOnlySpan<byte> raw) => raw.Length <= QuotedBytesMax
        ? Encoding.UTF8.GetString(raw)
        : $"{Encoding.UTF8.GetString(raw[..QuotedBytesMax])}… ({raw.Length:N0} characters)";

    private static string NotAnObjectMessage(JsonTokenType found, int line, int element) => line > 0
        ? $"each event must be a JSON object; line {line} holds {Describe(found)}"
        : $"each event must be a JSON object; element {element} of the array holds {Describe(found)}";

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndObject => "a stray '}'",
        JsonTokenType.EndArray => "a stray ']'",
        JsonTokenType.PropertyName => "a key",
        JsonTokenType.Comment => "a comment",
        _ => "nothing",
    };

    /// <summary>
    /// The first sentence of a reader error, with its few internal phrasings said in the user's words. The reader's
    /// other messages already quote the offending character ("'}' is invalid after a value").
    /// </summary>
    private static string ReaderMessage(JsonException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        message = (cut > 0 ? message[..cut] : message).TrimEnd('.');
        if (message.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            return "an object or array is not closed";
        }

        if (message.StartsWith("The maximum configured depth", StringComparison.Ordinal))
        {
            return "values are nested more than 64 levels deep; an event is a flat object";
        }

        if (message.StartsWith("The input does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "the body ends before the first event";
        }

        return message;
    }
}
