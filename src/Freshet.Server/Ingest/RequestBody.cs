using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Ingest;

/// <summary>A request body read into a pooled buffer; dispose returns the buffer and its share of the body budget.</summary>
internal readonly struct RequestBody(byte[] buffer, int length, BodyBudget budget) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public int Length => length;

    public void Dispose()
    {
        if (buffer is { Length: > 0 })
        {
            BodyBuffers.Pool.Return(buffer);
            budget.Release(buffer.Length);
        }
    }
}

/// <summary>
/// Where body buffers come from: a pool of its own that keeps buffers up to 1 MiB (most requests) and lets larger ones
/// go back to the GC. <c>ArrayPool.Shared</c> kept every buffer a burst of multi-megabyte requests had rented (49 of over
/// 1 MB after an overload, ~300 MB an idle server never gave back) and trims them only under memory pressure.
/// </summary>
internal static class BodyBuffers
{
    /// <summary>The largest buffer kept for reuse.</summary>
    public const int MaxPooledBytes = 1 << 20;

    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledBytes, maxArraysPerBucket: 32);
}

/// <summary>Why a body could not be read; the endpoint turns each into its status code.</summary>
internal enum BodyError
{
    None,
    TooLarge,
    UnsupportedEncoding,
    BadGzip,

    /// <summary>The bodies already held by other requests fill the body budget (429).</summary>
    OverBudget,

    /// <summary>The body arrived too slowly: under the minimum data rate, or not complete within the read timeout (408).</summary>
    TimedOut,

    /// <summary>The transport framing is broken, e.g. a chunk size that is not hex (400).</summary>
    BadFraming,
}

/// <summary>
/// Reads a request body (plain or gzip) into one pooled buffer, refusing it as soon as it passes the size limit: the
/// limit applies to the decompressed bytes too, so a small gzip bomb cannot expand past it. Every buffer is reserved
/// against the shared <see cref="BodyBudget"/> first, and the whole read must finish within the read timeout.
/// </summary>
internal static class RequestBodyReader
{
    private const int FirstBufferBytes = 64 * 1024;

    public static async Task<(RequestBody Body, BodyError Error, string? Detail)> ReadAsync(
        HttpRequest request, long maxBytes, BodyBudget budget, TimeSpan readTimeout, CancellationToken cancellationToken)
    {
        string encoding = request.Headers.ContentEncoding.ToString().Trim();
        bool gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (default, BodyError.UnsupportedEncoding, $"Content-Encoding '{encoding}' is not supported; send the body plain or with Content-Encoding: gzip");
        }

        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            return (default, BodyError.TooLarge, TooLarge(maxBytes, gzip));
        }

        // A short declared body gets a buffer of its size, so many small requests (or many slow ones) hold little.
        long first = Math.Min(FirstBufferBytes, maxBytes + 1);
        if (request.ContentLength is { } length0 && !gzip)
        {
            first = Math.Min(first, Math.Max(length0 + 1, 16));
        }

        byte[] buffer = BodyBuffers.Pool.Rent((int)first);
        if (!budget.TryReserve(buffer.Length))
        {
            BodyBuffers.Pool.Return(buffer);
            return (default, BodyError.OverBudget, OverBudget(budget));
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(readTimeout);
        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        int length = 0;
        budget.BeginRead();
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        return Fail(BodyError.TooLarge, TooLarge(maxBytes, gzip));
                    }

                    var larger = BodyBuffers.Pool.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    if (!budget.TryReserve(larger.Length))
                    {
                        BodyBuffers.Pool.Return(larger);
                        return Fail(BodyError.OverBudget, OverBudget(budget));
                    }

                    buffer.AsSpan(0, length).CopyTo(larger);
                    Release(buffer, budget);
                    buffer = larger;
                }

                int read = await source.ReadAsync(buffer.AsMemory(length), deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return Fail(BodyError.TooLarge, TooLarge(maxBytes, gzip));
                }
            }
        }
        catch (InvalidDataException e)
        {
            return Fail(BodyError.BadGzip, $"the body is not valid gzip: {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel reports what went wrong with the transport here: the minimum data rate not met (408), a chunked
            // body past its size limit (413), or broken framing such as a chunk size that is not hex (400). Without
            // this they would surface as 500s.
            return e.StatusCode switch
            {
                StatusCodes.Status408RequestTimeout => Fail(BodyError.TimedOut,
                    $"the body arrived too slowly ({e.Message}); send it faster than the server's minimum rate, or split it into smaller requests"),
                StatusCodes.Status413PayloadTooLarge => Fail(BodyError.TooLarge, TooLarge(maxBytes, gzip)),
                _ => Fail(BodyError.BadFraming, $"the request body is not well-formed HTTP: {e.Message}"),
            };
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Fail(BodyError.TimedOut,
                $"the body was not complete within {readTimeout.TotalSeconds:0.#} s; send it faster or split it into smaller requests");
        }
        catch
        {
            Release(buffer, budget);
            throw;
        }
        finally
        {
            budget.EndRead();
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }

        return (new RequestBody(buffer, length, budget), BodyError.None, null);

        (RequestBody, BodyError, string?) Fail(BodyError error, string detail)
        {
            Release(buffer, budget);
            return (default, error, detail);
        }
    }

    private static void Release(byte[] buffer, BodyBudget budget)
    {
        BodyBuffers.Pool.Return(buffer);
        budget.Release(buffer.Length);
    }

    private static string OverBudget(BodyBudget budget) =>
        $"the bodies of the ingest requests in flight already hold {budget.UsedBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} of the "
        + $"{budget.LimitBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes allowed; retry after the Retry-After delay";

    private static string TooLarge(long maxBytes, bool gzip) =>
        $"the body is more than {maxBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes{(gzip ? " once decompressed" : "")}, the most one request may carry; "
        + "split it into smaller requests (about 5,000 events each works well)";
}
