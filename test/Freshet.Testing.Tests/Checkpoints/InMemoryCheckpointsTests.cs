using Freshet.Seams;
using Freshet.Testing.Checkpoints;

namespace Freshet.Testing.Tests.Checkpoints;

/// <summary>The throwaway in-memory checkpoints pass the same contract kit as the checkpoint folders.</summary>
public sealed class InMemoryCheckpointsTests : PartitionCheckpointsContract
{
    private InMemoryCheckpoints.Storage? _storage;

    protected override IPartitionCheckpoints Open(int partitions) => new InMemoryCheckpoints(_storage ??= new InMemoryCheckpoints.Storage(partitions));
}
