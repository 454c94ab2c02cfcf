using Freshet.Engine.Storage;

namespace Freshet.Engine.Tests.Storage;

/// <summary>The checksummed block file under checkpoints: round trips across block edges, and any damage is caught.</summary>
public sealed class BlockFileTests
{
    private static readonly byte[] Magic = "FRSHTTST"u8.ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Write_ValuesOfEverySizeAcrossSmallBlocks_ReadBackIdentically(int seed)
    {
        var random = new Random(seed);
        var values = new List<byte[]>();
        using var file = new MemoryStream();
        using (var writer = new BlockFileWriter(file, Magic, 7, blockBytes: 64))
        {
            for (int i = 0; i < 500; i++)
            {
                // Mostly small values, some larger than a block (which then grows for them), through every write path.
                var value = new byte[random.Next(10) == 0 ? random.Next(65, 400) : random.Next(0, 40)];
                random.NextBytes(value);
                values.Add(value);
                writer.WriteInt32(value.Length);
                switch (i % 3)
                {
                    case 0:
                        writer.WriteBytes(value);
                        break;
                    case 1:
                        value.CopyTo(writer.GetSpan(value.Length));
                        writer.Advance(value.Length);
                        break;
                    default:
                        writer.WriteBytes(value.AsSpan(0, value.Length / 2));
                        writer.WriteBytes(value.AsSpan(value.Length / 2));
                        break;
                }

                writer.WriteInt64(i);
            }

            writer.WriteString("the end ✓");
            writer.Complete();
        }

        file.Position = 0;
        using var reader = new BlockFileReader(file, "test", Magic, 7);
        for (int i = 0; i < values.Count; i++)
        {
            int length = reader.ReadInt32();
            Assert.Equal(values[i], reader.ReadBytes(length).ToArray());
            Assert.Equal(i, reader.ReadInt64());
        }

        Assert.Equal("the end ✓", reader.ReadString());
        reader.ExpectEnd();
    }

    [Fact]
    public void Read_AnyFlippedBitOrCut_IsReportedAsDamage()
    {
        using var original = new MemoryStream();
        using (var writer = new BlockFileWriter(original, Magic, 1, blockBytes: 32))
        {
            for (int i = 0; i < 40; i++)
            {
                writer.WriteInt64(i * 1_000_003L);
            }

            writer.Complete();
        }

        byte[] bytes = original.ToArray();
        for (int position = 0; position < bytes.Length; position++)
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[position] ^= 0x01;
            Assert.True(Fails(damaged), $"a flipped bit at byte {position} went unnoticed");
        }

        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.True(Fails(bytes[..length]), $"the file cut to {length} of {bytes.Length} bytes went unnoticed");
        }
    }

    private static bool Fails(byte[] bytes)
    {
        try
        {
            using var reader = new BlockFileReader(new MemoryStream(bytes), "test", Magic, 1);
            for (int i = 0; i < 40; i++)
            {
                if (reader.ReadInt64() != i * 1_000_003L)
                {
                    return true;
                }
            }

            reader.ExpectEnd();
            return false;
        }
        catch (StorageException error) when (error.Problem == StorageProblem.Corrupt)
        {
            return true;
        }
    }
}
