using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Freshet.Engine.Storage;

/// <summary>
/// Writes a checksummed file of blocks: a 16-byte header (an 8-byte magic naming the kind of file, a format
/// version, a CRC-32C of those 12 bytes), then blocks of <c>[u32 length][u32 CRC-32C][data]</c>, then an end block of length 0
/// whose CRC covers the total data length, followed by that length. A reader therefore detects a flipped bit in any
/// block and a file cut anywhere, including at a block boundary. Data is one logical stream: callers write through
/// <see cref="IBufferWriter{T}"/> or the typed helpers, and a value may straddle blocks.
/// </summary>
internal sealed class BlockFileWriter : IBufferWriter<byte>, IDisposable
{
    public const int HeaderBytes = 16;
    public const int BlockHeaderBytes = 8;
    private const int DefaultBlockBytes = 1 << 20;

    private readonly Stream _stream;
    private readonly int _blockBytes;
    private byte[] _buffer;
    private int _used;
    private long _total;

    public BlockFileWriter(Stream stream, ReadOnlySpan<byte> magic, int version, int blockBytes = DefaultBlockBytes)
    {
        if (magic.Length != 8)
        {
            throw new ArgumentException("the magic is 8 bytes", nameof(magic));
        }

        _stream = stream;
        _blockBytes = blockBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(BlockHeaderBytes + blockBytes);
        Span<byte> header = stackalloc byte[HeaderBytes];
        magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], Crc32C.Compute(header[..12]));
        _stream.Write(header);
        _used = BlockHeaderBytes;
    }

    public void Advance(int count) => _used += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_used);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(GetSpan(8), value);
        Advance(8);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            // At or past a block's worth (a block grows past it for one value larger than a block): start a new one.
            if (_used >= BlockHeaderBytes + _blockBytes)
            {
                FlushBlock();
            }

            int n = Math.Min(bytes.Length, BlockHeaderBytes + _blockBytes - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>A length-prefixed UTF-8 string.</summary>
    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        var span = GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        Advance(length);
    }

    /// <summary>Writes the last block and the end marker and flushes to disk (fsync).</summary>
    public void Complete()
    {
        if (_used > BlockHeaderBytes)
        {
            FlushBlock();
        }

        Span<byte> end = stackalloc byte[BlockHeaderBytes + 8];
        BinaryPrimitives.WriteInt64LittleEndian(end[BlockHeaderBytes..], _total);
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(end[4..], Crc32C.Compute(end[BlockHeaderBytes..]));
        _stream.Write(end);
        if (_stream is FileStream file)
        {
            file.Flush(flushToDisk: true);
        }
        else
        {
            _stream.Flush();
        }
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Reserve(int sizeHint)
    {
        int room = _buffer.Length - _used;
        if (sizeHint <= 0)
        {
            sizeHint = 1;
        }

        if (_used - BlockHeaderBytes >= _blockBytes || (sizeHint > room && _used > BlockHeaderBytes))
        {
            FlushBlock();
            room = _buffer.Length - _used;
        }

        if (sizeHint > room)
        {
            // One value larger than a block (a dense sketch in a small-block file): the block grows for it.
            var grown = ArrayPool<byte>.Shared.Rent(BlockHeaderBytes + sizeHint);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
    }

    private void FlushBlock()
    {
        int length = _used - BlockHeaderBytes;
        var span = _buffer.AsSpan(0, _used);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span[BlockHeaderBytes..]));
        _stream.Write(span);
        _total += length;
        _used = BlockHeaderBytes;
    }
}
