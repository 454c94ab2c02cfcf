using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary>
/// One request's worth of events as NDJSON, written straight from mapped events, with the file line of every event
/// (to report the server's rejections by line), where each event's line of JSON ends (to split a batch the server
/// finds too large), and the batch's time range (to decide what may be in flight together without making each other
/// late). Reused from a pool.
/// </summary>
/// <remarks>
/// The JSON is written by hand rather than with <c>Utf8JsonWriter</c>, which cost about three times as much per event
/// here: names are escaped once per file (<see cref="FieldNameTable.JsonMember"/>), a value with nothing to escape
/// (nearly all) is copied as is after one vectorized scan, and the input is known to be valid UTF-8 (the mapper checks).
/// </remarks>
internal sealed class OutgoingBatch
{
    /// <summary>Bytes that must be escaped inside a JSON string: the quote, the backslash and control characters.</summary>
    private static readonly SearchValues<byte> MustEscape = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private readonly ArrayBufferWriter<byte> _body;
    private readonly List<long> _lines;
    private readonly List<int> _ends;

    public OutgoingBatch(int capacity)
    {
        _body = new ArrayBufferWriter<byte>(Math.Max(capacity, 16) * 128);
        _lines = new List<long>(capacity);
        _ends = new List<int>(capacity);
    }

    public int Count => _lines.Count;

    public long MinTimeMs { get; private set; } = long.MaxValue;

    public long MaxTimeMs { get; private set; } = long.MinValue;

    /// <summary>The line in the file of event <paramref name="index"/>.</summary>
    public long LineOf(int index) => _lines[index];

    /// <summary>The NDJSON of events <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1.</summary>
    public ReadOnlyMemory<byte> Body(int first, int count)
    {
        int start = first == 0 ? 0 : _ends[first - 1];
        return _body.WrittenMemory[start.._ends[first + count - 1]];
    }

    /// <summary>
    /// Appends <paramref name="e"/> as one line of JSON. <paramref name="idPrefix"/>, when not empty, makes the id
    /// "prefix:line" for events without one of their own, so that a retried request is counted once by the server.
    /// </summary>
    public void Add(MappedEvent e, FieldNameTable names, ReadOnlySpan<byte> idPrefix)
    {
        // Room for the worst case (every byte of every value escaped as \u00XX), so the writing below never checks.
        int worst = 64 + (6 * (idPrefix.Length + e.Id.Length + e.Type.Length));
        foreach (ref readonly var field in e.Fields)
        {
            worst += names.JsonMember(field.NameId).Length + (field.Kind == FieldKind.Number ? 32 : 2 + (6 * field.ValueLength));
        }

        var span = _body.GetSpan(worst);
        int at = 0;
        Put(span, ref at, "{"u8);
        if (!e.Id.IsEmpty)
        {
            Put(span, ref at, "\"id\":"u8);
            PutString(span, ref at, e.Id);
            Put(span, ref at, ","u8);
        }
        else if (!idPrefix.IsEmpty)
        {
            Put(span, ref at, "\"id\":"u8);
            Span<byte> id = stackalloc byte[idPrefix.Length + 21];
            idPrefix.CopyTo(id);
            id[idPrefix.Length] = (byte)':';
            Utf8Formatter.TryFormat(e.Line, id[(idPrefix.Length + 1)..], out int digits);
            PutString(span, ref at, id[..(idPrefix.Length + 1 + digits)]);
            Put(span, ref at, ","u8);
        }

        Put(span, ref at, "\"type\":"u8);
        PutString(span, ref at, e.Type);
        Put(span, ref at, ",\"time\":"u8);
        Utf8Formatter.TryFormat(e.TimeMs, span[at..], out int written);
        at += written;
        foreach (ref readonly var field in e.Fields)
        {
            Put(span, ref at, names.JsonMember(field.NameId));
            if (field.Kind == FieldKind.Number)
            {
                // Shortest text that reads back as the same double; the mapper let no NaN or infinity through.
                field.Number.TryFormat(span[at..], out written, "R", CultureInfo.InvariantCulture);
                at += written;
            }
            else
            {
                PutString(span, ref at, e.TextOf(field));
            }
        }

        Put(span, ref at, "}\n"u8);
        _body.Advance(at);
        _lines.Add(e.Line);
        _ends.Add(_body.WrittenCount);
        MinTimeMs = Math.Min(MinTimeMs, e.TimeMs);
        MaxTimeMs = Math.Max(MaxTimeMs, e.TimeMs);
    }

    public void Clear()
    {
        _body.ResetWrittenCount();
        _lines.Clear();
        _ends.Clear();
        MinTimeMs = long.MaxValue;
        MaxTimeMs = long.MinValue;
    }

    /// <summary>The id prefix for a file: its name, UTF-8.</summary>
    public static byte[] IdPrefixOf(string path) => Encoding.UTF8.GetBytes(Path.GetFileName(path));

    private static void Put(Span<byte> span, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }

    /// <summary>A JSON string of valid UTF-8 text: copied as is unless it has a quote, a backslash or a control character.</summary>
    private static void PutString(Span<byte> span, ref int at, ReadOnlySpan<byte> utf8)
    {
        span[at++] = (byte)'"';
        int escape = utf8.IndexOfAny(MustEscape);
        if (escape < 0)
        {
            utf8.CopyTo(span[at..]);
            at += utf8.Length;
        }
        else
        {
            utf8[..escape].CopyTo(span[at..]);
            at += escape;
            foreach (byte b in utf8[escape..])
            {
                switch (b)
                {
                    case (byte)'"':
                        Put(span, ref at, "\\\""u8);
                        break;
                    case (byte)'\\':
                        Put(span, ref at, "\\\\"u8);
                        break;
                    case (byte)'\n':
                        Put(span, ref at, "\\n"u8);
                        break;
                    case (byte)'\r':
                        Put(span, ref at, "\\r"u8);
                        break;
                    case (byte)'\t':
                        Put(span, ref at, "\\t"u8);
                        break;
                    case < 0x20:
                        Put(span, ref at, "\\u00"u8);
                        span[at++] = (byte)"0123456789abcdef"[b >> 4];
                        span[at++] = (byte)"0123456789abcdef"[b & 0xF];
                        break;
                    default:
                        span[at++] = b;
                        break;
                }
            }
        }

        span[at++] = (byte)'"';
    }
}
