using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>Reading YAML nodes as names, fields, durations and numbers (over <see cref="Freshet.Yaml.YamlNodes"/>), and wording what went wrong.</summary>
    private sealed partial class Reader
    {
        private static readonly string[] ReservedFields = ["id", "type", "time"];

        private void Error(YamlNode node, string? feature, string message) => Error(node.Start, feature, message);

        private void Error(Mark at, string? feature, string message) =>
            _errors.Add(new DefinitionError(source, (int)Math.Max(at.Line, 1), (int)Math.Max(at.Column, 1), feature, message));

        /// <summary>Reports every key of <paramref name="map"/> that is not in <paramref name="allowed"/>.</summary>
        private void CheckKeys(YamlMappingNode map, IReadOnlyList<string> allowed, string? feature, string where)
        {
            foreach (var key in map.Children.Keys)
            {
                string name = KeyName(key);
                if (!allowed.Contains(name))
                {
                    Error(key, feature, $"unknown key '{name}' {where}; expected one of: {string.Join(", ", allowed)}{DidYouMean(name, allowed)}");
                }
            }
        }

        /// <summary>A single non-empty scalar, or null after recording what was found instead.</summary>
        private string? ReadText(YamlNode node, string? feature, string what)
        {
            if (node is YamlScalarNode { Value: { } text } && !IsNull(node) && text.Trim().Length > 0)
            {
                return text;
            }

            Error(node, feature, IsNull(node) || node is YamlScalarNode
                ? $"{what} is empty; give it a value"
                : $"{what} must be a single value; found {Describe(node)}");
            return null;
        }

        /// <summary>A name of an entity or feature: <c>^[a-z][a-z0-9_]{0,63}$</c>.</summary>
        private bool CheckName(YamlNode node, string name, string? feature, string kind)
        {
            if (IsValidName(name))
            {
                return true;
            }

            string suggestion = SuggestName(name);
            string tryThis = suggestion != name && IsValidName(suggestion) ? $" (try '{suggestion}')" : "";
            Error(node, feature, $"{kind} name '{name}' is not valid: a name starts with a lowercase letter and uses only a-z, 0-9 and _ (at most 64 characters){tryThis}");
            return false;
        }

        private static bool IsValidName(string name)
        {
            if (name.Length is 0 or > 64 || !char.IsAsciiLetterLower(name[0]))
            {
                return false;
            }

            foreach (char c in name)
            {
                if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '_')
                {
                    return false;
                }
            }

            return true;
        }

        private static string SuggestName(string name) =>
            new([.. name.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '_')]);

        /// <summary>An event field name: non-empty and not one of the keys every event carries itself.</summary>
        private string? ReadFieldName(YamlNode node, string? feature, string what)
        {
            string? field = ReadText(node, feature, what);
            return field is not null && CheckFieldName(node, field, feature, what) ? field : null;
        }

        private bool CheckFieldName(YamlNode node, string field, string? feature, string what)
        {
            if (!ReservedFields.Contains(field))
            {
                return true;
            }

            string why = field switch
            {
                "type" => "; choose event types with 'events'",
                "time" => "; windows already select events by time",
                _ => "",
            };
            Error(node, feature, $"{what} '{field}' is a reserved event key (every event has id, type and time of its own){why}");
            return false;
        }

        /// <summary>A duration such as 5m or 24h. Zero is accepted only where it means "none" (allowed lateness).</summary>
        private bool TryReadDuration(YamlNode node, string? feature, string what, out long ms, bool allowZero = false)
        {
            ms = 0;
            string? text = ReadText(node, feature, what);
            if (text is null)
            {
                return false;
            }

            if (Time.Duration.TryParse(text, out ms) || (allowZero && IsZeroDuration(text)))
            {
                return true;
            }

            string hint = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long bare)
                ? $"; a bare number has no unit, write {bare}s or {bare}m"
                : "";
            string zero = allowZero ? " or 0" : "";
            Error(node, feature, $"{what} '{text}' is not a duration; expected {Time.Duration.Syntax}{zero}{hint}");
            return false;
        }

        private static bool IsZeroDuration(string text) =>
            text.Trim() is "0" or "0ms" or "0s" or "0m" or "0h" or "0d" or "0w";

        /// <summary>A whole number in [min, max].</summary>
        private bool TryReadInt(YamlNode node, string? feature, string what, int min, int max, out int value)
        {
            value = 0;
            string? text = ReadText(node, feature, what);
            if (text is null)
            {
                return false;
            }

            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
            {
                return true;
            }

            Error(node, feature, $"{what} must be a whole number from {min} to {max}; found '{text}'");
            return false;
        }

        /// <summary>A finite number that is zero or more.</summary>
        private bool TryReadNonNegative(YamlNode node, string? feature, string what, out double value)
        {
            value = 0;
            string? text = ReadText(node, feature, what);
            if (text is null)
            {
                return false;
            }

            if (TryNumber(text, out value) && value >= 0)
            {
                return true;
            }

            Error(node, feature, $"{what} must be a number of 0 or more; found '{text}'");
            return false;
        }

        private static bool TryNumber(string text, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

        private static string Format(long ms) => Time.Duration.Format(ms);
    }
}
