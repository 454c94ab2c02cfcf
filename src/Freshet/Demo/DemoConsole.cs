using Spectre.Console;

namespace Freshet.Cli.Demo;

/// <summary>
/// The demo's console: a live, coloured view when writing to an interactive terminal; plain text otherwise (CI logs,
/// pipes, tests capturing output), where a live view would only fill the log with redraws.
/// </summary>
internal static class DemoConsole
{
    /// <summary>Width used for tables when the output is not a terminal (nothing to measure).</summary>
    private const int PlainWidth = 120;

    public static bool IsLiveTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    public static IAnsiConsole Create(TextWriter output, bool live)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!live)
        {
            console.Profile.Width = PlainWidth;
        }

        return console;
    }
}
