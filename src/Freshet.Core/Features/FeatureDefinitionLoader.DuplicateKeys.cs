using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>
    /// Sits between the YAML parser and <c>YamlStream</c> and drops the second occurrence of a map key (with its value)
    /// after recording an error that names both lines. YamlDotNet's representation model stops the whole load at
    /// the first duplicate; filtering here keeps the rest of the file checked, and a duplicated feature name (the
    /// likeliest duplicate, after copying a feature to make a new one) is reported as such.
    /// </summary>
    private sealed class DuplicateKeyFilter(IParser inner, Reader reader) : IParser
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
                        ReportDuplicate(key, first);
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

        private void ReportDuplicate(Scalar key, Mark first)
        {
            // Frame 0 is the top-level map, frame 1 the map under 'features' or 'entities', frame 2 one feature.
            int depth = _frames.Count - 1;
            string? section = _frames.Count > 1 ? _frames[1].ParentKey : null;
            string lines = $"lines {first.Line} and {key.Start.Line}";
            (string? feature, string message) = (depth, section) switch
            {
                (0, _) => (null, $"top-level key '{key.Value}' appears twice ({lines}); only the first is read, so merge them into one"),
                (1, "features") => (key.Value, $"declared on both line {first.Line} and line {key.Start.Line}; feature names must be unique, so rename or remove one"),
                (1, "entities") => (null, $"entity '{key.Value}' is declared twice ({lines}); entity names must be unique"),
                (>= 2, "features") => (_frames[2].ParentKey, $"key '{key.Value}' appears twice ({lines}); keep one"),
                _ => (null, $"key '{key.Value}' appears twice in the same map ({lines}); keep one"),
            };
            reader.ReportDuplicateKey(key.Start, feature, message);
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

    private sealed partial class Reader
    {
        public void ReportDuplicateKey(Mark at, string? feature, string message) => Error(at, feature, message);
    }
}
