using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Freshet.Contracts;
using Freshet.Time;

namespace Freshet.Cli.Query;

/// <summary>
/// Sends one request to a Freshet server and returns the body of a successful answer. Every way it can fail becomes a
/// <see cref="QueryFailure"/> whose message is the one line the user sees: a problem document's detail with its
/// status and code, or why the server could not be reached and what to do about it.
/// </summary>
internal sealed class QueryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly TimeSpan _timeout;

    public QueryClient(Uri server, TimeSpan timeout)
    {
        _server = server;
        _timeout = timeout;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = timeout, AutomaticDecompression = DecompressionMethods.All })
        {
            BaseAddress = server,
            Timeout = timeout,
        };
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/problem+json");
    }

    public Task<string> GetAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, pathAndQuery), cancellationToken);

    public Task<string> PostJsonAsync(string path, string json, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        }, cancellationToken);

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return body;
                }

                throw new QueryFailure(DescribeError(request, response, body));
            }
            catch (HttpRequestException e)
            {
                throw new QueryFailure($"cannot reach the Freshet server at {Address} ({Reason(e)}); start one with 'freshet serve' or pass --server");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // HttpClient reports its own timeout as a cancellation; only the caller's token means Ctrl+C.
                throw new QueryFailure($"no answer from the Freshet server at {Address} within {Duration.Format((long)_timeout.TotalMilliseconds)}; "
                    + "is it overloaded or stopped? (--timeout sets how long to wait)");
            }
        }
    }

    /// <summary>The server's address as the user wrote it, without the trailing slash a base address needs.</summary>
    private string Address => _server.ToString().TrimEnd('/');

    /// <summary>
    /// A problem document (RFC 7807) becomes "detail (status code)"; anything else (a proxy's HTML page, an older
    /// server without the route) becomes the status and the first line of the body.
    /// </summary>
    internal static string DescribeError(HttpRequestMessage request, HttpResponseMessage response, string body)
    {
        int status = (int)response.StatusCode;
        if (TryReadProblem(body, out string? detail, out string? title, out string? code))
        {
            string label = code is null ? status.ToString(CultureInfo.InvariantCulture) : $"{status} {code}";
            if (detail is not null)
            {
                return $"{OneLine(detail)} ({label})";
            }

            return $"{request.Method} {request.RequestUri?.AbsolutePath}: {OneLine(title ?? response.ReasonPhrase ?? "error")} ({label})";
        }

        string firstLine = OneLine(body.Split('\n', 2)[0]);
        if (firstLine.Length > 200)
        {
            firstLine = firstLine[..200] + "…";
        }

        return $"{request.Method} {request.RequestUri?.AbsolutePath}: the server answered {status} {response.ReasonPhrase}"
            + (firstLine.Length > 0 ? $": {firstLine}" : "");
    }

    private static bool TryReadProblem(string body, out string? detail, out string? title, out string? code)
    {
        detail = title = code = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            detail = String(root, "detail");
            title = String(root, "title");
            // The type URI ends in a short stable code (".../problems/unknown-feature"); a framework's own problems
            // point at the HTTP spec instead, where the code would say nothing.
            code = ProblemTypes.CodeOf(String(root, "type"));

            return detail is not null || title is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static string Reason(HttpRequestException e) => e switch
    {
        { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.HostNotFound or SocketError.NoData => "no such host",
            SocketError.TimedOut => "timed out",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => "unreachable",
            _ => OneLine(s.Message),
        },
        { HttpRequestError: HttpRequestError.ResponseEnded } => "the connection closed before an answer; is it an HTTP server?",
        { HttpRequestError: HttpRequestError.InvalidResponse } => "the answer is not HTTP; is it a Freshet server?",
        { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS failed: " + OneLine(e.Message),
        _ => OneLine(e.Message),
    };

    public void Dispose() => _http.Dispose();
}

/// <summary>A query that failed; the message is the whole line shown after "freshet query: ".</summary>
internal sealed class QueryFailure(string message) : Exception(message);
