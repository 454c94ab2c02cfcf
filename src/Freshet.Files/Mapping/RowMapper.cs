using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Freshet.Events;

namespace Freshet.Files.Mapping;

/// <summary>How a value arrived: as text (every CSV field, a JSON string), a JSON number or a JSON boolean.</summary>
public enum CellKind : byte
{
    Text,
    Number,
    Boolean,
}

/// <summary>A row that did not become an event: its line in the file, a short reason code and a message.</summary>
public readonly record struct Rejection(long Line, string Reason, string Message);

/// <summary>Reason codes of rows rejected while reading the file (the server's own codes are its business).</summary>
public static class LocalReasons
{
    public const string BadRow = "bad_row";
    public const string MissingType = "missing_type";
    public const string MissingTime = "missing_time";
    public const string BadTime = "bad_time";
    public const string BadNumber = "bad_number";
    public const string BadText = "bad_text";
    public const string BadField = "bad_field";
    public const string TooLarge = "too_large";
}

/// <summary>
/// Builds one event from the values of one row, pushed by a row source in any order:
/// <see cref="BeginRow"/>, <see cref="AddCell"/> for each value, <see cref="EndRow"/>. Empty values and <c>--null</c>
/// markers are left out; the first problem rejects the row with its line number. Reuses its buffers: after a
/// successful <see cref="EndRow"/>, <see cref="Current"/> is valid until the next <see cref="BeginRow"/>.
/// </summary>
public sealed class RowMapper(FieldMapping mapping, EventTimeParser time, FieldNameTable names, string sourceNoun = "column")
{
    private MappedField[] _fields = new MappedField[16];
    private byte[] _values = new byte[1024];
    private int _fieldCount;
    private int _valueLength;
    private int _typeStart;
    private int _typeLength;
    private int _idStart;
    private int _idLength;
    private bool _hasType;
    private bool _hasTime;
    private long _timeMs;
    private long _offsetMs;
    private long _line;
    private string? _reason;
    private string? _message;

    public FieldMapping Mapping => mapping;

    public long CurrentTimeMs => _timeMs;

    public MappedEvent Current => new(_line, _timeMs, _values.AsSpan(_typeStart, _typeLength), _values.AsSpan(_idStart, _idLength),
        _fields.AsSpan(0, _fieldCount), _values.AsSpan(0, _valueLength));

    public void BeginRow(long line)
    {
        _line = line;
        _fieldCount = 0;
        _valueLength = 0;
        _typeLength = _idLength = 0;
        _typeStart = _idStart = 0;
        _hasType = _hasTime = false;
        _timeMs = _offsetMs = 0;
        _reason = _message = null;
    }

    /// <summary>Marks the row as bad (the source found a problem in it); the first problem is the one reported.</summary>
    public void Fail(string reason, string message)
    {
        if (_reason is null)
        {
            _reason = reason;
            _message = message;
        }
    }

    public void AddCell(int sourceId, ReadOnlySpan<byte> utf8, CellKind kind)
    {
        if (_reason is not null || (kind == CellKind.Text && (utf8.IsEmpty || mapping.IsNull(utf8))))
        {
            return; // An empty value is no value: the field is left out, not sent as "".
        }

        foreach (var target in mapping.Plan(sourceId))
        {
            switch (target.Role)
            {
                case TargetRole.Type:
                    if (CheckText(sourceId, utf8, kind))
                    {
                        (_typeStart, _typeLength) = Append(utf8);
                        _hasType = true;
                    }

                    break;
                case TargetRole.Time:
                    if (time.TryParse(utf8, out _timeMs, out string? error))
                    {
                        _hasTime = true;
                    }
                    else
                    {
                        Fail(LocalReasons.BadTime, $"{Column(sourceId)}: {error}");
                    }

                    break;
                case TargetRole.Id:
                    if (CheckText(sourceId, utf8, kind))
                    {
                        (_idStart, _idLength) = Append(utf8);
                    }

                    break;
                case TargetRole.TimeOffset:
                    if (!EventTimeParser.TryParseMilliseconds(utf8, out _offsetMs))
                    {
                        Fail(LocalReasons.BadTime, $"{Column(sourceId)}: '{EventTimeParser.Shorten(utf8)}' is not a number of milliseconds (--time-offset)");
                    }

                    break;
                default:
                    AddField(sourceId, target, utf8, kind);
                    break;
            }
        }
    }

    /// <summary>Completes the row: constants, the type rename and the checks. False (with why) when it is no event.</summary>
    public bool EndRow(out Rejection rejection)
    {
        foreach (var constant in mapping.Constants)
        {
            if (constant.Role == TargetRole.Type)
            {
                (_typeStart, _typeLength) = Append(constant.Utf8);
                _hasType = true;
            }
            else if (constant.IsNumber)
            {
                AddNumber(constant.NameId, constant.Number);
            }
            else
            {
                AddString(constant.NameId, constant.Utf8);
            }
        }

        if (_reason is null && !_hasType)
        {
            Fail(LocalReasons.MissingType, $"no event type: {mapping.DescribeSource(TargetRole.Type)} is empty or missing");
        }

        if (_reason is null && !_hasTime)
        {
            Fail(LocalReasons.MissingTime, $"no event time: {mapping.DescribeSource(TargetRole.Time)} is empty or missing");
        }

        if (_reason is null && _offsetMs != 0)
        {
            _timeMs += _offsetMs;
            if (_timeMs is < EventJsonParser.MinTimeMs or > EventJsonParser.MaxTimeMs)
            {
                Fail(LocalReasons.BadTime, "the time plus the --time-offset is outside what events may have (1973 to 9999)");
            }
        }

        if (_reason is null && _fieldCount > EventJsonParser.MaxFields)
        {
            Fail(LocalReasons.TooLarge, $"{_fieldCount} fields; an event may have at most {EventJsonParser.MaxFields}");
        }

        if (_reason is not null)
        {
            rejection = new Rejection(_line, _reason, _message!);
            return false;
        }

        var type = _values.AsSpan(_typeStart, _typeLength);
        var renamed = mapping.RenameType(type);
        if (renamed != type)
        {
            (_typeStart, _typeLength) = Append(renamed);
        }

        rejection = default;
        return true;
    }

    private void AddField(int sourceId, MapTarget target, ReadOnlySpan<byte> utf8, CellKind kind)
    {
        if (kind == CellKind.Boolean)
        {
            AddNumber(target.NameId, utf8.SequenceEqual("true"u8) ? 1 : 0); // As the server reads a JSON boolean.
            return;
        }

        if (target.IsNumber || kind == CellKind.Number)
        {
            bool parsed = double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out double number);
            if (parsed && NumberRange.IsAccepted(number))
            {
                AddNumber(target.NameId, number);
            }
            else if (parsed)
            {
                // The server's rule: a value that could overflow a sum is refused here, not silently skipped by the aggregators.
                Fail(LocalReasons.BadNumber, $"{Column(sourceId)}: '{EventTimeParser.Shorten(utf8)}' is outside the accepted range for numbers (-{NumberRange.MaxMagnitudeText} to {NumberRange.MaxMagnitudeText})");
            }
            else
            {
                Fail(LocalReasons.BadNumber, $"{Column(sourceId)}: '{EventTimeParser.Shorten(utf8)}' is not a number (field '{names[target.NameId]}' is one of --numbers)");
            }

            return;
        }

        if (CheckText(sourceId, utf8, kind))
        {
            AddString(target.NameId, utf8);
        }
    }

    private bool CheckText(int sourceId, ReadOnlySpan<byte> utf8, CellKind kind)
    {
        if (kind == CellKind.Text && !Utf8.IsValid(utf8))
        {
            Fail(LocalReasons.BadText, $"{Column(sourceId)}: the value is not UTF-8 text (is the file in another encoding, such as Latin-1?)");
            return false;
        }

        if (utf8.Length > StringInterner.MaxLength && Encoding.UTF8.GetCharCount(utf8) > StringInterner.MaxLength)
        {
            Fail(LocalReasons.TooLarge, $"{Column(sourceId)}: the value is longer than {StringInterner.MaxLength} characters");
            return false;
        }

        return true;
    }

    private void AddString(int nameId, ReadOnlySpan<byte> utf8)
    {
        var (start, length) = Append(utf8);
        Push(new MappedField(nameId, FieldKind.String, start, length, 0));
    }

    private void AddNumber(int nameId, double number) => Push(new MappedField(nameId, FieldKind.Number, 0, 0, number));

    private void Push(in MappedField field)
    {
        if (_fieldCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[_fieldCount++] = field;
    }

    private (int Start, int Length) Append(ReadOnlySpan<byte> utf8)
    {
        if (_valueLength + utf8.Length > _values.Length)
        {
            Array.Resize(ref _values, Math.Max(_values.Length * 2, _valueLength + utf8.Length));
        }

        utf8.CopyTo(_values.AsSpan(_valueLength));
        int start = _valueLength;
        _valueLength += utf8.Length;
        return (start, utf8.Length);
    }

    private string Column(int sourceId) => $"{sourceNoun} '{mapping.SourceName(sourceId)}'";
}
