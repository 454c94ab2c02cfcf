using System.IO.Hashing;

namespace Freshet.Engine.Storage;

/// <summary>CRC-32C (Castagnoli), the checksum of log records and checkpoint blocks: hardware-accelerated by System.IO.Hashing.</summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

}
