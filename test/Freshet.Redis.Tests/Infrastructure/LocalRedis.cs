using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Freshet.Redis.Tests.Infrastructure;

/// <summary>
/// Real <c>redis-server</c> processes on free loopback ports, each in its own temporary directory: one standalone
/// server, or a Redis Cluster of N masters made with <c>redis-cli --cluster create</c>. <c>test.sh</c> installs Debian's
/// redis-server and redis-tools when the machine lacks them. Disposing kills the processes and deletes the directories.
/// </summary>
public sealed class LocalRedis : IDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<string> _directories = [];

    private LocalRedis(bool cluster) => IsCluster = cluster;

    /// <summary>The servers' ports (one for a standalone server, one per master for a cluster).</summary>
    public IReadOnlyList<int> Ports => _ports;

    private readonly List<int> _ports = [];

    public bool IsCluster { get; }

    /// <summary>A StackExchange.Redis configuration string naming every node.</summary>
    public string ConnectionString => string.Join(',', _ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Why the servers cannot be started here, or null when redis-server and redis-cli are installed.</summary>
    public static string? Unavailable =>
        Find("redis-server") is null || Find("redis-cli") is null
            ? "redis-server/redis-cli are not installed (test.sh installs Debian's redis-server and redis-tools with apt-get)"
            : null;

    /// <summary>One standalone server; <paramref name="appendFsync"/> turns AOF on with that policy (always, everysec) or leaves it off.</summary>
    public static LocalRedis Standalone(string? appendFsync = null)
    {
        var redis = new LocalRedis(cluster: false);
        try
        {
            redis.StartServer(cluster: false, appendFsync);
            redis.WaitPing(redis._ports[0]);
            return redis;
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>A cluster of <paramref name="masters"/> masters without replicas, its slots spread by redis-cli, state ok.</summary>
    public static LocalRedis Cluster(int masters = 3)
    {
        var redis = new LocalRedis(cluster: true);
        try
        {
            for (int i = 0; i < masters; i++)
            {
                redis.StartServer(cluster: true, appendFsync: null);
            }

            foreach (int port in redis._ports)
            {
                redis.WaitPing(port);
            }

            var args = new List<string> { "--cluster", "create" };
            args.AddRange(redis._ports.Select(p => "127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture)));
            args.AddRange(["--cluster-replicas", "0", "--cluster-yes"]);
            var (code, output) = RedisCli(args);
            if (code != 0)
            {
                throw new InvalidOperationException("redis-cli --cluster create failed: " + output);
            }

            redis.WaitClusterOk();
            return redis;
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>Kills node <paramref name="index"/> (SIGKILL), for tests of what a lost node does.</summary>
    public void Kill(int index)
    {
        if (!_processes[index].HasExited)
        {
            _processes[index].Kill();
            _processes[index].WaitForExit();
        }
    }

    /// <summary>Runs a redis-cli command against node <paramref name="index"/> and returns its output.</summary>
    public string Cli(int index, params string[] command)
    {
        var args = new List<string> { "-p", _ports[index].ToString(CultureInfo.InvariantCulture) };
        if (IsCluster)
        {
            args.Add("-c");
        }

        args.AddRange(command);
        var (code, output) = RedisCli(args);
        return code == 0 ? output : throw new InvalidOperationException($"redis-cli {string.Join(' ', command)} failed: {output}");
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        foreach (string directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A temporary directory left behind is harmless.
            }
        }
    }

    private void StartServer(bool cluster, string? appendFsync)
    {
        string executable = Find("redis-server") ?? throw new InvalidOperationException(Unavailable);
        int port = cluster ? FreeClusterPort() : FreePort();
        string directory = Path.Combine(Path.GetTempPath(), "freshet-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        _directories.Add(directory);
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory,
        };
        var args = new List<string>
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", directory,
            "--appendonly", appendFsync is null ? "no" : "yes",
        };
        if (appendFsync is not null)
        {
            args.AddRange(["--appendfsync", appendFsync]);
        }

        if (cluster)
        {
            args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"]);
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        _ports.Add(port);
    }

    private void WaitPing(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (code, output) = RedisCli(["-p", port.ToString(CultureInfo.InvariantCulture), "ping"]);
            if (code == 0 && output.Contains("PONG", StringComparison.Ordinal))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING within 15 s: {output}");
            }

            Thread.Sleep(50); // A server starting: nothing to wait on but its port.
        }
    }

    private void WaitClusterOk()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            bool ok = _ports.All(port =>
            {
                var (code, output) = RedisCli(["-p", port.ToString(CultureInfo.InvariantCulture), "cluster", "info"]);
                return code == 0 && output.Contains("cluster_state:ok", StringComparison.Ordinal);
            });
            if (ok)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("the Redis Cluster did not reach cluster_state:ok within 30 s");
            }

            Thread.Sleep(100); // The nodes gossip their slot maps: nothing to wait on but their answers.
        }
    }

    private static (int Code, string Output) RedisCli(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(Find("redis-cli") ?? throw new InvalidOperationException(Unavailable))
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string? Find(string name) =>
        new[] { "/usr/bin/" + name, "/usr/local/bin/" + name }.FirstOrDefault(File.Exists);

    /// <summary>A free port below 55536 whose cluster bus port (port + 10000) is free too.</summary>
    private static int FreeClusterPort()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(20_000, 30_000);
            if (IsFree(port) && IsFree(port + 10_000))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free pair of ports (port, port + 10000) for a cluster node in 20000..40000");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
