using System.Net.Sockets;
using System.Text;

namespace Freshet.Server.Tests;

/// <summary>
/// One HTTP/1.1 connection to the test server on raw sockets, for what HttpClient will not send: a body trickled
/// byte by byte, a broken chunk size, a Host header of another site.
/// </summary>
internal sealed class RawConnection : IDisposable
{
    private readonly TcpClient _client;

    private RawConnection(TcpClient client)
    {
        _client = client;
        Stream = client.GetStream();
    }

    public NetworkStream Stream { get; }

    public static async Task<RawConnection> OpenAsync(TestServer server)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.Server.BaseAddress.Host, server.Server.BaseAddress.Port);
        return new RawConnection(client);
    }

    /// <summary>Sends the request line, the headers (Host is the server's unless given) and an optional start of the body.</summary>
    public async Task SendHeadAsync(TestServer server, string method, string path, IEnumerable<string> headers, string bodyStart = "")
    {
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\n");
        var all = headers.ToList();
        if (!all.Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
        {
            all.Insert(0, $"Host: {server.Server.BaseAddress.Authority}");
        }

        foreach (string header in all)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("\r\n").Append(bodyStart);
        await SendAsync(head.ToString());
    }

    public async Task SendAsync(string text)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await Stream.FlushAsync();
    }

    /// <summary>
    /// The response's status code and body, read until the server closes or the body (by Content-Length) is complete;
    /// null when the connection was closed or reset before a status line arrived.
    /// </summary>
    public async Task<(int Status, string Text)?> ReadResponseAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                string text = Encoding.UTF8.GetString(received.ToArray());
                if (IsComplete(text))
                {
                    break;
                }

                int read = await Stream.ReadAsync(buffer, deadline.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset by the server: what was received so far is all there is.
        }
        catch (OperationCanceledException)
        {
            // No complete answer within the timeout: the caller's assertion says what was expected.
        }

        string all = Encoding.UTF8.GetString(received.ToArray());
        if (!all.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || all.Length < 12)
        {
            return null;
        }

        return (int.Parse(all.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture), all);
    }

    private static bool IsComplete(string text)
    {
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        foreach (string line in text[..end].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                int length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                return Encoding.UTF8.GetByteCount(text[(end + 4)..]) >= length;
            }
        }

        // A chunked body ends with its last, empty chunk; otherwise read until the server closes.
        return text[..end].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    public void Dispose() => _client.Dispose();
}
