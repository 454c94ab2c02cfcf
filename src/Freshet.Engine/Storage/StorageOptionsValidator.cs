using Freshet.Options;

namespace Freshet.Engine.Storage;

/// <summary>Every way a <see cref="StorageOptions"/> cannot be used, each with the option, its value and what is allowed.</summary>
public static class StorageOptionsValidator
{
    /// <param name="options">The options to check.</param>
    /// <param name="prefix">Put before each option's name (<c>Storage.</c> when checked as part of <see cref="EngineOptions"/>).</param>
    public static IReadOnlyList<OptionProblem> Validate(StorageOptions options, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new OptionProblems(prefix);
        problems.Check(!string.IsNullOrWhiteSpace(options.Directory), nameof(options.Directory), options.Directory, "a directory path");
        problems.Check(Enum.IsDefined(options.Durability), nameof(options.Durability), options.Durability, "Always, Interval or None");
        problems.Check(options.FsyncInterval > TimeSpan.Zero, nameof(options.FsyncInterval), options.FsyncInterval, "more than 0");
        problems.Check(options.SegmentBytes > 0, nameof(options.SegmentBytes), options.SegmentBytes, "at least 1 byte");
        // At 0 an append would wait forever for the writer to drain below the bound.
        problems.Check(options.MaxPendingBytes > 0, nameof(options.MaxPendingBytes), options.MaxPendingBytes, "at least 1 byte");
        problems.Check(options.CheckpointInterval >= TimeSpan.Zero, nameof(options.CheckpointInterval), options.CheckpointInterval, "0 (only at shutdown) or more");
        problems.Check(options.CheckpointsKept >= 1, nameof(options.CheckpointsKept), options.CheckpointsKept, "at least 1");
        problems.Check(options.RetentionAge is null || options.RetentionAge > TimeSpan.Zero, nameof(options.RetentionAge), options.RetentionAge, "null (no age limit) or more than 0");
        problems.Check(options.RetentionBytes is null or > 0, nameof(options.RetentionBytes), options.RetentionBytes, "null (no size limit) or at least 1 byte");
        problems.Check(options.BackfillHorizon >= TimeSpan.Zero, nameof(options.BackfillHorizon), options.BackfillHorizon, "0 (no promise) or more");
        return problems.Problems;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> naming every problem, if there is one.</summary>
    public static void ThrowIfInvalid(StorageOptions options) => InvalidOptionsException.ThrowIfAny(nameof(StorageOptions), Validate(options));
}
