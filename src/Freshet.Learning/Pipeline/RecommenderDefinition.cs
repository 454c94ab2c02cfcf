using System.Collections.Immutable;
using Freshet.Learning.Factorization;

namespace Freshet.Learning.Pipeline;

/// <summary>A recommender: which events are interactions, which fields name the user and the item, and the factorization's settings.</summary>
public sealed record RecommenderDefinition
{
    public required string Name { get; init; }

    public required ImmutableArray<string> Events { get; init; }

    public string UserField { get; init; } = "user";

    public string ItemField { get; init; } = "item";

    public MfOptions Factorization { get; init; } = new();

    /// <summary>The share of users learned from (see <see cref="KeySample"/>): 1 learns every user, each user's whole history or none of it.</summary>
    public double Sample { get; init; } = 1;

    /// <summary>Everything that shapes what the recommender learns, as text: saved state is only reused under the same fingerprint.</summary>
    public string Fingerprint() => string.Join('|', "recommender", Name, string.Join(',', Events), UserField, ItemField, Factorization, Sample.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>Every model of a models file.</summary>
public sealed record ModelSet(ImmutableArray<ClickModelDefinition> ClickModels, ImmutableArray<RecommenderDefinition> Recommenders)
{
    public static ModelSet Empty { get; } = new([], []);

    public int Count => ClickModels.Length + Recommenders.Length;
}

/// <summary>One problem in a models file, located.</summary>
public sealed record ModelDefinitionError(string File, int Line, int Column, string? Model, string Message)
{
    public override string ToString() =>
        Model is null ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: model '{Model}': {Message}";
}

/// <summary>Thrown when a models file is invalid; carries every error found, not just the first.</summary>
public sealed class ModelDefinitionException(IReadOnlyList<ModelDefinitionError> errors)
    : Exception(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} errors in model definitions:{Environment.NewLine}" + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ModelDefinitionError> Errors { get; } = errors;
}
