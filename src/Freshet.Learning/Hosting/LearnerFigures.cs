using Freshet.Learning.Pipeline;

namespace Freshet.Learning.Hosting;

/// <summary>
/// The learner's figures at one moment: every model's own (click models first, then recommenders, in the models file's
/// order) and the host's counters and stream positions (see <see cref="LearningHost.Positions"/>).
/// </summary>
public sealed record LearnerFigures(
    IReadOnlyList<ClickModelReport> ClickModels,
    IReadOnlyList<RecommenderReport> Recommenders,
    long LearnedEvents,
    long SkippedEvents,
    long ReplayedEvents,
    long Failures,
    string? LastFailure,
    long AcceptedThrough,
    long LearnedThrough);

/// <summary>A click model's definition and live figures.</summary>
public sealed record ClickModelReport(ClickModelDefinition Definition, ClickModelFigures Figures);

/// <summary>A recommender's definition and live figures.</summary>
public sealed record RecommenderReport(RecommenderDefinition Definition, RecommenderFigures Figures);
