using System.Buffers.Binary;
using System.Globalization;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Log;

/// <summary>
/// One file of the event log, named by the offset of its first event (<c>00000000000000001234.log</c>) and starting
/// with a 32-byte header: magic <c>FRSHTLOG</c>, format version, first offset and a CRC-32C of those. Records follow
/// back to back. Only the newest segment is ever appended to.
/// </summary>
internal static class LogSegment
{
    public const int HeaderSize = 32;
    public const int Version = 1;
    public const string Extension = ".log";
    private static ReadOnlySpan<byte> Magic => "FRSHTLOG"u8;

    public static string FileName(long firstOffset) => firstOffset.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The segments in a directory, oldest first, as (first offset, path).</summary>
    public static List<(long FirstOffset, string Path)> List(string directory)
    {
        var segments = new List<(long, string)>();
        foreach (string path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long first))
            {
                segments.Add((first, path));
            }
        }

        segments.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return segments;
    }

    public static void WriteHeader(Span<byte> header, long firstOffset)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], firstOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], Crc32C.Compute(header[..24]));
    }

    /// <summary>Checks a segment header; null when it is fine, otherwise what is wrong.</summary>
    public static string? CheckHeader(ReadOnlySpan<byte> header, long expectedFirstOffset)
    {
        if (header.Length < HeaderSize)
        {
            return $"the file is {header.Length} bytes, shorter than the {HeaderSize}-byte segment header";
        }

        if (!header[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(header[24..]) != Crc32C.Compute(header[..24]))
        {
            return "the segment header is damaged";
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            return $"segment format version {version}; this build reads version {Version}";
        }

        long first = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        return first == expectedFirstOffset ? null : $"the header says the segment starts at offset {first}, its name says {expectedFirstOffset}";
    }
}
