using Freshet.Engine.Storage;
using Freshet.Features;
using Freshet.Options;

namespace Freshet.Engine.Tests.Options;

/// <summary>Each bad engine or storage option is named with its value and what is allowed, all of them at once.</summary>
public sealed class EngineOptionsValidatorTests
{
    private static readonly FeatureSet Empty = new("empty", null, new CatalogSettings(), [], []);

    [Fact]
    public void Validate_Defaults_HaveNoProblem()
    {
        Assert.Empty(EngineOptionsValidator.Validate(new EngineOptions()));
        Assert.Empty(EngineOptionsValidator.Validate(new EngineOptions { Storage = new StorageOptions { Directory = "data" } }));
    }

    public static TheoryData<EngineOptions, string> BadEngineOptions => new()
    {
        { new EngineOptions { ShardCount = 0 }, "ShardCount is 0; allowed: at least 1" },
        { new EngineOptions { QueueCapacity = -1 }, "QueueCapacity is -1; allowed: at least 1 batch" },
        { new EngineOptions { Time = null! }, "Time is null; allowed: a TimeProvider" },
        { new EngineOptions { DedupHorizonMs = -5 }, "DedupHorizonMs is -5; allowed: 0 (no deduplication) or more milliseconds" },
        { new EngineOptions { DedupMemoryBytes = 1000 }, "DedupMemoryBytes is 1000; allowed: at least 65536 bytes (64 KiB)" },
    };

    [Theory]
    [MemberData(nameof(BadEngineOptions))]
    public void Validate_BadEngineOption_NamesItsValueAndWhatIsAllowed(EngineOptions options, string expected)
    {
        var problem = Assert.Single(EngineOptionsValidator.Validate(options));

        Assert.Equal(expected, problem.ToString());
    }

    public static TheoryData<StorageOptions, string> BadStorageOptions => new()
    {
        { new StorageOptions { Directory = " " }, "Storage.Directory is ' '; allowed: a directory path" },
        { new StorageOptions { Directory = "d", Durability = (Durability)7 }, "Storage.Durability is 7; allowed: Always, Interval or None" },
        { new StorageOptions { Directory = "d", FsyncInterval = TimeSpan.Zero }, "Storage.FsyncInterval is 00:00:00; allowed: more than 0" },
        { new StorageOptions { Directory = "d", SegmentBytes = 0 }, "Storage.SegmentBytes is 0; allowed: at least 1 byte" },
        { new StorageOptions { Directory = "d", MaxPendingBytes = 0 }, "Storage.MaxPendingBytes is 0; allowed: at least 1 byte" },
        { new StorageOptions { Directory = "d", CheckpointInterval = TimeSpan.FromSeconds(-1) }, "Storage.CheckpointInterval is -00:00:01; allowed: 0 (only at shutdown) or more" },
        { new StorageOptions { Directory = "d", CheckpointsKept = 0 }, "Storage.CheckpointsKept is 0; allowed: at least 1" },
        { new StorageOptions { Directory = "d", RetentionAge = TimeSpan.Zero }, "Storage.RetentionAge is 00:00:00; allowed: null (no age limit) or more than 0" },
        { new StorageOptions { Directory = "d", RetentionBytes = 0 }, "Storage.RetentionBytes is 0; allowed: null (no size limit) or at least 1 byte" },
        { new StorageOptions { Directory = "d", BackfillHorizon = TimeSpan.FromHours(-1) }, "Storage.BackfillHorizon is -01:00:00; allowed: 0 (no promise) or more" },
    };

    [Theory]
    [MemberData(nameof(BadStorageOptions))]
    public void Validate_BadStorageOption_NamesItUnderStorage(StorageOptions storage, string expected)
    {
        var problem = Assert.Single(EngineOptionsValidator.Validate(new EngineOptions { Storage = storage }));

        Assert.Equal(expected, problem.ToString());
        Assert.Equal(expected["Storage.".Length..], Assert.Single(StorageOptionsValidator.Validate(storage)).ToString());
    }

    [Fact]
    public void Create_SeveralBadOptions_ThrowsOnceNamingEveryOne()
    {
        var options = new EngineOptions { ShardCount = 0, QueueCapacity = 0, DedupMemoryBytes = 1 };

        var e = Assert.Throws<InvalidOptionsException>(() => FreshetEngine.Create(Empty, options));

        Assert.Equal("EngineOptions", e.OptionsName);
        Assert.Equal(
            "invalid EngineOptions: ShardCount is 0; allowed: at least 1; QueueCapacity is 0; allowed: at least 1 batch; "
            + "DedupMemoryBytes is 1; allowed: at least 65536 bytes (64 KiB)",
            e.Message);
    }

    [Fact]
    public void Open_BadStorageOption_ThrowsBeforeTheDirectoryIsCreated()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"freshet-options-{Guid.NewGuid():N}");
        var options = new EngineOptions { Storage = new StorageOptions { Directory = directory, CheckpointsKept = 0 } };

        var e = Assert.Throws<InvalidOptionsException>(() => FreshetEngine.Create(Empty, options));

        Assert.Equal("invalid EngineOptions: Storage.CheckpointsKept is 0; allowed: at least 1", e.Message);
        Assert.False(Directory.Exists(directory));
    }
}
