namespace Freshet.Cli;

/// <summary>The <c>freshet</c> command's entry point.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => FreshetCommand.RunAsync(args, Console.Out, Console.Error);
}
