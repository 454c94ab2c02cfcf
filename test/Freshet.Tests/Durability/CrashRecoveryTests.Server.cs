using System.Diagnostics;
using System.Globalization;

namespace Freshet.Cli.Tests.Durability;

/// <summary>The crash test's server: the real freshet serve as a child process, killed with SIGKILL at fault points.</summary>
public sealed partial class CrashRecoveryTests
{
    /// <summary>The run's fixed parts, the kills so far and the server now, with the context every failure message carries.</summary>
    private sealed class CrashRun(int seed, string dataDirectory, string featuresPath)
    {
        public string DataDirectory => dataDirectory;

        public List<KillRecord> Kills { get; } = [];

        public ServerProcess? Server { get; private set; }

        public ServerProcess Start(string durability, int cycle) => Server = ServerProcess.Start(cycle,
            "serve", "--data", dataDirectory, "--url", "http://127.0.0.1:0", "--features", featuresPath, "--shards", "2", "--durability", durability,
            "--fsync-interval", "20ms", "--checkpoint-interval", "300ms", "--segment-size", "32KiB");

        public string Context(string message) =>
            $"{message}\n(seed {seed}, set FRESHET_CRASH_TEST_SEED to rerun it; last kills: "
            + string.Join("; ", Kills.TakeLast(5).Select(k => $"cycle {k.Cycle} {k.Durability} at {k.FaultPoint ?? $"{k.AfterMs} ms"}"))
            + $")\nthe server (cycle {Server?.Cycle}) printed last, with the milliseconds since its start:\n{Server?.Tail(40)}";
    }

    /// <summary>
    /// <c>dotnet freshet.dll</c> with the fault-point pause switched on (which <see cref="ChildProcess"/> cannot pass),
    /// killed with SIGKILL the moment a chosen fault point is announced. Its output is read by two dedicated threads,
    /// not the thread pool, whose readers were seen to lag by a second on a busy two-core machine, far past the pause.
    /// </summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(long Ms, string Line)> _lines = [];
        private readonly TaskCompletionSource<string> _killedAtFaultPoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _outputRead = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _streamsOpen = 2;
        private string? _killAt;
        private int _killed;
        private int _disposed;

        private ServerProcess(Process process, int cycle) => (_process, Cycle) = (process, cycle);

        public int Cycle { get; }

        public int ExitCode => _process.ExitCode;

        /// <summary>The fault point (without <c>fault-point: </c>) the process was killed at.</summary>
        public Task<string> KilledAtFaultPoint => _killedAtFaultPoint.Task;

        /// <summary>Every line printed so far, stdout and stderr interleaved as they were read.</summary>
        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) { return [.. _lines.Select(l => l.Line)]; } }
        }

        public static ServerProcess Start(int cycle, params string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(ChildProcess.FreshetDll);
            args.ToList().ForEach(info.ArgumentList.Add);
            info.Environment["FRESHET_TEST_FAULT_PAUSE_MS"] = FaultPauseMs.ToString(CultureInfo.InvariantCulture);
            var server = new ServerProcess(new Process { StartInfo = info }, cycle);
            server._process.Start();
            server.Pump(server._process.StandardOutput, "stdout");
            server.Pump(server._process.StandardError, "stderr");
            return server;
        }

        /// <summary>The last <paramref name="count"/> lines, each with the milliseconds since the start it was read at.</summary>
        public string Tail(int count)
        {
            lock (_lines)
            {
                return string.Join('\n', _lines.TakeLast(count).Select(l => $"{l.Ms,6} ms  {l.Line}"));
            }
        }

        /// <summary>Waits for <c>Listening on</c>, checking the start-up lines say what the last kill requires.</summary>
        public async Task<Uri> WaitForListeningAsync(TimeSpan timeout, CrashRun run)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var lines = Lines;
                if (lines.FirstOrDefault(l => l.StartsWith("Listening on ", StringComparison.Ordinal)) is { } listening)
                {
                    string expected = Cycle == 0 ? "Created a new data directory " : "Recovered ";
                    Assert.True(lines.Any(l => l.StartsWith(expected, StringComparison.Ordinal)), run.Context($"cycle {Cycle}: no '{expected}' line before 'Listening on'"));
                    if (run.Kills.LastOrDefault() is { Kind: KillKind.Checkpoint, FaultPoint: not null } last && last.Cycle == Cycle - 1)
                    {
                        // The checkpoint killed last time never got its rename, so recovery must throw its half away.
                        Assert.True(lines.Any(l => l.Contains("removed the half-written checkpoint", StringComparison.Ordinal)),
                            run.Context($"cycle {Cycle}: the last kill was at '{last.FaultPoint}', but recovery did not remove a half-written checkpoint"));
                    }

                    return new Uri(listening.Split(' ')[2]);
                }

                if (_outputRead.Task.IsCompleted)
                {
                    await WaitForExitAsync(timeout, run); // Both streams ended: every line is in, and none says it listens.
                    Assert.Fail(run.Context($"cycle {Cycle}: freshet exited with {_process.ExitCode} instead of recovering and listening"));
                }

                Assert.True(deadline.Elapsed < timeout, run.Context($"cycle {Cycle}: freshet did not print 'Listening on' within {timeout.TotalSeconds} s"));
                await Task.Delay(20);
            }
        }

        /// <summary>Kills the process with SIGKILL at the next line that starts with <paramref name="faultPoint"/>.</summary>
        public void KillAt(string faultPoint) => Volatile.Write(ref _killAt, faultPoint);

        /// <summary>SIGKILL now (what <see cref="Process.Kill()"/> sends on Linux); false when it was killed already.</summary>
        public bool Kill()
        {
            if (Interlocked.Exchange(ref _killed, 1) != 0)
            {
                return false;
            }

            try
            {
                _process.Kill();
                Add("(SIGKILL sent)");
            }
            catch (InvalidOperationException)
            {
                // It exited on its own; the exit code says so.
            }

            return true;
        }

        /// <summary>SIGTERM, then expects a clean exit (0) after the "Stopped." line.</summary>
        public async Task TerminateAsync(TimeSpan timeout, CrashRun run)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await WaitForExitAsync(timeout, run);
            Assert.True(_process.ExitCode == 0 && Lines.Any(l => l.StartsWith("Stopped. ", StringComparison.Ordinal)),
                run.Context($"cycle {Cycle}: after SIGTERM freshet exited with {_process.ExitCode}, expected 0 after a 'Stopped.' line"));
        }

        /// <summary>Waits for the exit and for the last line of both streams.</summary>
        public async Task WaitForExitAsync(TimeSpan timeout, CrashRun run)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
                await _outputRead.Task.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail(run.Context($"cycle {Cycle}: freshet did not exit (and close its output) within {timeout.TotalSeconds} s"));
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit();
                }

                _process.Dispose();
            }
        }

        private void Pump(StreamReader reader, string name)
        {
            new Thread(() =>
            {
                try
                {
                    while (reader.ReadLine() is { } line)
                    {
                        Add(line);
                        // Killed right here, so the kill lands inside the pause that follows the announcement.
                        if (Volatile.Read(ref _killAt) is { } faultPoint && line.StartsWith(faultPoint, StringComparison.Ordinal) && Kill())
                        {
                            _killedAtFaultPoint.TrySetResult(line["fault-point: ".Length..]);
                        }
                    }
                }
                catch (Exception error) when (error is IOException or ObjectDisposedException)
                {
                    // The process was disposed while its output was read.
                }
                finally
                {
                    if (Interlocked.Decrement(ref _streamsOpen) == 0)
                    {
                        _outputRead.TrySetResult();
                    }
                }
            })
            { IsBackground = true, Name = $"freshet {name} (cycle {Cycle})" }.Start();
        }

        private void Add(string line)
        {
            lock (_lines)
            {
                _lines.Add((_clock.ElapsedMilliseconds, line));
            }
        }
    }
}
