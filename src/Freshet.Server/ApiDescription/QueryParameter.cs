namespace Freshet.Server.ApiDescription;

/// <summary>What a query parameter holds: decides its schema in the OpenAPI document.</summary>
internal enum QueryValue
{
    /// <summary>Any text (a key part, a model or item name).</summary>
    Text,

    /// <summary>A whole number, within <see cref="QueryParameter.Minimum"/> and <see cref="QueryParameter.Maximum"/>.</summary>
    Integer,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A time: epoch milliseconds or ISO-8601.</summary>
    Time,

    /// <summary>A duration in the definitions' syntax (<c>1h</c>, <c>7d</c>, <c>1h30m</c>).</summary>
    Window,

    /// <summary>Names, comma-separated or repeated (<c>features=a,b</c> or <c>features=a&amp;features=b</c>).</summary>
    NameList,

    /// <summary>Durations, comma-separated or repeated (<c>windows=1h,1d</c>).</summary>
    WindowList,

    /// <summary>One of <see cref="QueryParameter.Choices"/>.</summary>
    Choice,
}

/// <summary>
/// A query parameter an endpoint reads itself from <c>HttpRequest.Query</c> (so it can answer a bad value with a
/// problem document naming the parameter and the rule, instead of the framework's bare 400). Endpoints carry these as
/// metadata (<see cref="EndpointDescriptions.WithQuery{TBuilder}"/>): the OpenAPI document describes them from it, and
/// the root page shows their <see cref="Example"/>. Nothing here runs on a request.
/// </summary>
/// <param name="Name">The name in the query string.</param>
/// <param name="Value">What it holds.</param>
/// <param name="Description">What it does, its rule and its default, in a sentence or two.</param>
/// <param name="Example">A value to show, such as <c>1h,1d</c> (also on the root page).</param>
internal sealed record QueryParameter(string Name, QueryValue Value, string Description, string Example)
{
    /// <summary>The request is refused without it.</summary>
    public bool Required { get; init; }

    /// <summary>Given once per part (<c>key=u1&amp;key=shoes</c>), each occurrence one value.</summary>
    public bool Repeated { get; init; }

    /// <summary>The value used when the parameter is absent, when it is a constant.</summary>
    public string? Default { get; init; }

    public int? Minimum { get; init; }

    public int? Maximum { get; init; }

    public IReadOnlyList<string>? Choices { get; init; }
}

/// <summary>The query parameters an endpoint reads itself, in the order a person would write them.</summary>
internal sealed class QueryParametersMetadata(IReadOnlyList<QueryParameter> parameters)
{
    public IReadOnlyList<QueryParameter> Parameters { get; } = parameters;
}
