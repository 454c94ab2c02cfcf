using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Freshet.Server.ApiDescription;

/// <summary>
/// Describing an endpoint for the OpenAPI document and the root page, as endpoint metadata: the query parameters it
/// reads itself, and each answer with what it means. The framework's <c>Produces</c> and <c>ProducesProblem</c> take no
/// description, so every response would read "OK" or "Not Found"; these say when the answer comes.
/// </summary>
internal static class EndpointDescriptions
{
    public const string JsonContentType = "application/json";

    public const string ProblemContentType = "application/problem+json";

    /// <summary>The query parameters the endpoint reads from <c>HttpRequest.Query</c> (metadata only).</summary>
    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, params QueryParameter[] parameters)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryParametersMetadata(parameters));

    /// <summary>A POST whose meaning is all in its query (it reads no body): the document rightly shows none.</summary>
    public static TBuilder WithoutBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(NoBodyMetadata.Instance);

    /// <summary>Marks an endpoint that reads no request body (<see cref="WithoutBody{TBuilder}"/>).</summary>
    internal sealed class NoBodyMetadata
    {
        public static readonly NoBodyMetadata Instance = new();

        private NoBodyMetadata()
        {
        }
    }

    /// <summary>A successful answer: its body type (its schema comes from the type) and what it holds.</summary>
    public static RouteHandlerBuilder Returns<TResponse>(this RouteHandlerBuilder builder, string description, int status = StatusCodes.Status200OK, string contentType = JsonContentType) =>
        builder.WithMetadata(new ResponseMetadata(status, typeof(TResponse), contentType, description));

    /// <summary>
    /// An RFC 7807 problem document the endpoint answers with, and when (its <c>type</c> codes); <paramref name="shape"/>
    /// names a type that describes its extension members when a client needs them typed.
    /// </summary>
    public static TBuilder WithProblem<TBuilder>(this TBuilder builder, int status, string description, Type? shape = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseMetadata(status, shape ?? typeof(ProblemDetails), ProblemContentType, description));

    /// <summary>
    /// One response of an endpoint, with a description (the framework's own metadata type is internal). The generator
    /// takes the type and content type from it; <see cref="FreshetOpenApi"/> writes the description.
    /// </summary>
    internal sealed class ResponseMetadata(int status, Type type, string contentType, string description) : IProducesResponseTypeMetadata
    {
        public Type? Type { get; } = type;

        public int StatusCode { get; } = status;

        public string? Description { get; } = description;

        public IEnumerable<string> ContentTypes { get; } = [contentType];
    }
}
