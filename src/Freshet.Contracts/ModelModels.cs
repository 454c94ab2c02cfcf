namespace Freshet.Contracts;

// The bodies of the model endpoints (GET /v1/models, POST /v1/score, GET /v1/recommend, GET /v1/similar).

/// <summary>Progressive quality of a stream of served scores: NaN figures (before both labels were seen) are null.</summary>
public sealed record QualityDto(long Examples, long Positives, double? LogLoss, double? Auc, double? NormalizedEntropy, double? Calibration);

/// <summary>
/// One model and its live figures. Click models have the label join and quality; recommenders their size. Sample is
/// the share of keys the model learns from (1: all).
/// </summary>
/// <remarks>
/// Click models: <c>ExposuresScored</c>, exposure events scored as they arrived (repeats included);
/// <c>RepeatedExposures</c>, exposures of a key whose window was open, joined to its example; <c>Updates</c>, FTRL
/// updates (a negative for each example at exposure, and each positive); <c>Positives</c>, examples whose outcome
/// arrived inside the window; <c>Negatives</c>, examples whose window closed without one; <c>LabelsFinal</c>, examples
/// whose window closed, positive or not, which is what <c>Quality</c> covers; <c>Pending</c>, examples whose window is
/// still open; <c>Evicted</c>, examples closed early because too many were open.
/// </remarks>
public sealed record ModelDto(
    string Name,
    string Kind,
    long? ExposuresScored = null,
    long? RepeatedExposures = null,
    long? Updates = null,
    long? Positives = null,
    long? Negatives = null,
    long? LabelsFinal = null,
    long? Pending = null,
    long? Evicted = null,
    long? UnmatchedOutcomes = null,
    QualityDto? Quality = null,
    QualityDto? ConstantRate = null,
    long? Users = null,
    long? Items = null,
    long? Interactions = null,
    double Sample = 1,
    RankingDto? Ranking = null,
    RankingDto? MostPopular = null);

/// <summary>
/// A recommender's prequential top-k quality: over <c>Interactions</c> sampled interactions (the model's
/// <c>evaluate</c> share, by hash), scored before each was learned, the share whose item was in the top k
/// (<c>HitRate</c>, HR@k) and the rank-discounted gain (<c>Ndcg</c>, NDCG@k). Null figures before the first.
/// </summary>
public sealed record RankingDto(int K, long Interactions, long Hits, double? HitRate, double? Ndcg);

/// <summary>
/// Every model, and the learner's counters. <c>AcceptedThrough</c> is the stream position (log offset) after the last
/// accepted event, <c>LearnedThrough</c> the position before which every accepted event has been learned by every model
/// (or skipped), and <c>LearnerLag</c> the events between: to wait for the models, read <c>AcceptedThrough</c> after
/// your events were accepted, then poll until <c>LearnedThrough</c> reaches it.
/// </summary>
public sealed record ModelsResponse(IReadOnlyList<ModelDto> Models, long EventsLearned, long EventsSkipped, long EventsReplayed, long Failures, string? LastFailure,
    long AcceptedThrough = 0, long LearnedThrough = 0, long LearnerLag = 0);

/// <summary>
/// <c>POST /v1/score</c>: a click model, the context shared by every candidate (user, device…) and the candidates'
/// own fields (item, category…); a candidate's field wins over the context's.
/// </summary>
public sealed record ScoreRequest(string? Model, IReadOnlyDictionary<string, string>? Context, IReadOnlyList<IReadOnlyDictionary<string, string>>? Candidates);

/// <summary>One candidate's probability of the model's outcome; <c>Index</c> is its position in the request.</summary>
public sealed record ScoredCandidate(int Index, double Probability, IReadOnlyDictionary<string, string> Fields);

/// <summary>The candidates, most likely first.</summary>
public sealed record ScoreResponse(string Model, IReadOnlyList<ScoredCandidate> Ranked);

public sealed record RecommendedItem(string Item, double Score);

/// <summary>Items for a user (<c>/v1/recommend</c>) or like an item (<c>/v1/similar</c>), best first.</summary>
public sealed record RecommendResponse(string Model, string? User, string? Item, IReadOnlyList<RecommendedItem> Items);
