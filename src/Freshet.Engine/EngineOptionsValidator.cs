using Freshet.Engine.Storage;
using Freshet.Options;

namespace Freshet.Engine;

/// <summary>
/// Every way an <see cref="EngineOptions"/> (and the <see cref="StorageOptions"/> inside it) cannot be used, each with
/// the option, its value and what is allowed. The engine checks its options here, once, before it opens or starts
/// anything.
/// </summary>
public static class EngineOptionsValidator
{
    public static IReadOnlyList<OptionProblem> Validate(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new OptionProblems();
        problems.Check(options.ShardCount >= 1, nameof(options.ShardCount), options.ShardCount, "at least 1");
        problems.Check(options.QueueCapacity >= 1, nameof(options.QueueCapacity), options.QueueCapacity, "at least 1 batch");
        problems.Check(options.Time is not null, nameof(options.Time), options.Time, "a TimeProvider");
        problems.Check(options.DedupHorizonMs >= 0, nameof(options.DedupHorizonMs), options.DedupHorizonMs, "0 (no deduplication) or more milliseconds");
        problems.Check(options.DedupMemoryBytes >= EngineOptions.DedupMemoryMinBytes, nameof(options.DedupMemoryBytes), options.DedupMemoryBytes,
            $"at least {EngineOptions.DedupMemoryMinBytes} bytes (64 KiB)");
        if (options.Storage is { } storage)
        {
            problems.AddRange(StorageOptionsValidator.Validate(storage, nameof(options.Storage) + "."));
        }

        return problems.Problems;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> naming every problem, if there is one.</summary>
    public static void ThrowIfInvalid(EngineOptions options) => InvalidOptionsException.ThrowIfAny(nameof(EngineOptions), Validate(options));

    /// <summary>The options themselves once they are valid: for a constructor chain, which cannot run a statement first.</summary>
    public static EngineOptions Valid(EngineOptions options)
    {
        ThrowIfInvalid(options);
        return options;
    }
}
