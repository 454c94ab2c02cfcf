using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Freshet.Engine.Storage;

/// <summary>
/// Reads a file written by <see cref="BlockFileWriter"/>: every block is checked against its CRC before any of its
/// bytes are handed out, and the end marker must be present, so a damaged or cut file always ends in a
/// <see cref="StorageException"/> (<see cref="StorageProblem.Corrupt"/>) naming the file and the offset.
/// </summary>
internal sealed class BlockFileReader : IDisposable
{
    private const int MaxBlockBytes = 256 << 20;

    private readonly Stream _stream;
    private readonly string _path;
    private byte[] _block = [];
    private byte[] _scratch = [];
    private int _position;
    private int _length;
    private long _fileOffset;
    private long _total;
    private bool _ended;

    public BlockFileReader(Stream stream, string path, ReadOnlySpan<byte> magic, int version)
    {
        _stream = stream;
        _path = path;
        Span<byte> header = stackalloc byte[BlockFileWriter.HeaderBytes];
        if (ReadFully(header) < header.Length)
        {
            throw Corrupt("the file is shorter than its header");
        }

        if (!header[..8].SequenceEqual(magic))
        {
            throw Corrupt($"it does not start with '{Encoding.ASCII.GetString(magic)}'");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) != Crc32C.Compute(header[..12]))
        {
            throw Corrupt("its header fails its checksum");
        }

        int found = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (found != version)
        {
            throw Corrupt($"format version {found}, this build reads version {version}");
        }

        _fileOffset = header.Length;
    }

    /// <summary>True once every data byte has been read (the end marker was reached and verified).</summary>
    public bool AtEnd => _position == _length && (_ended || !LoadBlock());

    public int ReadInt32()
    {
        Span<byte> bytes = stackalloc byte[4];
        ReadExactly(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }

    public long ReadInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        ReadExactly(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    public string ReadString()
    {
        int length = ReadInt32();
        if (length < 0 || length > MaxBlockBytes)
        {
            throw Corrupt($"a string of {length} bytes");
        }

        return Encoding.UTF8.GetString(ReadBytes(length));
    }

    /// <summary>The next <paramref name="count"/> bytes; valid until the next read.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > MaxBlockBytes)
        {
            throw Corrupt($"a length of {count}");
        }

        if (_position + count <= _length)
        {
            var span = _block.AsSpan(_position, count);
            _position += count;
            return span;
        }

        if (_scratch.Length < count)
        {
            _scratch = new byte[Math.Max(count, 4096)];
        }

        ReadExactly(_scratch.AsSpan(0, count));
        return _scratch.AsSpan(0, count);
    }

    /// <summary>What is left of the current block without crossing into the next (loads the next block when empty).</summary>
    public ReadOnlySpan<byte> PeekBlock()
    {
        if (_position == _length && !LoadBlock())
        {
            return [];
        }

        return _block.AsSpan(_position, _length - _position);
    }

    public void Skip(int count)
    {
        if (count < 0)
        {
            throw Corrupt($"a length of {count}");
        }

        while (count > 0)
        {
            if (_position == _length && !LoadBlock())
            {
                throw Corrupt("the data ends inside a value being skipped");
            }

            int n = Math.Min(count, _length - _position);
            _position += n;
            count -= n;
        }
    }

    public void ReadExactly(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_position == _length && !LoadBlock())
            {
                throw Corrupt("the data ends before the value being read");
            }

            int n = Math.Min(destination.Length, _length - _position);
            _block.AsSpan(_position, n).CopyTo(destination);
            _position += n;
            destination = destination[n..];
        }
    }

    /// <summary>Confirms that nothing follows the data just read but the end marker.</summary>
    public void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw Corrupt("more data follows what the file says it holds");
        }
    }

    public StorageException Corrupt(string what) =>
        new(StorageProblem.Corrupt, $"{_path} is damaged near byte {_fileOffset:N0}: {what}");

    public void Dispose()
    {
        if (_block.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_block);
            _block = [];
        }
    }

    private bool LoadBlock()
    {
        if (_ended)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[BlockFileWriter.BlockHeaderBytes];
        if (ReadFully(header) < header.Length)
        {
            throw Corrupt("the file is cut short (no end marker)");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length == 0)
        {
            Span<byte> total = stackalloc byte[8];
            if (ReadFully(total) < total.Length || Crc32C.Compute(total) != crc)
            {
                throw Corrupt("the end marker is damaged");
            }

            if (BinaryPrimitives.ReadInt64LittleEndian(total) != _total)
            {
                throw Corrupt($"the end marker says {BinaryPrimitives.ReadInt64LittleEndian(total):N0} data bytes, the blocks hold {_total:N0}");
            }

            _ended = true;
            _position = _length = 0;
            return false;
        }

        if (length < 0 || length > MaxBlockBytes)
        {
            throw Corrupt($"a block length of {length}");
        }

        if (_block.Length < length)
        {
            if (_block.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_block);
            }

            _block = ArrayPool<byte>.Shared.Rent(length);
        }

        if (ReadFully(_block.AsSpan(0, length)) < length)
        {
            throw Corrupt("the file is cut short inside a block");
        }

        if (Crc32C.Compute(_block.AsSpan(0, length)) != crc)
        {
            throw Corrupt("a block fails its checksum");
        }

        _fileOffset += BlockFileWriter.BlockHeaderBytes + length;
        _total += length;
        _position = 0;
        _length = length;
        return true;
    }

    private int ReadFully(Span<byte> destination)
    {
        int read = 0;
        while (read < destination.Length)
        {
            int n = _stream.Read(destination[read..]);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }
}
