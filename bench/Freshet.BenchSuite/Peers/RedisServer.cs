using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Freshet.BenchSuite.Peers;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port (no persistence, its own temporary directory) and a
/// connection to it. <c>bench/run.sh</c> installs Debian's package when the machine lacks it.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private RedisServer(Process process, string directory, int port, ConnectionMultiplexer connection)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Connection = connection;
    }

    public int Port { get; }

    public ConnectionMultiplexer Connection { get; }

    public IDatabase Database => Connection.GetDatabase();

    public static string? Unavailable => FindExecutable() is null ? "redis-server is not installed (bench/run.sh installs it with apt-get)" : null;

    public static RedisServer Start()
    {
        string executable = FindExecutable() ?? throw new InvalidOperationException(Unavailable);
        int port = FreePort();
        string directory = Path.Combine(Path.GetTempPath(), "freshet-bench-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (string arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                var connection = ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { { "127.0.0.1", port } }, AbortOnConnectFail = true, AllowAdmin = true, ConnectTimeout = 1000, SyncTimeout = 30_000, AsyncTimeout = 30_000 });
                return new RedisServer(process, directory, port, connection);
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(50); // Polling a server that is starting: nothing to wait on but the port.
            }
        }
    }

    /// <summary>Bytes the server's data takes (INFO memory: used_memory), and its resident set size.</summary>
    public (long UsedMemory, long Rss) Memory()
    {
        var info = Connection.GetServer("127.0.0.1", Port).Info("memory").SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return (long.Parse(info["used_memory"], CultureInfo.InvariantCulture), long.Parse(info["used_memory_rss"], CultureInfo.InvariantCulture));
    }

    public void FlushAll() => Connection.GetServer("127.0.0.1", Port).FlushAllDatabases();

    public void Dispose()
    {
        Connection.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string? FindExecutable() =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
