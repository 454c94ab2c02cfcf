using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Freshet.BenchSuite.Suite;

/// <summary>What the figures were measured on: cores, memory, CPU model, OS, runtime, and the commit.</summary>
internal sealed record Machine(int Cores, long MemoryBytes, string Cpu, string Os, string Runtime, string Commit, bool Dirty)
{
    public static Machine Describe()
    {
        string cpu = "unknown";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        string commit = Git("rev-parse --short HEAD") ?? "unknown";
        bool dirty = !string.IsNullOrWhiteSpace(Git("status --porcelain --untracked-files=no"));
        return new Machine(Environment.ProcessorCount, memory, cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, commit, dirty);
    }

    public override string ToString() =>
        $"{Cores} cores ({Cpu}), {MemoryBytes / (1L << 30)} GiB, {Os}, {Runtime}; commit {Commit}{(Dirty ? " with uncommitted changes" : "")}";

    private static string? Git(string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
