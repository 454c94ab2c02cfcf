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

internal static class FieldRequirementExtensions
{
    public static bool Accepts(this FieldRequirement requirement, FieldKind kind) => kind switch
    {
        FieldKind.Number => (requirement & FieldRequirement.Number) != 0,
        FieldKind.String => (requirement & FieldRequirement.String) != 0,
        _ => false,
    };
}
