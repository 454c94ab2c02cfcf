using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Freshet.Yaml;

/// <summary>A map key that appeared a second time in the same map, and where it sits.</summary>
/// <param name="Key">The key.</param>
/// <param name="At">Where the second occurrence starts.</param>
/// <param name="First">Where the first one starts.</param>
/// <param name="Path">
/// The key each enclosing collection is the value of, outermost first: the root's entry is null, and so is a list
/// item's. <c>Path.Count - 1</c> is the depth of the map holding <see cref="Key"/> (0 for the top level).
/// </param>
public readonly record struct DuplicateKey(string Key, Mark At, Mark First, IReadOnlyList<string?> Path);

/// <summary>
/// Sits between the YAML parser and <c>YamlStream</c> and drops the second occurrence of a map key (with its value)
/// after handing it to <paramref name="report"/>. YamlDotNet's representation model stops the whole load at the first
/// duplicate; filtering here keeps the rest of the file checked, and lets each file word the duplicate for what it
/// is (a feature declared twice, a model's key given twice).
/// </summary>
public sealed class DuplicateKeyFilter(IParser inner, Action<DuplicateKey> report) : IParser
{
    private readonly List<Frame> _frames = [];

    public ParsingEvent? Current => inner.Current;

    /// <summary>Where the innermost still-open <c>[</c> or <c>{</c> started, if any.</summary>
    public Mark? InnermostOpenFlow => _frames.LastOrDefault(f => f.IsFlow)?.Start;

    /// <summary>The end of the last event read, for errors the parser cannot place.</summary>
    public Mark LastPosition { get; private set; } = Mark.Empty;

    public bool MoveNext()
    {
        while (inner.MoveNext())
        {
            var current = inner.Current!;
            LastPosition = current.End;
            if (current is Scalar key && _frames.Count > 0 && _frames[^1] is { IsMapping: true, ExpectingKey: true } map)
            {
                if (map.Keys.TryGetValue(key.Value, out var first))
                {
                    report(new DuplicateKey(key.Value, key.Start, first, [.. _frames.Select(f => f.ParentKey)]));
                    SkipNode();
                    continue;
                }

                map.Keys.Add(key.Value, key.Start);
                map.LastKey = key.Value;
                map.ExpectingKey = false;
                return true;
            }

            switch (current)
            {
                case MappingStart start:
                    _frames.Add(new Frame(true, start.Style == MappingStyle.Flow, start.Start, ParentKey()));
                    break;
                case SequenceStart start:
                    _frames.Add(new Frame(false, start.Style == SequenceStyle.Flow, start.Start, ParentKey()));
                    break;
                case MappingEnd or SequenceEnd:
                    _frames.RemoveAt(_frames.Count - 1);
                    NodeCompleted();
                    break;
                case Scalar or AnchorAlias:
                    NodeCompleted();
                    break;
            }

            return true;
        }

        return false;
    }

    /// <summary>The key a collection starting now is the value of, when it is a value in a map.</summary>
    private string? ParentKey() =>
        _frames.Count > 0 && _frames[^1] is { IsMapping: true, ExpectingKey: false } map ? map.LastKey : null;

    private void NodeCompleted()
    {
        if (_frames.Count > 0 && _frames[^1].IsMapping)
        {
            _frames[^1].ExpectingKey = !_frames[^1].ExpectingKey;
        }
    }

    /// <summary>Consumes the value that follows a dropped key: one scalar or alias, or a whole collection.</summary>
    private void SkipNode()
    {
        int depth = 0;
        while (inner.MoveNext())
        {
            LastPosition = inner.Current!.End;
            depth += inner.Current switch
            {
                MappingStart or SequenceStart => 1,
                MappingEnd or SequenceEnd => -1,
                _ => 0,
            };
            if (depth == 0)
            {
                return;
            }
        }
    }

    private sealed class Frame(bool isMapping, bool isFlow, Mark start, string? parentKey)
    {
        public bool IsMapping { get; } = isMapping;

        public bool IsFlow { get; } = isFlow;

        public Mark Start { get; } = start;

        /// <summary>The key this collection is the value of (null for list items and the root).</summary>
        public string? ParentKey { get; } = parentKey;

        public Dictionary<string, Mark> Keys { get; } = new(StringComparer.Ordinal);

        public bool ExpectingKey { get; set; } = true;

        public string? LastKey { get; set; }
    }
}
