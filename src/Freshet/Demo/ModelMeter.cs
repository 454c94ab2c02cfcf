using Freshet.Contracts;

namespace Freshet.Cli.Demo;

/// <summary>
/// Follows the models learning in the demo's server: each click model's log loss over the examples labelled in the
/// last few seconds (its whole-run figure moves too slowly to watch), a history of it for a sparkline, and the same
/// for the constant rate, beside the whole-run figures <c>GET /v1/models</c> reports. Called from the view's thread only.
/// </summary>
internal sealed class ModelMeter(int historyLength)
{
    /// <summary>The span the recent log loss covers: long enough to hold a few thousand examples at the demo's pace.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>A point of the history each second: the sparkline shows the last <c>historyLength</c> seconds.</summary>
    private static readonly TimeSpan HistoryStep = TimeSpan.FromSeconds(1);

    /// <summary>Examples the window must hold for its log loss to be shown.</summary>
    private const int MinimumExamples = 100;

    private readonly Dictionary<string, Track> _tracks = new(StringComparer.Ordinal);

    public LearnerProgress Record(TimeSpan at, ModelsResponse models)
    {
        var progress = new List<ModelProgress>(models.Models.Count);
        foreach (var model in models.Models)
        {
            // Outcomes label an exposure positive at once, but negatives wait for the attribution window to close:
            // until one has, every labelled example is positive and the log loss says nothing.
            if (model.Quality is not { } quality || model.ConstantRate is not { } constant || model.Negatives is not > 0)
            {
                progress.Add(new ModelProgress(model, null, null, null, []));
                continue;
            }

            if (!_tracks.TryGetValue(model.Name, out var track))
            {
                _tracks[model.Name] = track = new Track();
            }

            var (recent, recentConstant) = track.Record(at, quality, constant);
            if (recent is { } r && (track.History.Count == 0 || at - track.LastHistoryAt >= HistoryStep))
            {
                track.History.Enqueue(r);
                track.LastHistoryAt = at;
                track.FirstRecent ??= r;
                while (track.History.Count > historyLength)
                {
                    track.History.Dequeue();
                }
            }

            progress.Add(new ModelProgress(model, recent, recentConstant, track.FirstRecent, [.. track.History]));
        }

        return new LearnerProgress(models.EventsLearned, models.EventsSkipped, models.Failures, models.LastFailure, progress);
    }

    /// <summary>Samples of one click model's running sums, enough to difference over <see cref="Window"/>.</summary>
    private sealed class Track
    {
        private readonly Queue<Sample> _samples = new();

        public Queue<double> History { get; } = new();

        public TimeSpan LastHistoryAt { get; set; }

        /// <summary>The first recent log loss measured: where the model started.</summary>
        public double? FirstRecent { get; set; }

        public (double? Model, double? Constant) Record(TimeSpan at, QualityDto quality, QualityDto constant)
        {
            var now = new Sample(at, Sum.Of(quality), Sum.Of(constant));
            _samples.Enqueue(now);
            while (_samples.Count > 2 && at - _samples.Peek().At > Window)
            {
                _samples.Dequeue();
            }

            var then = _samples.Peek();
            // Too few examples in the window say nothing yet. The whole run so far would be no better: it starts with
            // the stretch before the first window closed, when every labelled example was positive.
            return now.Model.Count - then.Model.Count >= MinimumExamples
                ? (now.Model.LogLossSince(then.Model), now.Constant.LogLossSince(then.Constant))
                : (null, null);
        }
    }

    private readonly record struct Sample(TimeSpan At, Sum Model, Sum Constant);

    /// <summary>Examples and their summed log loss so far.</summary>
    private readonly record struct Sum(long Count, double LogLoss)
    {
        public static Sum Of(QualityDto q) => new(q.Examples, (q.LogLoss ?? 0) * q.Examples);

        public double? LogLossSince(Sum then) => Count > then.Count ? (LogLoss - then.LogLoss) / (Count - then.Count) : null;
    }
}

/// <summary>The learner's counters and each model's progress, for one frame.</summary>
internal sealed record LearnerProgress(long Learned, long Skipped, long Failures, string? LastFailure, IReadOnlyList<ModelProgress> Models);

/// <summary>
/// One model as <c>GET /v1/models</c> reports it, and for a click model its log loss over the last few seconds, the
/// constant rate's over the same examples, the first such figure of the run, and a history of it.
/// </summary>
internal sealed record ModelProgress(ModelDto Model, double? RecentLogLoss, double? RecentConstantLogLoss, double? FirstLogLoss, IReadOnlyList<double> History);
