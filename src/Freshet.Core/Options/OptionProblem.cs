using System.Globalization;

namespace Freshet.Options;

/// <summary>
/// One option out of range: its name (<c>Storage.CheckpointsKept</c>), the value it has, and what is allowed. Options
/// validators (<c>EngineOptionsValidator</c>, <c>ServerOptionsValidator</c>…) return every problem at once, the way
/// Orleans' options validators do, so a configuration is fixed in one go.
/// </summary>
/// <param name="Option">The option's name, with the path to it for nested options.</param>
/// <param name="Value">The value as given, written invariantly.</param>
/// <param name="Allowed">What the option accepts: "at least 1", "more than 0".</param>
public sealed record OptionProblem(string Option, string Value, string Allowed)
{
    /// <summary><c>ShardCount is 0; allowed: at least 1</c>.</summary>
    public override string ToString() => $"{Option} is {Value}; allowed: {Allowed}";

    /// <summary>Writes a value of any option type the way a problem shows it (invariant culture; TimeSpans as 00:00:30).</summary>
    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>Collects the problems of one options record; each validator fills one.</summary>
public sealed class OptionProblems
{
    private readonly List<OptionProblem> _problems = [];
    private readonly string _prefix;

    /// <param name="prefix">Put before every option name: <c>Storage.</c> for the storage options inside the engine's.</param>
    public OptionProblems(string prefix = "") => _prefix = prefix;

    public IReadOnlyList<OptionProblem> Problems => _problems;

    /// <summary>Adds a problem unless <paramref name="ok"/>.</summary>
    public void Check(bool ok, string option, object? value, string allowed)
    {
        if (!ok)
        {
            _problems.Add(new OptionProblem(_prefix + option, OptionProblem.Show(value), allowed));
        }
    }

    /// <summary>Adds problems found by another validator (a nested record's).</summary>
    public void AddRange(IEnumerable<OptionProblem> problems) => _problems.AddRange(problems);
}

/// <summary>
/// Options that cannot be used, with every problem: thrown where the options are consumed (the engine's, the
/// server's start), before anything is opened or started. The message is one line, naming each option, its value and
/// what is allowed.
/// </summary>
public sealed class InvalidOptionsException(string optionsName, IReadOnlyList<OptionProblem> problems)
    : ArgumentException($"invalid {optionsName}: {string.Join("; ", problems)}")
{
    /// <summary>The options record's type name (<c>EngineOptions</c>).</summary>
    public string OptionsName { get; } = optionsName;

    public IReadOnlyList<OptionProblem> Problems { get; } = problems;

    /// <summary>Throws when <paramref name="problems"/> is not empty.</summary>
    public static void ThrowIfAny(string optionsName, IReadOnlyList<OptionProblem> problems)
    {
        if (problems.Count > 0)
        {
            throw new InvalidOptionsException(optionsName, problems);
        }
    }
}
