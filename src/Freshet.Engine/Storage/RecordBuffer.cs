using System.Buffers;
using System.Buffers.Binary;

namespace Freshet.Engine.Storage;

/// <summary>A growable byte buffer from the shared pool, for records waiting to be written (the event log's group commits, the id journal's appends).</summary>
internal sealed class RecordBuffer : IDisposable
{
    private byte[] _bytes;

    public RecordBuffer(int initialBytes = 1 << 16) => _bytes = ArrayPool<byte>.Shared.Rent(initialBytes);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public Span<byte> Span(int start, int length) => _bytes.AsSpan(start, length);

    public void Clear() => Length = 0;

    public void Advance(int count)
    {
        Ensure(count);
        Length += count;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _bytes[Length++] = value;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_bytes.AsSpan(Length), value);
        Length += 8;
    }

    public void WriteDouble(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_bytes.AsSpan(Length), value);
        Length += 8;
    }

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        var bytes = _bytes;
        int n = Length;
        while (value >= 0x80)
        {
            bytes[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        bytes[n++] = (byte)value;
        Length = n;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        Ensure(data.Length);
        data.CopyTo(_bytes.AsSpan(Length));
        Length += data.Length;
    }

    /// <summary>Gives a buffer that grew far beyond <paramref name="keepBytes"/> back to the pool and starts small again.</summary>
    public void Shrink(int keepBytes)
    {
        if (_bytes.Length > keepBytes * 4 && Length == 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = ArrayPool<byte>.Shared.Rent(keepBytes);
        }
    }

    public void Dispose()
    {
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = [];
        }
    }

    private void Ensure(int count)
    {
        if (Length + count > _bytes.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(Length + count, _bytes.Length * 2));
            _bytes.AsSpan(0, Length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = grown;
        }
    }
}
