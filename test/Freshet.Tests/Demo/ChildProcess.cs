using System.Diagnostics;
using System.Globalization;

namespace Freshet.Cli.Tests;

/// <summary>
/// A process the tests start and read line by line (stdout and stderr, in arrival order), with waits on its output
/// that have a deadline and say what they expected and what was printed instead.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ChildProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The <c>freshet</c> build the test project copies next to its own assembly (it references src/Freshet).</summary>
    public static string FreshetDll { get; } = Path.Combine(AppContext.BaseDirectory, "freshet.dll");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Every line printed so far, stdout and stderr interleaved as they arrived.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Runs <c>dotnet freshet.dll</c> with <paramref name="args"/>, as a user runs the built command.</summary>
    public static ChildProcess StartFreshet(params string[] args)
    {
        Assert.True(File.Exists(FreshetDll), $"{FreshetDll} is missing: the test project should reference src/Freshet and so copy it");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(FreshetDll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var child = new ChildProcess(new Process { StartInfo = info });
        child._process.OutputDataReceived += (_, e) => child.Add(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Runs <paramref name="command"/> with <c>/bin/sh -c</c>, exactly as a user pasting it into a shell would, and
    /// returns its exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunShellAsync(string command, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{command}' did not finish within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Waits until the lines printed so far satisfy <paramref name="condition"/>, failing after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout, string expected)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var lines = Lines;
            if (condition(lines))
            {
                return;
            }

            if (_process.HasExited)
            {
                // The process may have printed its last lines between reading them and seeing it exit.
                _process.WaitForExit();
                if (condition(Lines))
                {
                    return;
                }

                Assert.Fail($"freshet exited ({_process.ExitCode}) before printing {expected}; it printed:\n{string.Join('\n', Lines)}");
            }

            Assert.True(deadline.Elapsed < timeout,
                $"freshet did not print {expected} within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; it printed:\n{string.Join('\n', lines)}");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits for the process to exit, failing after <paramref name="timeout"/>; then every line has been read.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"freshet did not exit within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; it printed:\n{string.Join('\n', Lines)}");
        }
    }

    /// <summary>Kills the process with SIGKILL, as a crash would: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }
}
