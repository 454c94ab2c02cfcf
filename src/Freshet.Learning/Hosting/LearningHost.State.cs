using System.Buffers.Binary;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Learning.Hosting;

/// <summary>
/// The host's model state files: <c>&lt;name&gt;.model</c> holds a magic, the format version, the definition's
/// fingerprint, the position of the next event the model would learn and the model's own state, then an XXH64 of all that.
/// </summary>
public sealed partial class LearningHost
{
    private static ReadOnlySpan<byte> Magic => "FRSHMODL"u8;
    private const int FormatVersion = 1;

    /// <summary>Saves every model's state with its next offset: written beside, synced, then renamed over the old file.</summary>
    private void SaveAll()
    {
        if (_stateDirectory is null)
        {
            return;
        }

        Span<byte> check = stackalloc byte[8];
        foreach (var slot in _slots)
        {
            try
            {
                using var body = new MemoryStream();
                using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Magic);
                    w.Write(FormatVersion);
                    w.Write(slot.Fingerprint);
                    w.Write(slot.NextOffset);
                    slot.Save(w);
                }

                var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(check, XxHash64.Hash(bytes));
                string path = PathOf(slot);
                using (var file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes);
                    file.Write(check);
                    file.Flush(flushToDisk: true);
                }

                File.Move(path + ".tmp", path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(e, $"saving model '{slot.Name}'");
            }
        }
    }

    /// <summary>Loads a model's saved state; returns its next offset, or null to start afresh (none, changed definition, damaged).</summary>
    private long? TryLoad(Slot slot)
    {
        string path = PathOf(slot);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var all = File.ReadAllBytes(path);
            if (all.Length < 16 || BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(all.Length - 8)) != XxHash64.Hash(all.AsSpan(0, all.Length - 8)))
            {
                throw new InvalidDataException("damaged (checksum mismatch)");
            }

            using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 8));
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || r.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException("not a model state file of this version");
            }

            if (r.ReadString() != slot.Fingerprint)
            {
                return null; // The definition changed: the model learns the retained log afresh.
            }

            long next = r.ReadInt64();
            slot.Load(r);
            return next;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or UnauthorizedAccessException)
        {
            Fail(e, $"loading {path} (the model starts afresh)");
            return null;
        }
    }

    private string PathOf(Slot slot) => Path.Combine(_stateDirectory!, slot.Name + ".model");

    /// <summary>One model as the host drives it.</summary>
    private sealed class Slot(string name, string fingerprint, Action<EventBatch, int> observe, Action<BinaryWriter> save, Action<BinaryReader> load)
    {
        public string Name { get; } = name;

        public string Fingerprint { get; } = fingerprint;

        /// <summary>Offset of the next event this model would learn.</summary>
        public long NextOffset { get; set; }

        public void Observe(EventBatch batch, int index) => observe(batch, index);

        public void Save(BinaryWriter w) => save(w);

        public void Load(BinaryReader r) => load(r);
    }
}
