using System.Collections.Concurrent;
using System.Globalization;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Features;

/// <summary>The interned field values of a composite key (up to four fields).</summary>
public readonly record struct KeyParts(int A, int B, int C, int D);

/// <summary>
/// Dense ids for composite entity keys such as (user, category). Lookups of known keys are lock-free and
/// allocation-free; ids start at 1 (0 means "no key"). Shared by every catalog version that declares an entity
/// with the same key fields, so state survives a catalog swap.
/// </summary>
public sealed class CompositeKeyTable
{
    private readonly ConcurrentDictionary<KeyParts, int> _ids = new();
    private readonly Lock _addLock = new();
    private KeyParts[] _parts = new KeyParts[1024];
    private int _count = 1;

    public int Count => Volatile.Read(ref _count) - 1;

    public KeyParts this[int id] => Volatile.Read(ref _parts)[id];

    public bool TryGet(in KeyParts parts, out int id) => _ids.TryGetValue(parts, out id);

    public int GetOrAdd(in KeyParts parts)
    {
        if (_ids.TryGetValue(parts, out int id))
        {
            return id;
        }

        lock (_addLock)
        {
            if (_ids.TryGetValue(parts, out id))
            {
                return id;
            }

            id = _count;
            if (id == _parts.Length)
            {
                var grown = new KeyParts[id * 2];
                Array.Copy(_parts, grown, id);
                Volatile.Write(ref _parts, grown);
            }

            _parts[id] = parts;
            Volatile.Write(ref _count, id + 1);
            _ids[parts] = id;
            return id;
        }
    }
}

/// <summary>The composite key tables of one engine, by key-field list; outlives catalog versions.</summary>
public sealed class EntityKeySpace
{
    private readonly ConcurrentDictionary<string, CompositeKeyTable> _tables = new(StringComparer.Ordinal);

    public CompositeKeyTable TableFor(IReadOnlyList<string> keyFields) => TableNamed(string.Join('\u001f', keyFields));

    /// <summary>The table for a key-field list joined with U+001F (the name <see cref="Tables"/> reports).</summary>
    public CompositeKeyTable TableNamed(string name) => _tables.GetOrAdd(name, static _ => new CompositeKeyTable());

    /// <summary>Every table by name (the key fields joined with U+001F), for persisting their ids.</summary>
    public IEnumerable<KeyValuePair<string, CompositeKeyTable>> Tables => _tables;
}

/// <summary>An entity compiled against an interner: how to find its key in an event and how to print it.</summary>
public sealed class CompiledEntity
{
    /// <summary>Key id of the single key of a global entity (declared with <c>key: []</c>).</summary>
    public const int GlobalKeyId = 1;

    private readonly StringInterner _strings;
    private readonly int[] _fieldIds;
    private readonly CompositeKeyTable? _composite;

    internal CompiledEntity(int index, EntityDefinition definition, StringInterner strings, EntityKeySpace keys)
    {
        if (definition.KeyFields.Length > 4)
        {
            throw new DefinitionException([new DefinitionError("", definition.Line, 1, null,
                $"entity '{definition.Name}' has {definition.KeyFields.Length} key fields; at most 4 are supported")]);
        }

        Index = index;
        Definition = definition;
        _strings = strings;
        _fieldIds = definition.KeyFields.Select(strings.GetOrAdd).ToArray();
        _composite = _fieldIds.Length > 1 ? keys.TableFor(definition.KeyFields) : null;
    }

    public int Index { get; }

    public EntityDefinition Definition { get; }

    public string Name => Definition.Name;

    public bool IsGlobal => _fieldIds.Length == 0;

    /// <summary>Interned ids of the key fields.</summary>
    internal int[] KeyFieldIds => _fieldIds;

    /// <summary>
    /// Finds the entity key of event <paramref name="index"/>; false when a key field is absent. Numbers are keys
    /// by their shortest decimal text, so <c>"user": 42</c> and <c>"user": "42"</c> are the same user.
    /// <paramref name="routeHash"/> is stable across processes (content hashes), for shard routing.
    /// </summary>
    public bool TryGetKey(EventBatch batch, int index, out int keyId, out ulong routeHash)
    {
        switch (_fieldIds.Length)
        {
            case 0:
                keyId = GlobalKeyId;
                routeHash = 0;
                return true;
            case 1:
                if (!batch.TryGetField(index, _fieldIds[0], out var single))
                {
                    break;
                }

                keyId = KeyIdOf(single);
                routeHash = _strings.HashOf(keyId);
                return true;
            default:
                Span<int> ids = stackalloc int[4];
                ulong hash = 0;
                for (int i = 0; i < _fieldIds.Length; i++)
                {
                    if (!batch.TryGetField(index, _fieldIds[i], out var part))
                    {
                        keyId = 0;
                        routeHash = 0;
                        return false;
                    }

                    ids[i] = KeyIdOf(part);
                    hash = XxHash64.Hash(_strings.HashOf(ids[i]), hash);
                }

                keyId = _composite!.GetOrAdd(new KeyParts(ids[0], ids[1], ids[2], ids[3]));
                routeHash = hash;
                return true;
        }

        keyId = 0;
        routeHash = 0;
        return false;
    }

    /// <summary>Finds the id of a key given as text (one string per key field) without adding it; false if never seen.</summary>
    public bool TryResolve(IReadOnlyList<string> parts, out int keyId, out ulong routeHash)
    {
        keyId = 0;
        routeHash = 0;
        if (parts.Count != _fieldIds.Length)
        {
            return false;
        }

        if (_fieldIds.Length == 0)
        {
            keyId = GlobalKeyId;
            return true;
        }

        Span<int> ids = stackalloc int[4];
        ulong hash = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            if (!_strings.TryGet(parts[i], out ids[i]))
            {
                return false;
            }

            hash = XxHash64.Hash(_strings.HashOf(ids[i]), hash);
        }

        if (_fieldIds.Length == 1)
        {
            keyId = ids[0];
            routeHash = _strings.HashOf(keyId);
            return true;
        }

        routeHash = hash;
        return _composite!.TryGet(new KeyParts(ids[0], ids[1], ids[2], ids[3]), out keyId);
    }

    /// <summary>The route hash of a key id, as <see cref="TryGetKey"/> computes it from an event (to re-shard stored tiles).</summary>
    public ulong RouteHashOf(int keyId)
    {
        switch (_fieldIds.Length)
        {
            case 0:
                return 0;
            case 1:
                return _strings.HashOf(keyId);
            default:
                var p = _composite![keyId];
                ReadOnlySpan<int> ids = [p.A, p.B, p.C, p.D];
                ulong hash = 0;
                for (int i = 0; i < _fieldIds.Length; i++)
                {
                    hash = XxHash64.Hash(_strings.HashOf(ids[i]), hash);
                }

                return hash;
        }
    }

    /// <summary>Marks the string ids a key id stands for (the id itself, or a composite key's parts).</summary>
    public void MarkKey(int keyId, StringMarks marks)
    {
        if (_fieldIds.Length == 1)
        {
            marks.Mark(keyId);
        }
        else if (_fieldIds.Length > 1)
        {
            var p = _composite![keyId];
            marks.Mark(p.A);
            marks.Mark(p.B);
            marks.Mark(p.C);
            marks.Mark(p.D);
        }
    }

    /// <summary>The key as text, parts joined with '|' (for display).</summary>
    public string Describe(int keyId)
    {
        if (_fieldIds.Length == 0)
        {
            return "*";
        }

        if (_fieldIds.Length == 1)
        {
            return _strings[keyId];
        }

        var p = _composite![keyId];
        ReadOnlySpan<int> ids = [p.A, p.B, p.C, p.D];
        return string.Join('|', ids[.._fieldIds.Length].ToArray().Select(id => _strings[id]));
    }

    private int KeyIdOf(in FieldValue value)
    {
        if (value.Kind == FieldKind.String)
        {
            return value.StringId;
        }

        Span<char> text = stackalloc char[32];
        double x = value.Number;
        bool ok = x == Math.Floor(x) && Math.Abs(x) < 9e15
            ? ((long)x).TryFormat(text, out int written, default, CultureInfo.InvariantCulture)
            : x.TryFormat(text, out written, "R", CultureInfo.InvariantCulture);
        return _strings.GetOrAddReclaimable(ok ? text[..written] : x.ToString("R", CultureInfo.InvariantCulture));
    }
}
