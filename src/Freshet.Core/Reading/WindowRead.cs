using Freshet.Aggregation;
using Freshet.Features;
using Freshet.Seams;
using Freshet.Windows;

namespace Freshet.Reading;

/// <summary>
/// One window of a base feature to read for a key, planned by <see cref="VectorPlan"/>: whoever holds the tiles (a
/// shard, a serving process over published tile values) fills in <see cref="Span"/> (the effective interval, see
/// <see cref="WindowPlan"/>) and <see cref="Value"/>, and the plan composes the vector from them.
/// </summary>
public struct WindowRead(CompiledFeature feature, long windowMs)
{
    public readonly CompiledFeature Feature = feature;
    public readonly long WindowMs = windowMs;
    public WindowSpan Span;
    public FeatureValue Value;
}

/// <summary>
/// The key a read is for: its entity, the key's parts as asked, the key's id (0 when the key was never seen: it reads
/// as a key with no events) and the hash that routes it to a partition or shard.
/// </summary>
public readonly record struct ReadTarget(CompiledEntity Entity, IReadOnlyList<string> Key, int KeyId, ulong RouteHash)
{
    /// <summary>Whether the key has been seen (an unknown key reads like one with no events).</summary>
    public bool IsKnown => KeyId != 0;

    /// <summary>The key as text: its parts joined by '|' ("*" for a global entity), known or not.</summary>
    public string Describe() => Entity.IsGlobal ? "*" : Key.Count == 1 ? Key[0] : string.Join('|', Key);
}

/// <summary>Why a read could not be answered: the status and a message naming what was wrong and what is allowed.</summary>
public readonly record struct ReadFailure(ReadStatus Status, string Problem);
