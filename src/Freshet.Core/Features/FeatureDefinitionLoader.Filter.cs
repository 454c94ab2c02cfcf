using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Freshet.Yaml.YamlNodes;

namespace Freshet.Features;

public static partial class FeatureDefinitionLoader
{
    /// <summary>
    /// A feature's <c>filter</c>: a map from event field to a condition. A bare value means equality
    /// (<c>category: books</c>); otherwise a map of operators (<c>price: { gt: 0, lte: 500 }</c>), all of which must hold.
    /// </summary>
    private sealed partial class Reader
    {
        private static readonly Dictionary<string, FilterOp> FilterOps = new(StringComparer.Ordinal)
        {
            ["eq"] = FilterOp.Eq,
            ["ne"] = FilterOp.Ne,
            ["in"] = FilterOp.In,
            ["not_in"] = FilterOp.NotIn,
            ["gt"] = FilterOp.Gt,
            ["gte"] = FilterOp.Gte,
            ["lt"] = FilterOp.Lt,
            ["lte"] = FilterOp.Lte,
            ["exists"] = FilterOp.Exists,
        };

        private ImmutableArray<FilterCondition> ReadFilter(YamlNode node, string feature)
        {
            if (node is not YamlMappingNode map)
            {
                Error(node, feature, $"'filter' must be a map from event field to condition, e.g. filter: {{ price: {{ gt: 0 }}, device: {{ in: [ios, android] }} }}; found {Describe(node)}");
                return [];
            }

            var conditions = new List<FilterCondition>();
            foreach (var (fieldNode, condition) in map.Children)
            {
                string field = KeyName(fieldNode);
                if (field.Trim().Length == 0)
                {
                    Error(fieldNode, feature, "a filter field name is empty");
                    continue;
                }

                if (!CheckFieldName(fieldNode, field, feature, "filter field"))
                {
                    continue;
                }

                switch (condition)
                {
                    case YamlScalarNode scalar when !IsNull(scalar):
                        conditions.Add(new FilterCondition(field, FilterOp.Eq, [Literal(scalar)]));
                        break;
                    case YamlSequenceNode:
                        Error(condition, feature, $"filter on '{field}' is a list; to match any of several values write {field}: {{ in: [a, b] }}");
                        break;
                    case YamlMappingNode ops when ops.Children.Count > 0:
                        foreach (var (opNode, operand) in ops.Children)
                        {
                            if (ReadCondition(field, KeyName(opNode), opNode, operand, feature) is { } read)
                            {
                                conditions.Add(read);
                            }
                        }

                        break;
                    default:
                        Error(IsNull(condition) ? fieldNode : condition, feature, $"filter on '{field}' has no condition; write {field}: value for equality, or an operator map such as {{ in: [a, b] }} or {{ gt: 0 }}");
                        break;
                }
            }

            return [.. conditions];
        }

        private FilterCondition? ReadCondition(string field, string op, YamlNode opNode, YamlNode operand, string feature)
        {
            if (!FilterOps.TryGetValue(op, out var kind))
            {
                Error(opNode, feature, $"unknown filter operator '{op}' on '{field}'; expected one of: {string.Join(", ", FilterOps.Keys)}{DidYouMean(op, FilterOps.Keys)}");
                return null;
            }

            string what = $"filter '{field}: {{ {op}: … }}'";
            switch (kind)
            {
                case FilterOp.Exists:
                    if (operand is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "True" or "TRUE" })
                    {
                        return new FilterCondition(field, kind, []);
                    }

                    Error(operand, feature, $"{what} takes only true (exists: true keeps events that have the field); found {Describe(operand)}");
                    return null;

                case FilterOp.Eq or FilterOp.Ne:
                    if (operand is YamlScalarNode scalar && !IsNull(operand))
                    {
                        return new FilterCondition(field, kind, [Literal(scalar)]);
                    }

                    string several = kind == FilterOp.Eq ? "in" : "not_in";
                    Error(operand, feature, $"{what} needs one value; found {Describe(operand)}{(operand is YamlSequenceNode ? $" (for several values use {several})" : "")}");
                    return null;

                case FilterOp.In or FilterOp.NotIn:
                    if (operand is not YamlSequenceNode list || list.Children.Count == 0)
                    {
                        Error(operand, feature, $"{what} needs a non-empty list of values, e.g. {op}: [ios, android]; found {Describe(operand)}");
                        return null;
                    }

                    var values = new List<FilterLiteral>();
                    foreach (var item in list.Children)
                    {
                        if (item is YamlScalarNode itemScalar && !IsNull(item))
                        {
                            values.Add(Literal(itemScalar));
                        }
                        else
                        {
                            Error(item, feature, $"{what}: each value must be a single text or number; found {Describe(item)}");
                        }
                    }

                    return values.Count == list.Children.Count ? new FilterCondition(field, kind, [.. values]) : null;

                default:
                    if (operand is YamlScalarNode { Style: ScalarStyle.Plain, Value: { } text } && TryNumber(text, out double number))
                    {
                        return new FilterCondition(field, kind, [FilterLiteral.Of(number)]);
                    }

                    string quoted = operand is YamlScalarNode { Value: { } q } && TryNumber(q, out _) ? "; remove the quotes, quoted values are text" : "";
                    Error(operand, feature, $"{what} compares numbers and needs a number; found {Describe(operand)}{quoted}");
                    return null;
            }
        }

        /// <summary>
        /// A plain (unquoted) scalar that reads as a finite number in the invariant culture is a number; anything
        /// else, including a quoted "42", is text. NaN and infinity stay text so that they can only match as text.
        /// </summary>
        private static FilterLiteral Literal(YamlScalarNode scalar) =>
            scalar.Style == ScalarStyle.Plain && TryNumber(scalar.Value ?? "", out double number)
                ? FilterLiteral.Of(number)
                : FilterLiteral.Of(scalar.Value ?? "");
    }
}
