using Freshet.Engine.Log;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Storage;
using Freshet.Events;
using Freshet.Seams;
using Freshet.Testing.Log;

namespace Freshet.Engine.Tests.Log;

/// <summary>The file log with three partitions (a folder each) passes the log contract kit.</summary>
public class FileEventLogTests : EventLogContract
{
    private readonly string _directory = DurableEngine.NewDirectory();

    protected string LogDirectory => Path.Combine(_directory, "log");

    protected override IEventLog Open(int partitions, StringInterner strings)
    {
        // Small segments, so a trim has whole segments to drop; 'always', so a durable append is on disk before a crash.
        var options = new StorageOptions { Directory = _directory, Durability = Durability.Always, SegmentBytes = 4 << 10 };
        var log = FileEventLog.Open(LogDirectory, partitions, options, TimeProvider.System, strings);
        log.Start();
        return log;
    }

    protected override void Crash(IEventLog log) => ((FileEventLog)log).Abandon();

    protected override void Break(IEventLog log, int partition) =>
        Directory.Delete(FileEventLog.PartitionDirectory(LogDirectory, log.Partitions, partition), recursive: true);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public void Open_ThreePartitions_KeepsEachInAFolderOfItsOwn()
    {
        using var log = Open(3, new StringInterner());

        for (int p = 0; p < 3; p++)
        {
            Assert.Single(Directory.GetFiles(Path.Combine(LogDirectory, $"partition-{p:D3}"), "*.log"));
        }

        Assert.Empty(Directory.GetFiles(LogDirectory, "*.log"));
    }

    [Fact]
    public void Open_ALogOfOnePartitionAsThree_IsRefusedSayingWhy()
    {
        Open(1, new StringInterner()).Dispose();

        var error = Assert.Throws<StorageException>(() => Open(3, new StringInterner()));

        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains("another partition count", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// The file log with one partition, as the embedded engine runs it, passes the same kit; its segments lie in the log
/// directory itself, named by the offset of their first event, as before partitions existed.
/// </summary>
public sealed class SinglePartitionFileEventLogTests : FileEventLogTests
{
    protected override int Partitions => 1;

    [Fact]
    public async Task Append_OnePartition_WritesTheSegmentsWhereTheEngineAlwaysHad()
    {
        using var log = Open(1, Strings);
        var end = log.Append(0, Batch(0, 10), 0, 10);
        await log.WaitDurableAsync(0, end);

        Assert.Equal(["00000000000000000000.log"], Directory.GetFiles(LogDirectory).Select(Path.GetFileName));
        Assert.Empty(Directory.GetDirectories(LogDirectory));
    }

    [Fact]
    public void Open_ALogOfThreePartitionsAsOne_IsRefused()
    {
        Open(3, new StringInterner()).Dispose();

        Assert.Equal(StorageProblem.Corrupt, Assert.Throws<StorageException>(() => Open(1, new StringInterner())).Problem);
    }
}
