using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Freshet.Events;

namespace Freshet.Files.Mapping;

/// <summary>What a value of the input becomes in the event.</summary>
public enum TargetRole : byte
{
    Field,
    Type,
    Time,
    Id,
    TimeOffset,
}

/// <summary>One destination of an input value: its role and, for a field, the name it is sent under and whether as a number.</summary>
public readonly record struct MapTarget(TargetRole Role, int NameId, bool IsNumber);

/// <summary>A <c>--set</c> value, prepared once.</summary>
public sealed record ConstantField(TargetRole Role, int NameId, byte[] Utf8, bool IsNumber, double Number);

/// <summary>
/// A <see cref="MappingSpec"/> compiled against the file: for every source column (or NDJSON key, as first seen) the
/// targets it feeds, the constants, the type renames and the null markers. Built once; the mapper only indexes it.
/// The rules: a mapped column feeds its targets and is not also sent under its own name; an unmapped column is sent
/// under its own name (<c>type</c>, <c>time</c> and <c>id</c> keep their meaning) unless <c>--only-mapped</c>, or unless
/// a <c>--map</c> or <c>--set</c> target took that name.
/// </summary>
public sealed class FieldMapping
{
    private readonly MappingSpec _spec;
    private readonly FieldNameTable _names;
    private readonly Dictionary<string, List<MapTarget>> _explicit = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly HashSet<string> _numbers;
    private readonly List<MapTarget[]> _plans = [];
    private readonly List<string> _sources = [];
    private readonly (byte[] From, byte[] To)[] _renames;
    private readonly byte[][] _nulls;

    private FieldMapping(MappingSpec spec, FieldNameTable names)
    {
        _spec = spec;
        _names = names;
        _numbers = spec.Numbers.ToHashSet(StringComparer.Ordinal);
        _renames = spec.TypeRenames.Select(r => (Encoding.UTF8.GetBytes(r.From), Encoding.UTF8.GetBytes(r.To))).ToArray();
        _nulls = spec.Nulls.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public ConstantField[] Constants { get; private set; } = [];

    /// <summary>Things worth telling the user before the replay starts (columns left out because a target took their name).</summary>
    public IReadOnlyList<string> Notes { get; private set; } = [];

    /// <summary>
    /// Compiles <paramref name="spec"/>. With <paramref name="columns"/> (a CSV header or <c>--columns</c>) every column
    /// is registered as a source in order and the mapping is checked against them; NDJSON keys are added as they appear.
    /// </summary>
    public static bool TryCreate(MappingSpec spec, FieldNameTable names, IReadOnlyList<string>? columns,
        [NotNullWhen(true)] out FieldMapping? mapping, [NotNullWhen(false)] out string? error)
    {
        mapping = new FieldMapping(spec, names);
        error = mapping.Compile(columns);
        if (error is not null)
        {
            mapping = null;
            return false;
        }

        return true;
    }

    /// <summary>Registers a source column or key and returns its id; -1 when there are too many names.</summary>
    public int AddSource(string sourceName)
    {
        var plan = PlanFor(sourceName);
        if (plan is null)
        {
            return -1;
        }

        _plans.Add(plan);
        _sources.Add(sourceName);
        return _plans.Count - 1;
    }

    public ReadOnlySpan<MapTarget> Plan(int sourceId) => _plans[sourceId];

    public string SourceName(int sourceId) => _sources[sourceId];

    public bool IsNull(ReadOnlySpan<byte> value)
    {
        foreach (byte[] marker in _nulls)
        {
            if (value.SequenceEqual(marker))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The renamed type, or <paramref name="type"/> itself.</summary>
    public ReadOnlySpan<byte> RenameType(ReadOnlySpan<byte> type)
    {
        foreach (var (from, to) in _renames)
        {
            if (type.SequenceEqual(from))
            {
                return to;
            }
        }

        return type;
    }

    /// <summary>The columns a role reads from, for messages ("column 'event_type' is empty").</summary>
    public string DescribeSource(TargetRole role) =>
        _explicit.Where(e => e.Value.Any(t => t.Role == role)).Select(e => $"column '{e.Key}'").FirstOrDefault()
        ?? $"'{role.ToString().ToLowerInvariant()}'";

    private string? Compile(IReadOnlyList<string>? columns)
    {
        var seenTargets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var map in _spec.Maps)
        {
            if (CheckTarget(map.Target, $"--map {map.Target}={map.Source}", seenTargets) is { } problem)
            {
                return problem;
            }

            if (!_explicit.TryGetValue(map.Source, out var targets))
            {
                _explicit[map.Source] = targets = [];
            }

            targets.Add(TargetFor(map.Target));
            _taken.Add(map.Target);
        }

        if (_spec.TimeOffset is { } offset)
        {
            if (!_explicit.TryGetValue(offset, out var targets))
            {
                _explicit[offset] = targets = [];
            }

            targets.Add(new MapTarget(TargetRole.TimeOffset, -1, true));
        }

        var constants = new List<ConstantField>();
        foreach (var set in _spec.Sets)
        {
            if (CheckTarget(set.Target, $"--set {set.Target}={set.Value}", seenTargets) is { } problem)
            {
                return problem;
            }

            if (set.Target is "time" or "id")
            {
                return $"--set {set.Target}={set.Value}: the {set.Target} of an event cannot be a constant; map a column with --map {set.Target}=COLUMN";
            }

            _taken.Add(set.Target);
            var target = TargetFor(set.Target);
            double number = 0;
            if (target.IsNumber && !double.TryParse(set.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            {
                return $"--set {set.Target}={set.Value}: '{set.Target}' is one of --numbers, and '{set.Value}' is not a number";
            }

            constants.Add(new ConstantField(target.Role, target.NameId, Encoding.UTF8.GetBytes(set.Value), target.IsNumber, number));
        }

        Constants = [.. constants];
        return columns is null ? null : CheckColumns(columns);
    }

    private string? CheckColumns(IReadOnlyList<string> columns)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (string column in columns)
        {
            if (!known.Add(column))
            {
                return $"the column '{column}' appears twice in the header; name the columns with --columns";
            }
        }

        string list = string.Join(", ", columns);
        if (_spec.Maps.FirstOrDefault(m => !known.Contains(m.Source)) is { Source: not null } missing)
        {
            return $"--map {missing.Target}={missing.Source}: the file has no column '{missing.Source}'; its columns are: {list}";
        }

        if (_spec.TimeOffset is { } offset && !known.Contains(offset))
        {
            return $"--time-offset {offset}: the file has no column '{offset}'; its columns are: {list}";
        }

        var notes = new List<string>();
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (string column in columns)
        {
            int id = AddSource(column);
            if (id < 0)
            {
                return $"the file has more than {FieldNameTable.MaxNames} columns";
            }

            foreach (var target in Plan(id))
            {
                if (target.Role == TargetRole.Field)
                {
                    fields.Add(_names[target.NameId]);
                }
            }

            if (!_explicit.ContainsKey(column) && !_spec.OnlyMapped && _taken.Contains(column))
            {
                notes.Add($"column '{column}' is not sent under its own name: {Taker(column)} took the name");
            }
        }

        fields.UnionWith(Constants.Where(c => c.Role == TargetRole.Field).Select(c => _names[c.NameId]));
        bool Feeds(TargetRole role) => _plans.Any(p => p.Any(t => t.Role == role)) || Constants.Any(c => c.Role == role);
        if (!Feeds(TargetRole.Type))
        {
            return $"no column gives the event type: add --map type=COLUMN or --set type=VALUE (the columns are: {list})";
        }

        if (!Feeds(TargetRole.Time))
        {
            return $"no column gives the event time: add --map time=COLUMN (the columns are: {list})";
        }

        if (_spec.Numbers.FirstOrDefault(n => !fields.Contains(n)) is { } number)
        {
            return $"--numbers {number}: no field of the events is called '{number}' (they are: {string.Join(", ", fields.Order(StringComparer.Ordinal))})";
        }

        Notes = notes;
        return null;
    }

    private string Taker(string name) =>
        _spec.Maps.Where(m => m.Target == name).Select(m => $"--map {m.Target}={m.Source}")
            .Concat(_spec.Sets.Where(s => s.Target == name).Select(s => $"--set {s.Target}={s.Value}"))
            .FirstOrDefault() ?? "another option";

    private MapTarget[]? PlanFor(string sourceName)
    {
        if (_explicit.TryGetValue(sourceName, out var targets))
        {
            return [.. targets];
        }

        if (_spec.OnlyMapped || _taken.Contains(sourceName))
        {
            return [];
        }

        var target = TargetFor(sourceName);
        return target.NameId < 0 && target.Role == TargetRole.Field ? null : [target];
    }

    private MapTarget TargetFor(string name) => name switch
    {
        "type" => new MapTarget(TargetRole.Type, -1, false),
        "time" => new MapTarget(TargetRole.Time, -1, false),
        "id" => new MapTarget(TargetRole.Id, -1, false),
        _ => new MapTarget(TargetRole.Field, _names.GetOrAdd(name), _numbers.Contains(name)),
    };

    private static string? CheckTarget(string target, string option, Dictionary<string, string> seen)
    {
        if (target.Length == 0)
        {
            return $"{option}: the field name before '=' is empty";
        }

        if (target.Length > StringInterner.MaxLength)
        {
            return $"{option}: a field name may have at most {StringInterner.MaxLength} characters";
        }

        if (!seen.TryAdd(target, option))
        {
            return $"{option}: '{target}' is already given by {seen[target]}";
        }

        return null;
    }
}
