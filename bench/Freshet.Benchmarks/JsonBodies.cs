using System.Globalization;
using System.Text;

namespace Freshet.Benchmarks;

/// <summary>
/// An NDJSON request body of events as clients send them (known users and items, a price), optionally with one field no
/// feature reads (<c>note</c>) whose value is new on every <see cref="Renew"/>: the case of ids or free text that nothing
/// aggregates. The note's digits are rewritten in place, so producing new values allocates nothing.
/// </summary>
internal sealed class JsonBodies
{
    private const int Digits = 12;
    private readonly int[] _notePositions;
    private long _serial;

    public JsonBodies(int events, bool uniqueNotes, long timeMs = 1_763_719_200_000)
    {
        var text = new StringBuilder(events * 110);
        var positions = new List<int>();
        for (int i = 0; i < events; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"view\",\"time\":{timeMs + i},\"item\":\"i{(i * 7919) % 100_000}\",\"user\":\"u{(i * 104_729) % 200_000}\",\"price\":{i % 128}");
            if (uniqueNotes)
            {
                text.Append(",\"note\":\"n");
                positions.Add(Encoding.UTF8.GetByteCount(text.ToString()));
                text.Append('0', Digits).Append('"');
            }

            text.Append("}\n");
        }

        Body = Encoding.UTF8.GetBytes(text.ToString());
        _notePositions = [.. positions];
    }

    public byte[] Body { get; }

    /// <summary>Gives every note a value never used before.</summary>
    public void Renew()
    {
        var body = Body.AsSpan();
        foreach (int position in _notePositions)
        {
            long n = ++_serial;
            for (int d = Digits - 1; d >= 0; d--)
            {
                body[position + d] = (byte)('0' + (n % 10));
                n /= 10;
            }
        }
    }
}
