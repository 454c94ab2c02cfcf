using Spectre.Console;
using Spectre.Console.Rendering;

namespace Freshet.Cli.Query;

/// <summary>
/// Where a query's answer is drawn. On an interactive terminal: bordered tables, colour, bars. Anywhere else (a pipe,
/// a file, a test's writer): plain columns separated by two spaces, no colour, no borders and no trailing spaces, so
/// <c>grep</c>, <c>awk</c> and <c>column</c> work on it.
/// </summary>
internal sealed class QueryView
{
    /// <summary>Wide enough that no plain table wraps a cell: a pipe has no width, and a wrapped row breaks line tools.</summary>
    private const int PlainWidth = 4096;

    private readonly TextWriter _output;
    private readonly StringWriter? _plainBuffer;

    private QueryView(TextWriter output, bool live)
    {
        _output = output;
        Live = live;
        if (!live)
        {
            _plainBuffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        }

        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_plainBuffer ?? output),
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!live)
        {
            Console.Profile.Width = PlainWidth;
        }

        Unicode = Console.Profile.Capabilities.Unicode;
    }

    public IAnsiConsole Console { get; }

    /// <summary>True on an interactive terminal: colour, borders and bars.</summary>
    public bool Live { get; }

    public bool Unicode { get; }

    public string Arrow => Unicode ? "→" : "->";

    /// <summary>What a cell shows when there is no value: a dash that line tools see as one field.</summary>
    public string None => Live ? "[grey]–[/]" : "-";

    public static QueryView Create(TextWriter output) =>
        new(output, ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected);

    public Table Table()
    {
        var table = new Table().Border(Live ? TableBorder.Rounded : TableBorder.None);
        if (Live)
        {
            table.BorderColor(Color.Grey);
        }

        return table;
    }

    public TableColumn Column(string header, bool right = false)
    {
        var column = new TableColumn(Live ? $"[bold]{Markup.Escape(header)}[/]" : Markup.Escape(header));
        if (right)
        {
            column.RightAligned();
        }

        if (!Live)
        {
            // Plain columns: nothing before the first, two spaces between (trailing ones are trimmed on flush).
            column.Padding(0, 0, 2, 0);
        }

        return column;
    }

    /// <summary>A heading line above a table; markup is allowed, server strings must be escaped by the caller.</summary>
    public void Heading(string markup) => Console.MarkupLine(Live ? $"[bold]{markup}[/]" : markup);

    /// <summary>A secondary line (an interval, a note); grey on a terminal.</summary>
    public void Note(string markup) => Console.MarkupLine(Live ? $"[grey]{markup}[/]" : markup);

    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>Writes out what a plain view buffered, without trailing spaces. A live view wrote as it went.</summary>
    public void Flush()
    {
        if (_plainBuffer is null)
        {
            _output.Flush();
            return;
        }

        using var reader = new StringReader(_plainBuffer.ToString());
        while (reader.ReadLine() is { } line)
        {
            _output.WriteLine(line.TrimEnd());
        }

        _output.Flush();
    }
}
