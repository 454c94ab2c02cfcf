using System.Text;
using System.Text.Json;
using Freshet.Files.Mapping;

namespace Freshet.Files.Sources;

/// <summary>
/// Rows of an NDJSON file: one JSON object per line, its keys mapped like CSV columns (a key is registered with the
/// mapping the first time it is seen). Strings, numbers and booleans are values; null is no value; an object or an
/// array rejects the line, as a malformed line does, with its line number. Lines are read into one reused buffer.
/// </summary>
public sealed class JsonLineSource : IRowSource
{
    /// <summary>Longest line taken; a longer one is skipped and rejected, so one runaway line cannot exhaust memory.</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    private readonly FileStream _file;
    private readonly Stream _input;
    private readonly Dictionary<string, int> _sourceIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly byte[] _unescaped = new byte[64 * 1024];
    private FieldMapping? _mapping;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private long _line;

    public JsonLineSource(FileStream file, Stream input)
    {
        _file = file;
        _input = input;
        _lookup = _sourceIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<string>? Columns => null;

    public string Description => "NDJSON, one event object per line";

    public long Position => _file.Position;

    public long Length => _file.Length;

    public void Bind(FieldMapping mapping) => _mapping = mapping;

    public bool ReadRow(RowMapper mapper)
    {
        while (true)
        {
            var status = NextLine(out int start, out int length);
            if (status == LineStatus.End)
            {
                return false;
            }

            _line++;
            if (status == LineStatus.TooLong)
            {
                mapper.BeginRow(_line);
                mapper.Fail(LocalReasons.TooLarge, $"the line is longer than {MaxLineBytes / (1024 * 1024)} MiB; it was skipped");
                return true;
            }

            var line = _buffer.AsSpan(start, length);
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            mapper.BeginRow(_line);
            Parse(line, mapper);
            return true;
        }
    }

    private void Parse(ReadOnlySpan<byte> line, RowMapper mapper)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                mapper.Fail(LocalReasons.BadRow, $"expected a JSON object, found {Describe(reader.TokenType)}");
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int sourceId = SourceId(ref reader);
                reader.Read();
                if (sourceId < 0)
                {
                    mapper.Fail(LocalReasons.TooLarge, $"more than {FieldNameTable.MaxNames} distinct keys in the file");
                    reader.Skip();
                    continue;
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        mapper.AddCell(sourceId, Text(ref reader), CellKind.Text);
                        break;
                    case JsonTokenType.Number:
                        mapper.AddCell(sourceId, reader.ValueSpan, CellKind.Number);
                        break;
                    case JsonTokenType.True:
                        mapper.AddCell(sourceId, "true"u8, CellKind.Boolean);
                        break;
                    case JsonTokenType.False:
                        mapper.AddCell(sourceId, "false"u8, CellKind.Boolean);
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        mapper.Fail(LocalReasons.BadField, $"key '{_mapping!.SourceName(sourceId)}' is {Describe(reader.TokenType)}; values must be strings, numbers or booleans");
                        reader.Skip();
                        break;
                }
            }

            if (reader.Read())
            {
                mapper.Fail(LocalReasons.BadRow, "malformed JSON: more after the event object");
            }
        }
        catch (JsonException e)
        {
            int cut = e.Message.IndexOf(". ", StringComparison.Ordinal);
            mapper.Fail(LocalReasons.BadRow, $"malformed JSON: {(cut > 0 ? e.Message[..cut] : e.Message).TrimEnd('.')}");
        }
    }

    private int SourceId(ref Utf8JsonReader reader)
    {
        var name = Text(ref reader);
        Span<char> chars = name.Length <= 256 ? stackalloc char[256] : new char[name.Length];
        int n = Encoding.UTF8.GetChars(name, chars);
        if (_lookup.TryGetValue(chars[..n], out int id))
        {
            return id;
        }

        string key = chars[..n].ToString();
        id = _mapping!.AddSource(key);
        if (id >= 0)
        {
            _sourceIds.Add(key, id);
        }

        return id;
    }

    private ReadOnlySpan<byte> Text(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        // Unescaping never makes text longer; a value too long for the scratch buffer is too long for an event anyway.
        var raw = reader.ValueSpan;
        return raw.Length <= _unescaped.Length ? _unescaped.AsSpan(0, reader.CopyString(_unescaped)) : raw;
    }

    private enum LineStatus
    {
        Line,
        TooLong,
        End,
    }

    private LineStatus NextLine(out int start, out int length)
    {
        bool skipping = false;
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                start = _start;
                length = newline;
                _start += newline + 1;
                if (skipping)
                {
                    return LineStatus.TooLong;
                }

                return LineStatus.Line;
            }

            if (_eof)
            {
                start = _start;
                length = _end - _start;
                _start = _end;
                return skipping ? LineStatus.TooLong : length > 0 ? LineStatus.Line : LineStatus.End;
            }

            if (_end - _start >= MaxLineBytes)
            {
                skipping = true; // Drop what we have of the line and keep reading to its end.
                _start = _end;
            }

            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes + 1));
        }

        int read = _input.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    public void Dispose()
    {
        _input.Dispose();
        _file.Dispose();
    }
}
