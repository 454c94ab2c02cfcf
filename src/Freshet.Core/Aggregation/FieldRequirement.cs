using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>Which field kinds an aggregator consumes; events whose field is absent or of another kind skip the feature.</summary>
[Flags]
public enum FieldRequirement
{
    /// <summary>No field is read (count).</summary>
    None = 0,
    Number = 1,
    String = 2,
    Any = Number | String,
}

/// <summary>Whether an aggregator takes a field of a given kind.</summary>
public static class FieldRequirementExtensions
{
    /// <summary>True when <paramref name="requirement"/> consumes a field of <paramref name="kind"/>.</summary>
    public static bool Accepts(this FieldRequirement requirement, FieldKind kind) => kind switch
    {
        FieldKind.Number => (requirement & FieldRequirement.Number) != 0,
        FieldKind.String => (requirement & FieldRequirement.String) != 0,
        _ => false,
    };
}
