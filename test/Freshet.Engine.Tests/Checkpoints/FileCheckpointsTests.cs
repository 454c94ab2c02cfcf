using Freshet.Engine.Checkpoints;
using Freshet.Engine.Tests.Storage;
using Freshet.Seams;
using Freshet.Testing.Checkpoints;

namespace Freshet.Engine.Tests.Checkpoints;

/// <summary>The checkpoint folders with two partitions (a folder each) pass the checkpoint contract kit.</summary>
public class FileCheckpointsTests : PartitionCheckpointsContract
{
    private readonly string _directory = DurableEngine.NewDirectory();

    protected string CheckpointsDirectory => Path.Combine(_directory, "checkpoints");

    protected override IPartitionCheckpoints Open(int partitions) => new FileCheckpoints(CheckpointsDirectory, partitions);

    protected override void Dispose(bool disposing)
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task Save_WriterThrows_LeavesNoTemporaryFolderBehind()
    {
        var store = new FileCheckpoints(CheckpointsDirectory, 1);

        await Assert.ThrowsAsync<IOException>(() => store.SaveAsync(0, new LogPosition(9), (writer, _) =>
        {
            writer.CreatePart("shard-000").WriteByte(1);
            throw new IOException("disk full");
        }));

        Assert.Empty(Directory.GetDirectories(CheckpointsDirectory));
    }
}

/// <summary>One partition, as the embedded engine runs it: the folders lie in the checkpoints directory itself, as before partitions existed.</summary>
public sealed class SinglePartitionFileCheckpointsTests : FileCheckpointsTests
{
    protected override int Partitions => 1;

    [Fact]
    public async Task Save_OnePartition_NamesTheFolderByTheOffsetAsTheEngineAlwaysHad()
    {
        var store = new FileCheckpoints(CheckpointsDirectory, 1);

        await store.SaveAsync(0, new LogPosition(12_345), (writer, _) =>
        {
            writer.CreatePart("manifest").Dispose();
            return Task.CompletedTask;
        });

        Assert.Equal(["00000000000000012345"], Directory.GetDirectories(CheckpointsDirectory).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(CheckpointsDirectory, "00000000000000012345", "manifest")));
    }
}
