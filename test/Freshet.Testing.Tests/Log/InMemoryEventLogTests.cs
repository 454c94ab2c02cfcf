using Freshet.Events;
using Freshet.Seams;
using Freshet.Testing.Log;

namespace Freshet.Testing.Tests.Log;

/// <summary>The throwaway in-memory log passes the same contract kit as the file log: the log seam is real.</summary>
public sealed class InMemoryEventLogTests : EventLogContract
{
    private InMemoryEventLog.Storage? _storage;

    protected override IEventLog Open(int partitions, StringInterner strings) =>
        new InMemoryEventLog(_storage ??= new InMemoryEventLog.Storage(partitions), strings);

    protected override void Crash(IEventLog log) => ((InMemoryEventLog)log).Crash();

    protected override void Break(IEventLog log, int partition) => ((InMemoryEventLog)log).Fail(new IOException("the connection dropped"));
}
