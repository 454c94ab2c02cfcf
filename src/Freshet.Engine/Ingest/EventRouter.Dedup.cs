using Freshet.Seams;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Ingest;

internal sealed partial class EventRouter
{
    /// <summary>
    /// Makes room in the dedup window for the ids of <paramref name="batch"/> before any of its events is taken; a
    /// refusal when the window's memory budget cannot hold them while every remembered id is still inside the promised
    /// horizon. Refusing the whole batch keeps a resend safe: nothing of it was counted, and forgetting ids early instead
    /// would count a retry twice.
    /// </summary>
    private DedupRefusal? ReserveDedup(EventBatch batch, CatalogSettings settings, long wall, long now)
    {
        int ids = 0;
        // The clock the batch will leave behind (event time: its newest event that max_future lets in; a later one is
        // rejected and must not expire anything), so the window expires what that clock expires; otherwise a full window
        // would refuse the very events that move the clock and never free itself.
        long clock = now;
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var e = ref batch[i];
            if (e.IdHash != 0)
            {
                ids++;
            }

            if (settings.Clock == ClockMode.EventTime && e.TimeMs <= wall + settings.MaxFutureMs && e.TimeMs > clock)
            {
                clock = e.TimeMs;
            }
        }

        if (ids == 0 || _dedup.TryReserve(ids, clock))
        {
            return null;
        }

        // Full: count only the ids it does not remember yet (a resend of a batch already taken needs no room and must
        // still be acknowledged as duplicates). Done only here, so the usual path looks each id up once.
        int unknown = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            ulong id = batch[i].IdHash;
            if (id != 0 && !_dedup.Remembers(id))
            {
                unknown++;
            }
        }

        if (unknown == 0 || _dedup.TryReserve(unknown, clock))
        {
            return null;
        }

        _dedup.CountRefusal(unknown);
        ids = unknown;

        long covered = _dedup.CoveredMs(clock);
        long retryAfter = Math.Max(1000, _dedup.MsUntilOldestExpires(clock));
        string message = $"the dedup window is full: its {FormatBytes(_dedup.Bytes)} (of a {FormatBytes(_dedup.BudgetBytes)} budget, --dedup-memory) hold "
            + $"{_dedup.Count:N0} event ids, the oldest {Time.Duration.Format(covered)} old, inside the promised {Time.Duration.Format(_dedup.HorizonMs)} "
            + $"horizon (--dedup-horizon), and this request's {ids:N0} ids do not fit. Nothing of it was taken: resend it after "
            + $"{Time.Duration.Format(retryAfter)}, when the oldest ids expire, or raise --dedup-memory or shorten --dedup-horizon. "
            + "Events without an id are not affected.";
        return new DedupRefusal(message, retryAfter, ids, _dedup.HorizonMs, covered, _dedup.Bytes, _dedup.BudgetBytes);
    }

    private DedupStats DedupStatsNow() => new(
        _dedup.HorizonMs, _dedup.CoveredMs(NowMs), _dedup.Count, _dedup.Bytes, _dedup.BudgetBytes, _dedup.CapacityIds,
        _dedup.RefusedBatches, _dedup.RefusedIds, _dedup.ForgottenEarly);

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };
}
