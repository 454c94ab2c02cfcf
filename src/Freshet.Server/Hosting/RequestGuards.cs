using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Freshet.Server.Hosting;

/// <summary>
/// What keeps a web page the user happens to visit from using a server on their machine. The server listens on
/// loopback, which a browser can reach; two guards close that door without CORS (the server sends no CORS headers):
/// <list type="bullet">
/// <item>Every request with a body must say it is JSON or NDJSON. A page may send a cross-site POST without asking
/// first only as <c>text/plain</c>, a form, or no type at all; every type accepted here makes the browser ask first
/// (a CORS preflight), and the server never says yes.</item>
/// <item>The Host header must name the server (ASP.NET Core's host filtering), so a page whose DNS name was rebound
/// to 127.0.0.1 is refused: its requests carry its own name.</item>
/// </list>
/// </summary>
internal static class RequestGuards
{
    /// <summary>The media types a request body may have (any <c>application/*+json</c> too), charset optional.</summary>
    public static readonly string[] AcceptedMediaTypes =
        ["application/json", "application/x-ndjson", "application/*+json", "application/ndjson", "application/jsonl", "application/x-jsonlines"];

    private const string HostCheckedKey = "freshet.host-checked";

    /// <summary>The loopback names a browser or a local client may use for a loopback address.</summary>
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>The hosts accepted for a server at <paramref name="url"/> when the operator named none (see <see cref="ServerOptions.AllowedHosts"/>).</summary>
    public static IReadOnlyList<string> DefaultAllowedHosts(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://wildcard.invalid", StringComparison.Ordinal).Replace("://+", "://wildcard.invalid", StringComparison.Ordinal),
            UriKind.Absolute, out var uri) || uri.Host == "wildcard.invalid")
        {
            return ["*"];
        }

        if (uri.IsLoopback)
        {
            return LoopbackHosts;
        }

        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
        {
            // Listening on every interface: the names clients will use are not knowable here. Any host is accepted,
            // and `freshet serve` says so at start; --allowed-hosts names them.
            return ["*"];
        }

        return [uri.Host];
    }

    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        var allowed = AllowedHosts(options);
        services.AddHostFiltering(o =>
        {
            o.AllowedHosts = [.. allowed];

            // The refusal is written below as a problem document instead of the middleware's HTML page.
            o.IncludeFailureMessage = false;
        });

        // The web host puts host filtering in front of the whole pipeline with a startup filter of its own; this one is
        // inserted first so that it wraps even that, and can explain a refusal.
        services.Insert(0, ServiceDescriptor.Singleton<IStartupFilter>(new ExplainRefusedHost(allowed)));
    }

    public static void Use(WebApplication app)
    {
        // Present already when the web host added it; here too so the check never depends on the host's defaults.
        app.UseHostFiltering();
        app.Use((http, next) =>
        {
            http.Items[HostCheckedKey] = true;
            if (HasBody(http) && !IsAcceptedMediaType(http.Request.ContentType))
            {
                return UnsupportedMediaType(http.Request.ContentType).ExecuteAsync(http);
            }

            return next(http);
        });
    }

    private static IReadOnlyList<string> AllowedHosts(ServerOptions options) =>
        options.AllowedHosts.Count > 0 ? options.AllowedHosts : DefaultAllowedHosts(options.Url);

    /// <summary>Turns host filtering's bare 400 into a problem document naming the hosts accepted.</summary>
    private sealed class ExplainRefusedHost(IReadOnlyList<string> allowed) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, nextMiddleware) =>
            {
                await nextMiddleware(http).ConfigureAwait(false);

                // Host filtering answered 400 without calling the rest of the pipeline (which marks the request).
                if (!http.Items.ContainsKey(HostCheckedKey) && http.Response.StatusCode == StatusCodes.Status400BadRequest && !http.Response.HasStarted)
                {
                    string host = http.Request.Headers.Host.ToString();
                    await Problems.Problems.Of(StatusCodes.Status400BadRequest, "host-not-allowed", "Host not allowed",
                        $"the Host header '{host}' does not name this server; accepted hosts: {string.Join(", ", allowed)} (any port). "
                        + "This refuses web pages that rebind their DNS name to this machine; an operator serving other names lists them with --allowed-hosts",
                        [new("allowed_hosts", allowed.ToArray())]).ExecuteAsync(http).ConfigureAwait(false);
                }
            });
            next(app);
        };
    }

    /// <summary>The 415 answer for a body that is not declared JSON or NDJSON.</summary>
    public static IResult UnsupportedMediaType(string? contentType) =>
        Problems.Problems.Of(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
            (string.IsNullOrWhiteSpace(contentType) ? "the request has a body but no Content-Type"
                : contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
                    ? $"Content-Type '{contentType}' is not accepted (it is what curl --data-binary sends without -H)"
                    : $"Content-Type '{contentType}' is not accepted")
            + "; send application/x-ndjson (one JSON object per line) or application/json, e.g. curl -H 'Content-Type: application/x-ndjson' --data-binary @events.ndjson. "
            + "(Types a web page could send without asking the server first, such as text/plain, are refused so that a page cannot post to a server on your machine.)",
            [new("accepted_media_types", AcceptedMediaTypes)]);

    public static bool IsAcceptedMediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }

        var mediaType = parsed.MediaType;
        return (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            || AcceptedMediaTypes.Any(t => mediaType.Equals(t, StringComparison.OrdinalIgnoreCase));
    }

    private static bool HasBody(HttpContext http) =>
        http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? http.Request.ContentLength > 0;
}
