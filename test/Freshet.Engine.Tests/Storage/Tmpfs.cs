using System.Diagnostics;
using System.Globalization;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// A small tmpfs mounted for a test, so a full disk or a read-only file system is a real one. Needs root (or
/// CAP_SYS_ADMIN), as the test command runs here; <see cref="TmpfsFactAttribute"/> skips, saying so, where mounting
/// is not allowed.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Null when this process may mount a tmpfs; otherwise why not.</summary>
    public static string? Unavailable { get; } = Probe();

    public static Tmpfs Mount(long bytes)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "freshet-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={bytes.ToString(CultureInfo.InvariantCulture)}", "tmpfs", path);
        return new Tmpfs(path);
    }

    /// <summary>Changes the size or makes it read-only (<c>ro</c>) or writable (<c>rw</c>) again, keeping its files.</summary>
    public void Remount(string options) => Run("mount", "-o", "remount," + options, Path);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux (a tmpfs mount)";
        }

        try
        {
            using var probe = Mount(1 << 20);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"needs permission to mount a tmpfs (run the tests as root, as ./test.sh does in CI): {e.Message}";
        }
    }

    private static void Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
        }
    }
}

/// <summary>A fact that mounts a tmpfs; skipped, saying why, where this process may not mount one.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
