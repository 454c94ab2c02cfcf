using Freshet.Engine.Shards;
using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine;

/// <summary>
/// Reclaiming string ids that state no longer holds (docs/STRING-RECLAMATION.md): each checkpoint marks the ids its
/// tiles hold; after it commits, ids that no kept checkpoint and no live tile holds, and that no event promoted since
/// the checkpoint began, are freed, journaled as freed, and never handed out again.
/// </summary>
public sealed partial class FreshetEngine
{
    // The marks of the checkpoints this process wrote, by offset, newest last. Recovery may fall back to any kept
    // checkpoint, so an id is freed only when every kept checkpoint's marks say it is unused.
    private readonly List<(long Offset, StringMarks Marks)> _stringMarks = [];
    private long _stringsFreed;

    /// <summary>String ids freed since the engine started.</summary>
    public long StringsFreed => Interlocked.Read(ref _stringsFreed);

    /// <summary>
    /// After checkpoint <paramref name="request"/> committed (and old checkpoints were pruned): frees the ids it proves
    /// unused and journals them. Never fails the checkpoint; returns a note for the diagnostics (empty when nothing was freed).
    /// </summary>
    private string ReclaimStrings(EngineStorage storage, CheckpointRequest request, int markEpoch)
    {
        var marks = request.Marks!;
        _stringMarks.Add((request.Offset, marks));
        List<long> kept;
        try
        {
            kept = storage.Checkpoints.List(EngineStorage.Partition).Select(c => c.Position.Offset).ToList();
        }
        catch (IOException)
        {
            return "";
        }

        _stringMarks.RemoveAll(m => !kept.Contains(m.Offset));
        if (kept.Count == 0 || kept.Any(offset => !_stringMarks.Exists(m => m.Offset == offset)))
        {
            // A kept checkpoint of an earlier process: its marks are unknown, so nothing can be proven unused yet.
            Strings.ReleaseRetired();
            return "";
        }

        var candidates = new List<int>();
        for (int id = 1; id < marks.Bound; id++)
        {
            int stamp = Strings.StampOf(id);
            if (stamp < markEpoch && stamp != StringInterner.Freed && !_stringMarks.Exists(m => m.Marks.IsMarked(id)))
            {
                candidates.Add(id);
            }
        }

        List<int> freed;
        var lengths = new List<int>();
        lock (_router.IngestLock)
        {
            // Promotions (which restamp ids) run under this lock: no event can take one of these ids while they are freed.
            freed = Strings.Free(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates), markEpoch);
        }

        if (freed.Count == 0)
        {
            return "";
        }

        foreach (int id in freed)
        {
            lengths.Add(System.Text.Encoding.UTF8.GetByteCount(Strings[id])); // Still readable: dropped at the next free at the earliest.
        }

        Interlocked.Add(ref _stringsFreed, freed.Count);
        storage.Options.FaultPoint?.Invoke("strings-freed");
        try
        {
            storage.Journal.AppendFreed(freed, lengths);
            storage.Options.FaultPoint?.Invoke("strings-journaled");
            if (storage.Journal.WorthCompacting)
            {
                storage.Journal.Compact();
                storage.Options.FaultPoint?.Invoke("journal-compacted");
            }
        }
        catch (StorageException error)
        {
            // The ids stay freed here; unjournaled, they are live again after a restart and freed again then.
            storage.Options.Diagnostics?.Invoke($"journaling {freed.Count:N0} freed string ids failed ({error.Message}); the next start frees them again");
        }

        return $"; freed {freed.Count:N0} unused string ids";
    }
}
