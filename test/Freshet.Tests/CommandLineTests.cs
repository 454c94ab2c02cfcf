using System.CommandLine;
using System.CommandLine.Help;

namespace Freshet.Cli.Tests;

/// <summary>
/// The whole command tree at once: short aliases that cannot be mistaken, and help whose defaults can be typed back.
/// Each test walks every command, so an option added later is held to the same rules.
/// </summary>
public sealed class CommandLineTests
{
    /// <summary>
    /// Short aliases that stand for differently named options in different commands on purpose, with why: the key is the
    /// alias, the value the names it may stand for.
    /// </summary>
    private static readonly Dictionary<string, string[]> SharedOnPurpose = new(StringComparer.Ordinal)
    {
        // "The window" of a top-k list and "the windows" of a vector: the same idea, singular where one is read.
        ["-w"] = ["--window", "--windows"],
    };

    [Fact]
    public void EveryCommand_NoNameOrAliasIsSharedByTwoOfItsOptions()
    {
        var clashes = new List<string>();
        foreach (var (path, command, inherited) in Commands(FreshetCommand.Create()))
        {
            var owners = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var option in command.Options.Concat(inherited))
            {
                foreach (string name in option.Aliases.Prepend(option.Name))
                {
                    if (owners.TryGetValue(name, out string? owner) && owner != option.Name)
                    {
                        clashes.Add($"freshet {path}: {name} is both {owner} and {option.Name}");
                    }

                    owners[name] = option.Name;
                }
            }
        }

        Assert.True(clashes.Count == 0, string.Join('\n', clashes));
    }

    [Fact]
    public void EveryShortAlias_StandsForTheSameOptionInEveryCommand()
    {
        var meanings = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var where = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (path, command, _) in Commands(FreshetCommand.Create()))
        {
            foreach (var option in command.Options.Where(o => o is not HelpOption))
            {
                foreach (string alias in option.Aliases.Where(a => a.Length == 2))
                {
                    if (!meanings.TryGetValue(alias, out var names))
                    {
                        meanings[alias] = names = new SortedSet<string>(StringComparer.Ordinal);
                        where[alias] = [];
                    }

                    names.Add(option.Name);
                    where[alias].Add($"{path} {option.Name}");
                }
            }
        }

        var confusing = meanings
            .Where(m => m.Value.Count > 1 && !(SharedOnPurpose.TryGetValue(m.Key, out var allowed) && m.Value.IsSubsetOf(allowed)))
            .Select(m => $"{m.Key} means {string.Join(" or ", m.Value)} ({string.Join(", ", where[m.Key])})")
            .ToList();
        Assert.True(confusing.Count == 0, string.Join('\n', confusing));
    }

    [Fact]
    public void Replay_DashD_IsTheDataDirectory_NotTheDelimiter()
    {
        var root = FreshetCommand.Create();
        var parse = root.Parse(["replay", "events.csv", "-d", "/tmp/x"]);
        Assert.Empty(parse.Errors);
        var replay = root.Subcommands.Single(c => c.Name == "replay");
        var data = replay.Options.Single(o => o.Name == "--data");
        var delimiter = replay.Options.Single(o => o.Name == "--delimiter");
        Assert.Equal("/tmp/x", parse.GetResult(data)?.GetValueOrDefault<string?>());
        Assert.Null(parse.GetResult(delimiter));
    }

    [Fact]
    public void EveryDefaultHelpShows_ParsesBackToTheSameValue()
    {
        var root = FreshetCommand.Create();
        var checkedOptions = new List<string>();
        var failures = new List<string>();
        foreach (var (path, command, _) in Commands(root))
        {
            string[] help = Help(path);
            // A flag's default (off) is not shown; its description may say in words what off means.
            foreach (var option in command.Options.Where(o => o.HasDefaultValue && o.GetDefaultValue() is not null && o.ValueType != typeof(bool)))
            {
                string? line = help.FirstOrDefault(l => FirstColumnNames(l).Contains(option.Name));
                Assert.True(line is not null, $"freshet {path} --help has no line for {option.Name}:\n{string.Join('\n', help)}");
                Assert.True(DefaultShown(line) is not null, $"freshet {path} --help does not show the default of {option.Name}: {line}");
                string shown = DefaultShown(line)!;

                var parse = root.Parse([.. path.Split(' '), .. RequiredArguments(command), option.Name, shown]);
                object? parsed = parse.GetResult(option)?.GetValueOrDefault<object?>();
                if (parse.Errors.Count > 0 || !Equals(parsed, option.GetDefaultValue()))
                {
                    failures.Add($"freshet {path} {option.Name} {shown}: help shows [default: {shown}] but typing it back "
                        + (parse.Errors.Count > 0 ? $"fails: {string.Join("; ", parse.Errors.Select(e => e.Message))}" : $"gives {parsed}, not {option.GetDefaultValue()}"));
                }

                checkedOptions.Add($"{path} {option.Name}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        // The durations and sizes of the data directory are what the issue was about; they must be among those checked.
        Assert.Contains("serve --checkpoint-interval", checkedOptions);
        Assert.Contains("serve --segment-size", checkedOptions);
        Assert.Contains("replay --retention", checkedOptions);
    }

    [Fact]
    public void EveryHelpLine_ShowsItsDefaultAtMostOnce()
    {
        var twice = new List<string>();
        foreach (var (path, _, _) in Commands(FreshetCommand.Create()))
        {
            twice.AddRange(Help(path)
                .Where(l => l.Split("[default:").Length > 2)
                .Select(l => $"freshet {path} --help: {l.Trim()}"));
        }

        Assert.True(twice.Count == 0, string.Join('\n', twice));
    }

    [Theory]
    [InlineData("serve", "--checkpoint-interval")]
    [InlineData("serve", "--body-timeout")]
    [InlineData("replay", "--retention")]
    [InlineData("query", "--windows")]
    [InlineData("demo", "--duration")]
    public async Task DurationOption_BareNumber_NamesTheOptionOnceAndTheUnits(string command, string option)
    {
        string[] args = command switch
        {
            "replay" => ["replay", "events.csv", option, "30000"],
            "query" => ["query", "vector", "item", "i1", option, "30000"],
            _ => [command, option, "30000"],
        };
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = await FreshetCommand.RunAsync(args, output, error);

        Assert.Equal(ExitCodes.Usage, exitCode);
        string message = error.ToString();
        Assert.Contains($"{option}: '30000' has no unit: write 30s for 30000 milliseconds, or 30000s for seconds (units: ms, s, m, h, d, w", message, StringComparison.Ordinal);
        Assert.DoesNotContain("---", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SizeOption_BadValue_NamesTheOptionOnce()
    {
        var error = new StringWriter();
        int exitCode = await FreshetCommand.RunAsync(["serve", "--max-body", "lots"], new StringWriter(), error);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--max-body: 'lots' is not a size like 16MiB", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("---", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Every command under <paramref name="root"/> with its path ("query series") and the recursive options it inherits.</summary>
    private static IEnumerable<(string Path, Command Command, IReadOnlyList<Option> Inherited)> Commands(Command root)
    {
        var stack = new Stack<(string Path, Command Command, IReadOnlyList<Option> Inherited)>();
        foreach (var sub in root.Subcommands)
        {
            stack.Push((sub.Name, sub, [.. root.Options.Where(o => o.Recursive)]));
        }

        while (stack.Count > 0)
        {
            var item = stack.Pop();
            yield return item;
            var inherited = item.Inherited.Concat(item.Command.Options.Where(o => o.Recursive)).ToList();
            foreach (var sub in item.Command.Subcommands)
            {
                stack.Push(($"{item.Path} {sub.Name}", sub, inherited));
            }
        }
    }

    /// <summary><c>freshet PATH --help</c> as lines, unwrapped.</summary>
    private static string[] Help(string path)
    {
        var root = FreshetCommand.Create();
        var help = (HelpAction)root.Options.OfType<HelpOption>().Single().Action!;
        help.MaxWidth = 100_000;
        var output = new StringWriter();
        root.Parse([.. path.Split(' '), "--help"]).Invoke(new InvocationConfiguration { Output = output, Error = output });
        return output.ToString().Split('\n');
    }

    /// <summary>The names in a help line's first column: "  -d, --data &lt;dir&gt;   Data…" → -d, --data.</summary>
    private static HashSet<string> FirstColumnNames(string line)
    {
        string trimmed = line.TrimStart();
        int end = trimmed.IndexOf("  ", StringComparison.Ordinal);
        string first = end < 0 ? trimmed : trimmed[..end];
        return [.. first.Split(", ").Select(n => n.Split(' ')[0])];
    }

    private static string? DefaultShown(string line)
    {
        int start = line.LastIndexOf("[default: ", StringComparison.Ordinal);
        int end = line.LastIndexOf(']');
        return start < 0 || end < start ? null : line[(start + "[default: ".Length)..end];
    }

    /// <summary>A placeholder for each argument a command needs, so it parses.</summary>
    private static IEnumerable<string> RequiredArguments(Command command) =>
        command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && !a.HasDefaultValue).Select(_ => "x");
}
