using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace Freshet.Server.ApiDescription;

/// <summary>
/// <c>GET /</c>: a one-screen list of every endpoint, rendered from the route table itself (methods, route, the query
/// parameters an endpoint reads, its summary), so a new endpoint appears here without anyone remembering to add it.
/// Rendered once, on the first request: the routes do not change while the server runs.
/// </summary>
internal sealed class RootPage(EndpointDataSource endpoints)
{
    /// <summary>The widest line the page writes where it can break (an 80-column terminal).</summary>
    private const int Width = 80;

    private const string Indent = "       ";

    private string? _text;

    public IResult Get() => TypedResults.Text(_text ??= Render(endpoints.Endpoints), "text/plain; charset=utf-8");

    public static string Render(IReadOnlyList<Endpoint> endpoints)
    {
        var text = new StringBuilder();
        text.Append("Freshet: fresh behaviour signals. Every endpoint, with the query parameters it\n")
            .Append($"reads; GET /openapi/{FreshetOpenApi.DocumentName}.json describes each one in full.\n");
        foreach (var group in endpoints.OfType<RouteEndpoint>().GroupBy(e => e.Metadata.GetMetadata<ITagsMetadata>()?.Tags.FirstOrDefault() ?? "Other"))
        {
            text.Append('\n').Append(group.Key).Append('\n');
            foreach (var endpoint in group)
            {
                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
                string route = (endpoint.RoutePattern.RawText ?? "/").Replace("{documentName}", FreshetOpenApi.DocumentName, StringComparison.Ordinal);
                var query = endpoint.Metadata.GetMetadata<QueryParametersMetadata>()?.Parameters ?? [];
                string first = $"  {string.Join(",", methods),-4} {route}";
                Wrap(text, first, query.Select((p, i) => $"{(i == 0 ? '?' : '&')}{p.Name}={p.Example}"), "");
                if (endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary is { } summary)
                {
                    Wrap(text, Indent, summary.Split(' '), " ");
                }
            }
        }

        text.Append("\nA body is JSON: send -H 'Content-Type: application/json' (events also take\n")
            .Append("application/x-ndjson, one event per line, and Content-Encoding: gzip).\n");
        return text.ToString();
    }

    /// <summary>Writes <paramref name="start"/> then the pieces, breaking the line before a piece that would pass <see cref="Width"/>.</summary>
    private static void Wrap(StringBuilder text, string start, IEnumerable<string> pieces, string separator)
    {
        var line = new StringBuilder(start);
        bool first = true;
        foreach (string piece in pieces)
        {
            string next = first ? piece : separator + piece;
            if (!first && line.Length + next.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(Indent);
                next = piece;
            }

            line.Append(next);
            first = false;
        }

        text.Append(line).Append('\n');
    }
}
