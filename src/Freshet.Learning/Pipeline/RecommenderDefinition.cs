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

    /// <summary>
    /// The share of interactions scored before they are learned, for the prequential HR@10 and NDCG@10 against the
    /// most-popular baseline (see <see cref="Recommender.Figures"/>), chosen by hash (the same ones on every run). Each
    /// costs a ranking of the whole catalogue, so by default (null) the share is one in a hundred, or 10 / items when
    /// that is less: scoring then costs about as much as scanning ten items per interaction, whatever the catalogue.
    /// </summary>
    public double? Evaluate { get; init; }

    /// <summary>The share of interactions scored when the catalogue has <paramref name="items"/> items.</summary>
    public double EvaluateShare(int items) => Evaluate ?? Math.Min(0.01, 10.0 / Math.Max(1, items));

    /// <summary>Everything that shapes what the recommender learns, as text: saved state is only reused under the same fingerprint.</summary>
    public string Fingerprint() => string.Join('|', "recommender", Name, string.Join(',', Events), UserField, ItemField, Factorization, Sample.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        "evaluate=" + (Evaluate is { } share ? share.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "auto"));
}

/// <summary>Prequential top-k quality: interactions scored, hits, and HR@k and NDCG@k (NaN before the first).</summary>
public sealed record RankingFigures(int K, long Count, long Hits, double HitRate, double Ndcg);

/// <summary>A recommender's size and its quality against the most-popular baseline on the same interactions.</summary>
public sealed record RecommenderFigures(int Users, int Items, long Interactions, RankingFigures Quality, RankingFigures MostPopular);

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
