using System.CommandLine;
using Freshet.Cli.Serve;
using Freshet.Engine.Check;

namespace Freshet.Cli.Check;

/// <summary><c>freshet check [DIR]</c>: verifies a data directory without changing it and says what is wrong.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir")
        {
            Description = "The data directory to check",
            DefaultValueFactory = _ => StorageArguments.DefaultDirectory,
        };
        var command = new Command("check",
            "Verify a data directory without changing it: the id journal, every checkpoint file and every log record (checksums, "
            + "offsets in sequence), and whether the log still covers what the checkpoints need. Exits 0 when a server could start "
            + "on it without losing acknowledged events, 4 otherwise, 1 when there is no such directory. Damage in the newest segment past the last checkpoint can be "
            + "got past with 'freshet serve --salvage-log', which keeps every valid record, sets the damaged bytes aside and logs what was lost.")
        {
            directory,
        };
        command.SetAction(result =>
        {
            var output = result.InvocationConfiguration.Output;
            string path = Path.GetFullPath(result.GetValue(directory)!);
            if (!Directory.Exists(path))
            {
                // Nothing to check is not damage: a mistyped path is the user's to fix, and a server would create it.
                result.InvocationConfiguration.Error.WriteLine(File.Exists(path)
                    ? $"{path} is a file, not a data directory; give the directory a server was started with (--data)."
                    : $"{path} does not exist; give the directory a server was started with (--data) [default: {StorageArguments.DefaultDirectory} in the current directory].");
                return ExitCodes.Usage;
            }

            output.WriteLine($"Checking {path}");
            var findings = DataDirectoryCheck.Run(path);
            int width = findings.Count == 0 ? 0 : findings.Max(f => f.Part.Length);
            foreach (var finding in findings)
            {
                string label = finding.Severity switch
                {
                    CheckSeverity.Error => "ERROR  ",
                    CheckSeverity.Warning => "warning",
                    _ => "ok     ",
                };
                output.WriteLine($"  {label}  {finding.Part.PadRight(width)}  {finding.Message}");
            }

            int errors = findings.Count(f => f.Severity == CheckSeverity.Error);
            int warnings = findings.Count(f => f.Severity == CheckSeverity.Warning);
            output.WriteLine(errors > 0
                ? $"Damaged: {errors} error{(errors == 1 ? "" : "s")}. A server refuses to start on this directory (or would lose acknowledged events); restore it from a backup."
                : warnings > 0
                    ? $"Usable: {warnings} warning{(warnings == 1 ? "" : "s")}: a server starts on it, repairing or reporting each as said above."
                    : "Healthy.");
            return errors > 0 ? ExitCodes.Storage : ExitCodes.Success;
        });
        return command;
    }
}
