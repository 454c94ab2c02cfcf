using Freshet.Contracts;
using Freshet.Learning.Hosting;
using Freshet.Learning.Pipeline;

namespace Freshet.Server.Learning;

/// <summary>The learner's figures as <c>GET /v1/models</c> answers them.</summary>
internal static class ModelsResponseMapper
{
    public static ModelsResponse ToResponse(LearnerFigures figures)
    {
        var models = new List<ModelDto>(figures.ClickModels.Count + figures.Recommenders.Count);
        foreach (var (definition, f) in figures.ClickModels)
        {
            var labels = f.Labels;
            models.Add(new ModelDto(definition.Name, "click", ExposuresScored: labels.Exposures, RepeatedExposures: labels.RepeatedExposures,
                Updates: f.Updates, Positives: labels.Positives, Negatives: labels.Negatives, LabelsFinal: labels.Final, Pending: labels.Pending,
                Evicted: labels.Evicted, UnmatchedOutcomes: labels.UnmatchedOutcomes, Quality: Dto(f.Quality), ConstantRate: Dto(f.Constant),
                Sample: definition.Sample));
        }

        foreach (var (definition, f) in figures.Recommenders)
        {
            models.Add(new ModelDto(definition.Name, "recommender", Users: f.Users, Items: f.Items, Interactions: f.Interactions, Sample: definition.Sample,
                Ranking: Ranking(f.Quality), MostPopular: Ranking(f.MostPopular)));
        }

        return new ModelsResponse(models, figures.LearnedEvents, figures.SkippedEvents, figures.ReplayedEvents, figures.Failures, figures.LastFailure,
            figures.AcceptedThrough, figures.LearnedThrough, figures.AcceptedThrough - figures.LearnedThrough);

        static QualityDto Dto(QualityFigures q) => new(q.Count, q.Positives, Finite(q.LogLoss), Finite(q.Auc), Finite(q.NormalizedEntropy), Finite(q.Calibration));

        static RankingDto Ranking(RankingFigures r) => new(r.K, r.Count, r.Hits, Finite(r.HitRate), Finite(r.Ndcg));

        static double? Finite(double value) => double.IsFinite(value) ? value : null;
    }
}
