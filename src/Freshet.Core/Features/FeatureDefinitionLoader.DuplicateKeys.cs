using Freshet.Yaml;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    private sealed partial class Reader
    {
        /// <summary>
        /// Words a key the <see cref="DuplicateKeyFilter"/> dropped for where it is in a features file: a duplicated
        /// feature name (the likeliest duplicate, after copying a feature to make a new one) is reported as such.
        /// </summary>
        private void ReportDuplicate(DuplicateKey duplicate)
        {
            // Path 0 is the top-level map, 1 the map under 'features' or 'entities', 2 one feature.
            var (key, at, first, path) = duplicate;
            int depth = path.Count - 1;
            string? section = path.Count > 1 ? path[1] : null;
            string lines = $"lines {first.Line} and {at.Line}";
            (string? feature, string message) = (depth, section) switch
            {
                (0, _) => (null, $"top-level key '{key}' appears twice ({lines}); only the first is read, so merge them into one"),
                (1, "features") => (key, $"declared on both line {first.Line} and line {at.Line}; feature names must be unique, so rename or remove one"),
                (1, "entities") => (null, $"entity '{key}' is declared twice ({lines}); entity names must be unique"),
                (>= 2, "features") => (path[2], $"key '{key}' appears twice ({lines}); keep one"),
                _ => (null, $"key '{key}' appears twice in the same map ({lines}); keep one"),
            };
            Error(at, feature, message);
        }
    }
}
