using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Features;

/// <summary>
/// The entity of an event type's route and the features of that entity the event type feeds (by
/// <see cref="CompiledFeature.Index"/>): what a router and a partition worker look up for each event.
/// </summary>
public sealed record EntityRoute(CompiledEntity Entity, int[] FeatureIndexes);

/// <summary>
/// An immutable, compiled set of feature definitions with a version. The engine swaps a whole catalog between two
/// batches; features whose state fingerprint is unchanged keep their tiles.
/// </summary>
public sealed class FeatureCatalog
{
    private readonly FrozenDictionary<string, CompiledFeature> _byName;
    private readonly FrozenDictionary<string, CompiledEntity> _entities;
    private readonly EntityRoute[][] _routesByType;
    private readonly IReadOnlyList<CompiledFeature>[] _featuresByEntity;

    private FeatureCatalog(FeatureSet set, long version, ImmutableArray<CompiledEntity> entities, ImmutableArray<CompiledFeature> features, EntityRoute[][] routes)
    {
        Definitions = set;
        Version = version;
        Entities = entities;
        Features = features;
        _routesByType = routes;
        _byName = features.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
        _entities = entities.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);
        _featuresByEntity = entities.Select(e => (IReadOnlyList<CompiledFeature>)features.Where(f => f.Entity == e).ToArray()).ToArray();
        Fingerprint = XxHash64.Hash(Encoding.UTF8.GetBytes(string.Join('|', features.Select(f => f.DefinitionFingerprint))
            + set.Settings.AllowedLatenessMs.ToString(CultureInfo.InvariantCulture) + set.Settings.MaxFutureMs.ToString(CultureInfo.InvariantCulture)
            + set.Settings.Clock)).ToString("x16", CultureInfo.InvariantCulture);
    }

    public FeatureSet Definitions { get; }

    public CatalogSettings Settings => Definitions.Settings;

    /// <summary>Sequence number given by whoever compiled it (the engine counts swaps).</summary>
    public long Version { get; }

    /// <summary>Content hash of every feature definition and the settings.</summary>
    public string Fingerprint { get; }

    public ImmutableArray<CompiledEntity> Entities { get; }

    public ImmutableArray<CompiledFeature> Features { get; }

    /// <summary>Compiles validated definitions; interns every name and literal they use.</summary>
    public static FeatureCatalog Compile(FeatureSet set, StringInterner strings, EntityKeySpace keys, long version = 1)
    {
        var entities = set.Entities.Select((e, i) => new CompiledEntity(i, e, strings, keys)).ToImmutableArray();
        var entityByName = entities.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var features = set.Features.Select((f, i) => new CompiledFeature(i, f, entityByName[f.Entity], strings)).ToImmutableArray();
        var byName = features.ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var f in features)
        {
            if (f.Definition.Aggregation == AggregationKind.Ratio)
            {
                f.Numerator = byName[f.Definition.Numerator!];
                f.Denominator = byName[f.Definition.Denominator!];
            }
            else if (f.Definition.Aggregation == AggregationKind.Trend)
            {
                f.Numerator = byName[f.Definition.Source!];
            }
        }

        // Route table: event type id -> (entity, features of that entity fed by the type).
        var typeIds = features.Where(f => !f.IsDerived)
            .SelectMany(f => f.Definition.EventTypes.Select(t => (TypeId: strings.GetOrAdd(t), Feature: f)))
            .ToList();
        int maxType = typeIds.Count == 0 ? 0 : typeIds.Max(t => t.TypeId);
        var routes = new EntityRoute[maxType + 1][];
        foreach (var byType in typeIds.GroupBy(t => t.TypeId))
        {
            routes[byType.Key] = byType.GroupBy(t => t.Feature.Entity.Index)
                .Select(g => new EntityRoute(entities[g.Key], g.Select(t => t.Feature.Index).Distinct().Order().ToArray()))
                .OrderBy(r => r.Entity.Index)
                .ToArray();
        }

        // Fields whose string values state holds as ids (entity keys, aggregated values): the engine promotes those
        // into the interner; every other string of an event stays with its batch and the log.
        var keptIds = entities.SelectMany(e => e.KeyFieldIds).Concat(features.Select(f => f.FieldId)).Where(id => id > 0).ToArray();
        var kept = new bool[keptIds.Length == 0 ? 0 : keptIds.Max() + 1];
        foreach (int id in keptIds)
        {
            kept[id] = true;
        }

        return new FeatureCatalog(set, version, entities, features, routes) { _keptValues = kept };
    }

    private bool[] _keptValues = [];

    /// <summary>By interned field name id: whether state holds the field's string values (see <see cref="EventBatch.Promote"/>).</summary>
    public ReadOnlySpan<bool> KeptValueFields => _keptValues;

    /// <summary>The features keyed by <paramref name="entity"/>, in declaration order.</summary>
    public IReadOnlyList<CompiledFeature> FeaturesOf(CompiledEntity entity) => _featuresByEntity[entity.Index];

    public bool TryGetFeature(string name, out CompiledFeature feature) => _byName.TryGetValue(name, out feature!);

    public bool TryGetEntity(string name, out CompiledEntity entity) => _entities.TryGetValue(name, out entity!);

    /// <summary>The entities and features an event type (an interned id) feeds; empty for types no feature uses. Allocation-free.</summary>
    public ReadOnlySpan<EntityRoute> RoutesFor(int typeId) =>
        (uint)typeId < (uint)_routesByType.Length && _routesByType[typeId] is { } r ? r : default;
}
