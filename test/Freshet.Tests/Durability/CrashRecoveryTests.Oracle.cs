using System.Globalization;

namespace Freshet.Cli.Tests.Durability;

/// <summary>The crash test's oracle: every event sent and what the server told the clients about it.</summary>
public sealed partial class CrashRecoveryTests
{
    /// <summary>One event as the clients sent it: key <c>k{n}</c> is its alone, so its count is observable by itself.</summary>
    private sealed class SentEvent(int number, long timeMs, int amount)
    {
        public int Number => number;

        public string Key { get; } = "k" + number.ToString(CultureInfo.InvariantCulture);

        public long TimeMs => timeMs;

        public int Amount => amount;

        public Fate Fate { get; set; } = Fate.Sending;

        public int Sends { get; set; } = 1;
    }

    /// <summary>
    /// What the server told the clients about every event: acknowledged (a 200 for a request holding it) or in doubt
    /// (every attempt failed without an answer). Events in doubt are handed out again for resending.
    /// </summary>
    private sealed class IngestOracle
    {
        private readonly Lock _gate = new();
        private readonly List<SentEvent> _events = [];
        private readonly List<SentEvent> _acknowledged = [];
        private readonly Queue<SentEvent> _inDoubt = new();
        private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
        private long _resentInDoubt;
        private long _resentInDoubtFoundCounted;
        private long _resentAcknowledged;

        /// <summary>Answers that contradict what the clients know (only written under the lock, read once clients stopped).</summary>
        public List<string> Problems { get; } = [];

        public long Acknowledged
        {
            get { lock (_gate) { return _acknowledged.Count; } }
        }

        /// <summary>Events in doubt that were resent and then acknowledged.</summary>
        public long ResentInDoubt
        {
            get { lock (_gate) { return _resentInDoubt; } }
        }

        public List<SentEvent> Snapshot()
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }

        public (BatchKind Kind, List<SentEvent> Batch) NextBatch(Random random)
        {
            lock (_gate)
            {
                double choice = random.NextDouble();
                if (choice < 0.25 && _inDoubt.Count > 0)
                {
                    var resent = new List<SentEvent>();
                    for (int n = random.Next(1, 21); n > 0 && _inDoubt.TryDequeue(out var e); n--)
                    {
                        (e.Fate, e.Sends) = (Fate.Sending, e.Sends + 1);
                        resent.Add(e);
                    }

                    return (BatchKind.ResendInDoubt, resent);
                }

                if (choice < 0.30 && _acknowledged.Count > 0)
                {
                    return (BatchKind.ResendAcknowledged, [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => _acknowledged[random.Next(_acknowledged.Count)]).Distinct()]);
                }

                // The wall clock: the server checks max_future against it.
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var fresh = Enumerable.Range(0, random.Next(1, 21)).Select(i => new SentEvent(_events.Count + i, now, random.Next(1, 1000))).ToList();
                _events.AddRange(fresh);
                return (BatchKind.New, fresh);
            }
        }

        /// <summary><paramref name="count"/> new events, for a client that sends them one batch at a time.</summary>
        public List<SentEvent> NewBatch(int count, Random random)
        {
            lock (_gate)
            {
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var fresh = Enumerable.Range(0, count).Select(i => new SentEvent(_events.Count + i, now, random.Next(1, 1000))).ToList();
                _events.AddRange(fresh);
                return fresh;
            }
        }

        public void Settle(BatchKind kind, List<SentEvent> batch, PostAnswer answer)
        {
            lock (_gate)
            {
                if (answer.Status == 200)
                {
                    if (answer.Accepted + answer.Duplicates != batch.Count || (kind == BatchKind.New && answer.Duplicates != 0)
                        || (kind == BatchKind.ResendAcknowledged && answer.Accepted != 0))
                    {
                        Problems.Add($"{kind} batch {string.Join(',', batch.Select(e => e.Key))}: 200 with {answer.Accepted} accepted and {answer.Duplicates} duplicates");
                    }

                    if (kind == BatchKind.ResendAcknowledged)
                    {
                        _resentAcknowledged += batch.Count;
                        return;
                    }

                    if (kind == BatchKind.ResendInDoubt)
                    {
                        _resentInDoubt += batch.Count;
                        _resentInDoubtFoundCounted += answer.Duplicates;
                    }

                    batch.ForEach(e => e.Fate = Fate.Acknowledged);
                    _acknowledged.AddRange(batch);
                    return;
                }

                string reason = answer.Status == 0 ? answer.Error![..answer.Error!.IndexOf(':', StringComparison.Ordinal)] : answer.Status.ToString(CultureInfo.InvariantCulture);
                _failures[reason] = _failures.GetValueOrDefault(reason) + 1;
                if (answer.Status is 400 or 413 or 415 or 422)
                {
                    // Nothing the clients send is invalid, so this is the server refusing good events.
                    Problems.Add($"{kind} batch {string.Join(',', batch.Select(e => e.Key))}: {answer.Status} {answer.Error}");
                }

                if (kind != BatchKind.ResendAcknowledged)
                {
                    batch.ForEach(e => e.Fate = Fate.InDoubt);
                    batch.ForEach(_inDoubt.Enqueue);
                }
            }
        }

        public string Summary()
        {
            lock (_gate)
            {
                return $"{_events.Count} events sent, {_acknowledged.Count} acknowledged, {_inDoubt.Count} still in doubt; requests without a 200: "
                    + $"{string.Join(", ", _failures.Select(f => $"{f.Value} {f.Key}"))}; {_resentInDoubt} events in doubt resent and acknowledged "
                    + $"({_resentInDoubtFoundCounted} of them already counted), {_resentAcknowledged} acknowledged ones resent";
            }
        }
    }
}
