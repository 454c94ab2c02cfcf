using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Freshet.Hashing;

namespace Freshet.Events;

/// <summary>
/// Reads events from UTF-8 JSON straight into an <see cref="EventBatch"/>: a JSON array of objects, or NDJSON (one
/// object per line). No DOM and no per-event objects: names and string values are interned from the reader's
/// spans. A bad event is reported with its index and skipped; every valid event around it is kept. In NDJSON a
/// malformed line costs only that line; in an array a syntax error ends the array there (there is no reliable way
/// to find the next element), and the events before it are kept. Not thread-safe: use one parser per thread.
/// Validation (strings that are not valid Unicode, numbers outside <see cref="NumberRange"/>, repeated keys, user-facing
/// messages) is in EventJsonParser.Validation.cs.
/// </summary>
public sealed partial class EventJsonParser(StringInterner strings)
{
    // Unescaping buffer: one parser serves one thread at a time (create one per request or per reader thread).
    private readonly byte[] _scratch = new byte[StringInterner.MaxLength * 3];

    // Name ids of the fields of the event being read, in order, to find a repeated key by a scan of at most MaxFields
    // ints: no allocation, and for the handful of fields of a normal event cheaper than a hash set.
    private readonly int[] _fieldNames = new int[MaxFields];

    // True when the body being parsed holds bytes that are not UTF-8. The reader does not validate UTF-8, so the body is
    // checked once, in one vectorized pass, and only a body that fails it pays for a check of each string.
    private bool _checkUtf8;

    /// <summary>Most fields one event may have.</summary>
    public const int MaxFields = 64;

    /// <summary>Earliest accepted epoch-millisecond time (1973-03-03): smaller values are almost always epoch seconds.</summary>
    public const long MinTimeMs = 100_000_000_000;

    /// <summary>Latest accepted time (year 9999).</summary>
    public const long MaxTimeMs = 253_402_300_799_999;

    /// <summary>
    /// Parses <paramref name="utf8"/> and appends the valid events to <paramref name="batch"/>. Errors are appended
    /// to <paramref name="errors"/> with indexes counted from <paramref name="firstIndex"/>. Returns how many events
    /// (valid or not) were seen.
    /// </summary>
    public int Parse(ReadOnlySpan<byte> utf8, EventBatch batch, List<EventError> errors, int firstIndex = 0)
    {
        // A UTF-8 byte-order mark (Windows editors, PowerShell's Out-File) is not JSON; it only marks the encoding.
        if (utf8.StartsWith(Utf8ByteOrderMark))
        {
            utf8 = utf8[Utf8ByteOrderMark.Length..];
        }

        _checkUtf8 = !Utf8.IsValid(utf8);
        int start = 0;
        while (start < utf8.Length && IsWhitespace(utf8[start]))
        {
            start++;
        }

        if (start == utf8.Length)
        {
            return 0;
        }

        if (utf8[start] == (byte)'[')
        {
            int eventsBefore = batch.Count;
            int errorsBefore = errors.Count;
            int seen = ParseArray(utf8[start..], batch, errors, firstIndex, out int consumed);
            // A JSON array body is one value. More after its ']' means NDJSON whose first line holds an array: read
            // again by lines, so that line is reported as not an event and the lines after it are not silently ignored.
            if (consumed < 0 || utf8[(start + consumed)..].TrimStart(" \t\r\n"u8).IsEmpty)
            {
                return seen;
            }

            batch.TruncateTo(eventsBefore);
            errors.RemoveRange(errorsBefore, errors.Count - errorsBefore);
        }

        return ParseLines(utf8, batch, errors, firstIndex);
    }

    /// <summary>Reads a JSON array of events; <paramref name="consumed"/> is where its ']' ends, or −1 when it did not end there.</summary>
    private int ParseArray(ReadOnlySpan<byte> utf8, EventBatch batch, List<EventError> errors, int firstIndex, out int consumed)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        int index = firstIndex;
        consumed = -1;
        try
        {
            reader.Read(); // '['
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                ParseOne(ref reader, batch, errors, index, line: 0, element: index - firstIndex);
                index++; // After the call: when it throws, the error belongs to this index.
            }

            if (reader.TokenType != JsonTokenType.EndArray)
            {
                errors.Add(new EventError(index, EventRejectReason.MalformedJson, null, "the JSON array is not closed; events after this point were not read"));
            }
            else
            {
                consumed = (int)reader.BytesConsumed;
            }
        }
        catch (JsonException ex)
        {
            batch.AbandonEvent();
            errors.Add(new EventError(index, EventRejectReason.MalformedJson, null,
                $"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ReaderMessage(ex)}; events after this point were not read"));
            index++;
        }

        return index - firstIndex;
    }

    private int ParseLines(ReadOnlySpan<byte> utf8, EventBatch batch, List<EventError> errors, int firstIndex)
    {
        int index = firstIndex;
        int lineNumber = 0;
        while (!utf8.IsEmpty)
        {
            int newline = utf8.IndexOf((byte)'\n');
            var line = newline < 0 ? utf8 : utf8[..newline];
            utf8 = newline < 0 ? default : utf8[(newline + 1)..];
            lineNumber++;
            if (IsBlank(line))
            {
                continue;
            }

            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            try
            {
                reader.Read();
                ParseOne(ref reader, batch, errors, index, lineNumber, element: 0);
                if (reader.Read())
                {
                    throw new JsonException("unexpected content after the event object", null, 0, reader.TokenStartIndex);
                }
            }
            catch (JsonException ex)
            {
                batch.AbandonEvent();
                RemoveErrorFor(errors, index);
                errors.Add(new EventError(index, EventRejectReason.MalformedJson, null,
                    $"malformed JSON on line {lineNumber}: {ReaderMessage(ex)}"));
            }

            index++;
        }

        return index - firstIndex;
    }

    /// <summary>Reads one event; <paramref name="line"/> (NDJSON, 1-based) or <paramref name="element"/> (array, 0-based) says where it is, for messages.</summary>
    private void ParseOne(ref Utf8JsonReader reader, EventBatch batch, List<EventError> errors, int index, int line, int element)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var found = reader.TokenType; // Before Skip, which moves to the end of an array and would report that.
            reader.Skip();
            errors.Add(new EventError(index, EventRejectReason.NotAnObject, null, NotAnObjectMessage(found, line, element)));
            return;
        }

        batch.BeginEvent(0, 0);
        int typeId = 0;
        long timeMs = 0;
        bool hasTime = false;
        ulong idHash = 0;
        int fieldCount = 0;
        var seen = HeaderKeys.None;
        EventError? error = null;
        var scratch = _scratch.AsSpan();

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A key must be checked before ValueTextEquals, which unescapes it and throws on a lone surrogate.
            if (!IsValidText(ref reader, batch, index, null, 0, ref error))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (Repeated(ref seen, HeaderKeys.Type, index, "type", ref error))
                {
                    reader.Skip();
                }
                else if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.Length == 0)
                {
                    error ??= Header(index, "type", "'type' must be a non-empty string");
                    reader.Skip();
                    continue;
                }

                typeId = Intern(ref reader, scratch, batch, index, "type", ref error);
            }
            else if (reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                if (Repeated(ref seen, HeaderKeys.Time, index, "time", ref error))
                {
                    reader.Skip();
                }
                else
                {
                    hasTime = TryReadTime(ref reader, index, out timeMs, ref error);
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (Repeated(ref seen, HeaderKeys.Id, index, "id", ref error))
                {
                    reader.Skip();
                }
                else if (reader.TokenType == JsonTokenType.String && !IsValidText(ref reader, batch, index, "id", 0, ref error))
                {
                    // Rejected: the id is not valid Unicode (a lone surrogate escape or bytes that are not UTF-8).
                }
                else if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    // Hash the raw text so "id": 5 and "id": "5" are the same event id.
                    // 0 means "no id" downstream, so the one id that hashes to 0 is moved to 1.
                    idHash = Math.Max(1UL, XxHash64.Hash(reader.ValueIsEscaped ? Unescape(ref reader, scratch) : reader.ValueSpan));
                }
                else
                {
                    error ??= Header(index, "id", "'id' must be a string or a number");
                    reader.Skip();
                }
            }
            else
            {
                ReadField(ref reader, batch, scratch, index, ref fieldCount, ref error);
            }
        }

        if (error is null && typeId == 0)
        {
            error = new EventError(index, EventRejectReason.MissingType, "type", "missing 'type' (the event type, such as \"click\")");
        }

        if (error is null && !hasTime)
        {
            error = new EventError(index, EventRejectReason.MissingTime, "time", "missing 'time' (epoch milliseconds or an ISO-8601 string)");
        }

        if (error is { } e)
        {
            batch.AbandonEvent();
            errors.Add(e);
            return;
        }

        batch.SetHeader(typeId, timeMs, idHash);
        batch.EndEvent(index);
    }

    private void ReadField(ref Utf8JsonReader reader, EventBatch batch, Span<byte> scratch, int index, ref int fieldCount, ref EventError? error)
    {
        int nameId = Intern(ref reader, scratch, batch, index, null, ref error);
        reader.Read();
        if (error is not null)
        {
            reader.Skip();
            return;
        }

        if (++fieldCount > MaxFields)
        {
            error = new EventError(index, EventRejectReason.TooLarge, null, $"more than {MaxFields} fields");
            reader.Skip();
            return;
        }

        if (IsRepeatedField(batch, nameId, fieldCount - 1, index, ref error))
        {
            reader.Skip();
            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                int valueId = Intern(ref reader, scratch, batch, index, null, ref error, nameId);
                if (error is null)
                {
                    batch.AddString(nameId, valueId);
                }

                break;
            case JsonTokenType.Number:
                // TryGetDouble reads 1e400 or a 5,000-digit number as infinity; the range check rejects it and what
                // else would overflow a sum (see NumberRange).
                if (!reader.TryGetDouble(out double number) || !NumberRange.IsAccepted(number))
                {
                    error = NumberOutOfRange(ref reader, index, batch.StringOf(nameId, strings));
                    break;
                }

                batch.AddNumber(nameId, number);
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                batch.AddNumber(nameId, reader.TokenType == JsonTokenType.True ? 1 : 0);
                break;
            case JsonTokenType.Null:
                break; // An explicit null is the same as an absent field.
            default:
                string name = batch.StringOf(nameId, strings);
                error = new EventError(index, EventRejectReason.InvalidField, name,
                    $"field '{name}' is {Describe(reader.TokenType)}; fields must be strings, numbers or booleans");
                reader.Skip();
                break;
        }
    }

    private bool TryReadTime(ref Utf8JsonReader reader, int index, out long timeMs, ref EventError? error)
    {
        timeMs = 0;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out timeMs) && !TryReadWholeTime(ref reader, index, out timeMs, ref error))
            {
                return false;
            }

            if (timeMs is > 0 and < MinTimeMs)
            {
                error ??= Header(index, "time", $"'time' {timeMs} looks like epoch seconds; send epoch milliseconds ({timeMs * 1000})");
                return false;
            }

            if (timeMs is < MinTimeMs or > MaxTimeMs)
            {
                error ??= Header(index, "time", $"'time' {timeMs} is out of range (1973 to 9999 in epoch milliseconds)");
                return false;
            }

            return true;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            if (!IsValidText(ref reader, null, index, "time", 0, ref error))
            {
                return false;
            }

            Span<char> chars = stackalloc char[64];
            if (reader.ValueSpan.Length <= 64 && TryParseIsoTime(chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)], out timeMs))
            {
                return true;
            }

            error ??= Header(index, "time", $"'time' \"{Truncate(reader.GetString())}\" is not an ISO-8601 time such as 2026-11-21T10:00:00Z");
            return false;
        }

        error ??= Header(index, "time", $"'time' is {Describe(reader.TokenType)}; expected epoch milliseconds or an ISO-8601 string");
        reader.Skip();
        return false;
    }

    /// <summary>Parses ISO-8601 times; a time without an offset is UTC, and a trailing " UTC" is accepted (REES46 style).</summary>
    public static bool TryParseIsoTime(ReadOnlySpan<char> text, out long timeMs)
    {
        text = text.Trim();
        if (text.EndsWith(" UTC", StringComparison.Ordinal))
        {
            text = text[..^4];
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            timeMs = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        timeMs = 0;
        return false;
    }

    /// <summary>
    /// The id of a string of the event: the interned one when the interner holds it (every name, type and value that a
    /// definition mentions or state holds), else a local one of the batch, so an event that is rejected, or a value
    /// that no state reads, never becomes a permanent string (the engine promotes the values state needs).
    /// <paramref name="fieldNameId"/> names the field of a value, for the message only.
    /// </summary>
    private int Intern(ref Utf8JsonReader reader, Span<byte> scratch, EventBatch batch, int index, string? field, ref EventError? error, int fieldNameId = 0)
    {
        // Checked even when the event already has an error: unescaping a lone surrogate throws.
        if (!IsValidText(ref reader, batch, index, field, fieldNameId, ref error))
        {
            return 0;
        }

        var bytes = reader.ValueIsEscaped ? Unescape(ref reader, scratch) : reader.ValueSpan;
        if (bytes.Length > StringInterner.MaxLength)
        {
            field ??= fieldNameId != 0 ? batch.StringOf(fieldNameId, strings) : null;
            error ??= new EventError(index, EventRejectReason.TooLarge, field,
                field is null ? $"a field name is longer than {StringInterner.MaxLength} bytes" : $"field '{field}' is longer than {StringInterner.MaxLength} bytes");
            return 0;
        }

        return batch.IdOf(bytes, strings);
    }

    private static ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader, Span<byte> scratch)
    {
        if (reader.ValueSpan.Length > scratch.Length)
        {
            return reader.ValueSpan; // Too long to be valid anyway; the length check reports it.
        }

        int n = reader.CopyString(scratch);
        return scratch[..n];
    }

    private static EventError Header(int index, string field, string message) =>
        new(index, EventRejectReason.InvalidHeader, field, message);

    private static void RemoveErrorFor(List<EventError> errors, int index)
    {
        if (errors.Count > 0 && errors[^1].Index == index)
        {
            errors.RemoveAt(errors.Count - 1);
        }
    }

    private static string Truncate(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "…";

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.TrimStart(" \t\r"u8).IsEmpty;
}
