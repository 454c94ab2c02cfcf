using System.Collections.Immutable;
using System.Globalization;
using Freshet.Windows;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>The <c>settings</c> section, tile ladders (catalog default and per feature) and <c>entities</c>.</summary>
    private sealed partial class Reader
    {
        private const int MaxTileLevels = 6;
        private const int MaxKeyFields = 4;

        /// <summary>Tile ids wrap at 2^27 buckets per level, so a level may not hold more than this many tiles.</summary>
        private const long MaxTilesPerLevel = (1L << 27) - 1;

        private static readonly string[] SettingsKeys = ["clock", "allowed_lateness", "max_future", "tiles"];
        private static readonly string[] TileLevelKeys = ["resolution", "keep"];
        private static readonly string[] ClockNames = ["event_time", "wall"];

        /// <summary>False when <c>settings.tiles</c> was invalid: features on the default ladder then skip window checks.</summary>
        private bool _defaultTilesValid = true;

        /// <summary>Entity name → key fields, in declaration order; null when <c>entities</c> could not be read at all.</summary>
        private Dictionary<string, EntityDefinition>? _entities;

        private CatalogSettings ReadSettings(YamlMappingNode root)
        {
            var settings = new CatalogSettings();
            if (!TryGet(root, "settings", out _, out var node) || IsNull(node))
            {
                return settings;
            }

            if (node is not YamlMappingNode map)
            {
                Error(node, null, $"'settings' must be a map with any of: {string.Join(", ", SettingsKeys)}; found {Describe(node)}");
                return settings;
            }

            CheckKeys(map, SettingsKeys, null, "in 'settings'");
            if (TryGet(map, "clock", out _, out var clock) && ReadText(clock, null, "'clock'") is { } clockName)
            {
                switch (clockName)
                {
                    case "event_time":
                        settings = settings with { Clock = ClockMode.EventTime };
                        break;
                    case "wall":
                        settings = settings with { Clock = ClockMode.Wall };
                        break;
                    default:
                        Error(clock, null, $"clock '{clockName}' is not known; expected event_time (now is the newest event time, for replay and backtests) or wall (now is the wall clock, for live traffic){DidYouMean(clockName, ClockNames)}");
                        break;
                }
            }

            if (TryGet(map, "allowed_lateness", out _, out var lateness)
                && TryReadDuration(lateness, null, "'allowed_lateness'", out long latenessMs, allowZero: true))
            {
                settings = settings with { AllowedLatenessMs = latenessMs };
            }

            if (TryGet(map, "max_future", out _, out var future)
                && TryReadDuration(future, null, "'max_future'", out long futureMs))
            {
                settings = settings with { MaxFutureMs = futureMs };
            }

            if (TryGet(map, "tiles", out _, out var tiles))
            {
                var ladder = ReadTileLadder(tiles, null, settings.AllowedLatenessMs);
                _defaultTilesValid = ladder is not null;
                settings = settings with { Tiles = ladder ?? settings.Tiles };
            }

            return settings;
        }

        /// <summary>Reads and checks a tile ladder; null (after recording why) when it is not valid.</summary>
        private ImmutableArray<TileLevel>? ReadTileLadder(YamlNode node, string? feature, long latenessMs)
        {
            int errorsBefore = _errors.Count;
            if (node is not YamlSequenceNode list || list.Children.Count is 0 or > MaxTileLevels)
            {
                string found = node is YamlSequenceNode seq ? $"{seq.Children.Count} levels" : Describe(node);
                Error(node, feature, $"'tiles' must be a list of 1 to {MaxTileLevels} levels, finest first, e.g. [{{ resolution: 1m, keep: 3h }}, {{ resolution: 1h, keep: 8d }}]; found {found}");
                return null;
            }

            var levels = new (long Resolution, long Keep, YamlNode ResolutionNode, YamlNode KeepNode)?[list.Children.Count];
            for (int i = 0; i < levels.Length; i++)
            {
                levels[i] = ReadTileLevel(list.Children[i], i + 1, feature);
            }

            for (int i = 0; i + 1 < levels.Length; i++)
            {
                if (levels[i] is not { } fine || levels[i + 1] is not { } coarse)
                {
                    continue;
                }

                if (coarse.Resolution <= fine.Resolution)
                {
                    Error(coarse.ResolutionNode, feature, $"tile level {i + 2}: resolution {TextOf(coarse.ResolutionNode)} must be coarser than level {i + 1}'s {TextOf(fine.ResolutionNode)}; list the levels finest first");
                    continue;
                }

                if (coarse.Resolution % fine.Resolution != 0)
                {
                    Error(coarse.ResolutionNode, feature, $"tile level {i + 2}: resolution {TextOf(coarse.ResolutionNode)} is not a whole multiple of level {i + 1}'s {TextOf(fine.ResolutionNode)}; each coarser tile is rolled up from whole finer tiles");
                }

                // A fine tile is rolled into its coarse bucket when that bucket closes, and events may still arrive
                // for the bucket until the allowed lateness has passed; dropping the fine tile earlier loses them.
                long needed = coarse.Resolution + latenessMs;
                if (fine.Keep < needed)
                {
                    long roundedUp = (needed + fine.Resolution - 1) / fine.Resolution * fine.Resolution;
                    string plusLateness = latenessMs > 0 ? $" plus the {Format(latenessMs)} allowed lateness" : "";
                    Error(fine.KeepNode, feature, $"tile level {i + 1}: keep {TextOf(fine.KeepNode)} is too short; its {TextOf(fine.ResolutionNode)} tiles must outlive the {TextOf(coarse.ResolutionNode)} tile they roll up into{plusLateness}, so keep them at least {Format(roundedUp)}");
                }
            }

            return _errors.Count == errorsBefore && levels.All(l => l is not null)
                ? [.. levels.Select(l => new TileLevel(l!.Value.Resolution, l.Value.Keep))]
                : null;
        }

        private (long, long, YamlNode, YamlNode)? ReadTileLevel(YamlNode node, int number, string? feature)
        {
            if (node is not YamlMappingNode level)
            {
                Error(node, feature, $"tile level {number} must be a map such as {{ resolution: 1m, keep: 3h }}; found {Describe(node)}");
                return null;
            }

            CheckKeys(level, TileLevelKeys, feature, $"in tile level {number}");
            bool hasResolution = TryGet(level, "resolution", out _, out var resolutionNode);
            bool hasKeep = TryGet(level, "keep", out _, out var keepNode);
            if (!hasResolution || !hasKeep)
            {
                string missing = hasResolution ? "keep" : hasKeep ? "resolution" : "resolution and keep";
                Error(level, feature, $"tile level {number} is missing {missing}; a level looks like {{ resolution: 1m, keep: 3h }}");
                return null;
            }

            bool ok = TryReadDuration(resolutionNode, feature, $"tile level {number}: resolution", out long resolution);
            ok &= TryReadDuration(keepNode, feature, $"tile level {number}: keep", out long keep);
            if (!ok)
            {
                return null;
            }

            if (keep < resolution)
            {
                Error(keepNode, feature, $"tile level {number}: keep {TextOf(keepNode)} is shorter than its resolution {TextOf(resolutionNode)}; a level keeps at least one whole tile");
                return null;
            }

            if (keep % resolution != 0)
            {
                long down = keep / resolution * resolution;
                Error(keepNode, feature, $"tile level {number}: keep {TextOf(keepNode)} is not a whole number of {TextOf(resolutionNode)} tiles; use {Format(down)} or {Format(down + resolution)}");
                return null;
            }

            if (keep / resolution > MaxTilesPerLevel)
            {
                string count = (keep / resolution).ToString("N0", CultureInfo.InvariantCulture);
                string max = MaxTilesPerLevel.ToString("N0", CultureInfo.InvariantCulture);
                Error(keepNode, feature, $"tile level {number}: keeping {TextOf(resolutionNode)} tiles for {TextOf(keepNode)} is {count} tiles per key, more than the {max} that fit before tile ids wrap; use a coarser resolution or a shorter keep");
                return null;
            }

            return (resolution, keep, resolutionNode, keepNode);
        }

        private ImmutableArray<EntityDefinition> ReadEntities(YamlMappingNode root)
        {
            if (!TryGet(root, "entities", out var key, out var node))
            {
                Error(root, null, "missing 'entities': declare what features are keyed by, e.g. entities: { user: user, item: item, site: [] }");
                return [];
            }

            if (node is not YamlMappingNode map || map.Children.Count == 0)
            {
                Error(IsNull(node) ? key : node, null, $"'entities' must map each entity name to its key field(s), e.g. entities: {{ user: user, user_category: [user, category], site: [] }}; found {Describe(node)}");
                return [];
            }

            _entities = new Dictionary<string, EntityDefinition>(StringComparer.Ordinal);
            foreach (var (nameNode, value) in map.Children)
            {
                string name = KeyName(nameNode);
                CheckName(nameNode, name, null, "entity");
                var fields = ReadKeyFields(name, value);
                var entity = new EntityDefinition(name, fields ?? [], (int)nameNode.Start.Line);

                // Recorded even when invalid, so features naming it are not also told it is undeclared.
                _entities[name] = entity;
            }

            return [.. _entities.Values];
        }

        private ImmutableArray<string>? ReadKeyFields(string entity, YamlNode value)
        {
            string what = $"entity '{entity}': key field";
            if (IsNull(value))
            {
                Error(value, null, $"entity '{entity}' has no key; give a field (user), a list of fields ([user, category]) or [] for one global key");
                return null;
            }

            if (value is YamlScalarNode)
            {
                return ReadFieldName(value, null, what) is { } field ? [field] : null;
            }

            if (value is not YamlSequenceNode list)
            {
                Error(value, null, $"entity '{entity}' must be keyed by a field (user), a list of fields ([user, category]) or [] for one global key; found {Describe(value)}");
                return null;
            }

            if (list.Children.Count > MaxKeyFields)
            {
                Error(value, null, $"entity '{entity}' has {list.Children.Count} key fields; at most {MaxKeyFields} are supported");
                return null;
            }

            var fields = new List<string>();
            bool ok = true;
            foreach (var item in list.Children)
            {
                if (ReadFieldName(item, null, what) is not { } field)
                {
                    ok = false;
                }
                else if (fields.Contains(field))
                {
                    Error(item, null, $"entity '{entity}' lists key field '{field}' twice");
                    ok = false;
                }
                else
                {
                    fields.Add(field);
                }
            }

            return ok ? [.. fields] : null;
        }
    }
}
