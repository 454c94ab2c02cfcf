namespace Freshet.Cli;

/// <summary>Process exit codes of the <c>freshet</c> command.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line could not be parsed (System.CommandLine's own code for parse errors).</summary>
    public const int Usage = 1;

    /// <summary>The feature definitions file is missing or invalid.</summary>
    public const int BadDefinitions = 2;

    /// <summary>Something failed while running.</summary>
    public const int Failure = 3;

    /// <summary>The data directory cannot be used (locked, read-only, full, damaged), or <c>freshet check</c> found a problem.</summary>
    public const int Storage = 4;
}
