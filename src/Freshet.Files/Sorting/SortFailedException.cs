namespace Freshet.Files.Sorting;

/// <summary>
/// Sorting a file by time could not go on (too many runs for the memory limit, or no room for the runs on disk). The
/// message is the one line the user sees; it names the command-line options that change the limits.
/// </summary>
public sealed class SortFailedException(string message) : Exception(message);
