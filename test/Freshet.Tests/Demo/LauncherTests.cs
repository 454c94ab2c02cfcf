using System.Diagnostics;
using Freshet.Testing.TestData;

namespace Freshet.Cli.Tests.Demo;

/// <summary>
/// The repository's <c>./freshet</c> launcher, run by bash in a scratch copy of the checkout's layout with a stand-in
/// <c>dotnet</c> on the PATH (it logs each build and writes a program that prints its arguments): the first run builds
/// and says so, later runs start the built program without building, a changed source rebuilds, and a failed build
/// starts nothing. The real build and its timings are in the closing note of issue 13; this pins the logic.
/// </summary>
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("freshet-launcher-").FullName;

    private string BuildLog => Path.Combine(_root, "builds.log");

    public LauncherTests()
    {
        File.Copy(SharedData.RepositoryFile("freshet"), Path.Combine(_root, "freshet"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "Freshet"));
        Directory.CreateDirectory(Path.Combine(_root, "samples"));
        Directory.CreateDirectory(Path.Combine(_root, "tools"));
        File.WriteAllText(Path.Combine(_root, "src", "Freshet", "Program.cs"), "// source\n");
        File.WriteAllText(Path.Combine(_root, "samples", "features.yaml"), "features: {}\n");
        File.WriteAllText(Path.Combine(_root, "global.json"), "{}\n");
        // The stand-in SDK: logs the build, fails it when asked, else writes the program (as dotnet build would).
        string fakeDotnet = Path.Combine(_root, "tools", "dotnet");
        File.WriteAllText(fakeDotnet, $$"""
            #!/usr/bin/env bash
            echo "build $*" >> '{{BuildLog}}'
            [ -e '{{_root}}/fail-build' ] && { echo "error CS0000: broken" >&2; exit 1; }
            mkdir -p '{{_root}}/src/Freshet/bin/Release/net10.0'
            printf '#!/usr/bin/env bash\necho "program ran with: $*"\n' > '{{_root}}/src/Freshet/bin/Release/net10.0/freshet'
            chmod +x '{{_root}}/src/Freshet/bin/Release/net10.0/freshet'
            """.Replace("\r", "", StringComparison.Ordinal));
        Chmod(fakeDotnet);
        Chmod(Path.Combine(_root, "freshet"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void FirstRun_BuildsSayingSo_ThenLaterRunsStartTheProgramWithoutBuilding()
    {
        var first = Run("version");
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("building freshet (first run", first.Error, StringComparison.Ordinal);
        Assert.Contains("program ran with: version", first.Output, StringComparison.Ordinal);
        Assert.Single(Builds());
        Assert.Contains("-c Release", Builds()[0], StringComparison.Ordinal);

        var second = Run("demo", "--duration", "30s");
        Assert.Equal(0, second.ExitCode);
        Assert.Equal("", second.Error);
        Assert.Contains("program ran with: demo --duration 30s", second.Output, StringComparison.Ordinal);
        Assert.Single(Builds());
    }

    [Theory]
    [InlineData("src/Freshet/Program.cs")]
    [InlineData("samples/features.yaml")]
    [InlineData("global.json")]
    public void ASourceNewerThanTheProgram_Rebuilds_OnceOnly(string source)
    {
        Assert.Equal(0, Run("version").ExitCode);
        string program = Path.Combine(_root, "src", "Freshet", "bin", "Release", "net10.0", "freshet");
        File.SetLastWriteTimeUtc(program, DateTime.UtcNow.AddMinutes(-10));
        File.SetLastWriteTimeUtc(Path.Combine(_root, source), DateTime.UtcNow.AddMinutes(-5));

        var changed = Run("version");
        Assert.Equal(0, changed.ExitCode);
        Assert.Contains("sources changed, rebuilding", changed.Error, StringComparison.Ordinal);
        Assert.Equal(2, Builds().Length);

        Assert.Equal(0, Run("version").ExitCode);
        Assert.Equal(2, Builds().Length);
    }

    [Fact]
    public void AFailedBuild_StartsNothing_AndSaysSo()
    {
        File.WriteAllText(Path.Combine(_root, "fail-build"), "");
        var run = Run("demo");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the build failed", run.Error, StringComparison.Ordinal);
        Assert.Contains("error CS0000: broken", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("program ran", run.Output, StringComparison.Ordinal);
    }

    private string[] Builds() => File.Exists(BuildLog) ? File.ReadAllLines(BuildLog) : [];

    private (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root };
        start.ArgumentList.Add(Path.Combine(_root, "freshet"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = Path.Combine(_root, "tools") + ":/usr/bin:/bin";
        start.Environment.Remove("FRESHET_REBUILD");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the launcher did not finish within 30 s");
        return (process.ExitCode, output.Result, error.Result);
    }

    private static void Chmod(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }
}
