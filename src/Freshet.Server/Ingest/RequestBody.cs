using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Ingest;

/// <summary>A request body read into a pooled buffer; dispose returns the buffer.</summary>
internal readonly struct RequestBody(byte[] buffer, int length) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

    public int Length => length;

    public void Dispose()
    {
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Why a body could not be read; the endpoint turns each into its status code.</summary>
internal enum BodyError
{
    None,
    TooLarge,
    UnsupportedEncoding,
    BadGzip,
}

/// <summary>
/// Reads a request body (plain or gzip) into one pooled buffer, refusing it as soon as it passes the size limit: the
/// limit applies to the decompressed bytes too, so a small gzip bomb cannot expand past it.
/// </summary>
internal static class RequestBodyReader
{
    private const int FirstBufferBytes = 64 * 1024;

    public static async Task<(RequestBody Body, BodyError Error, string? Detail)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
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

        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(FirstBufferBytes, maxBytes + 1));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (default, BodyError.TooLarge, TooLarge(maxBytes, gzip));
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (default, BodyError.TooLarge, TooLarge(maxBytes, gzip));
                }
            }
        }
        catch (InvalidDataException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (default, BodyError.BadGzip, $"the body is not valid gzip: {e.Message}");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        finally
        {
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }

        return (new RequestBody(buffer, length), BodyError.None, null);
    }

    private static string TooLarge(long maxBytes, bool gzip) =>
        $"the body is more than {maxBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes{(gzip ? " once decompressed" : "")}, the most one request may carry; "
        + "split it into smaller requests (about 5,000 events each works well)";
}
