using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Freshet.Cli;

/// <summary><c>freshet version</c>: the command's version and the runtime it runs on.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of freshet and of the .NET runtime it runs on.");
        command.SetAction(result =>
        {
            result.InvocationConfiguration.Output.WriteLine($"freshet {Version} (.NET {Environment.Version}, {RuntimeInformation.RuntimeIdentifier})");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The informational version without build metadata (the part after '+', usually a commit hash).</summary>
    public static string Version
    {
        get
        {
            var assembly = typeof(VersionCommand).Assembly;
            string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
            int plus = version.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? version : version[..plus];
        }
    }
}
