using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Freshet.BenchSuite.Suite;

/// <summary>The real <c>freshet serve</c> as a child process on a free loopback port, as users run it.</summary>
internal sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ServeProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public int Pid => _process.Id;

    public static string FreshetDll => FreshetDllOverride ?? Path.Combine(AppContext.BaseDirectory, "freshet.dll");

    /// <summary>Another build's freshet.dll to start (a before/after comparison); null for the one beside the suite.</summary>
    public static string? FreshetDllOverride { get; set; }

    public static ServeProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(FreshetDll);
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--url");
        info.ArgumentList.Add("http://127.0.0.1:0");
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var serve = new ServeProcess(Process.Start(info)!);
        serve._process.OutputDataReceived += (_, e) => serve.Add(e.Data);
        serve._process.ErrorDataReceived += (_, e) => serve.Add(e.Data);
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            lock (serve._lines)
            {
                if (serve._lines.Select(l => Listening().Match(l)).FirstOrDefault(m => m.Success) is { } match)
                {
                    serve.BaseAddress = new Uri(match.Groups[1].Value);
                    return serve;
                }

                if (serve._process.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException($"freshet serve did not start:\n{string.Join('\n', serve._lines)}");
                }
            }

            Thread.Sleep(20); // Waiting for a line of a child's output: nothing else to wait on.
        }
    }

    /// <summary>Resident set size of the server process (from /proc), in bytes.</summary>
    public long Rss()
    {
        _process.Refresh();
        return _process.WorkingSet64;
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

    /// <summary>The lines the server printed so far containing <paramref name="text"/>.</summary>
    public List<string> LinesContaining(string text)
    {
        lock (_lines)
        {
            return [.. _lines.Where(l => l.Contains(text, StringComparison.Ordinal))];
        }
    }

    [GeneratedRegex(@"Listening on (http://\S+/)")]
    private static partial Regex Listening();
}
