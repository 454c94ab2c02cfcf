using System.Collections.Immutable;
using Freshet.Learning.Ftrl;

namespace Freshet.Learning.Pipeline;

/// <summary>A live feature a model reads at exposure time: a feature of the catalog over one window, keyed by an event field.</summary>
/// <param name="Entity">The catalog entity (e.g. "item").</param>
/// <param name="KeyField">The event field holding the entity's key (e.g. "item").</param>
/// <param name="Feature">The catalog feature (e.g. "item_views").</param>
/// <param name="WindowMs">The window of the feature to read.</param>
public sealed record LiveFeature(string Entity, string KeyField, string Feature, long WindowMs);

/// <summary>
/// A click (or cart, or purchase) model: which events are exposures and which later events of the same key are
/// positive outcomes inside the attribution window, and what an example is made of — hashed event fields, crosses
/// of two fields, and live features of the exposure's entities at exposure time.
/// </summary>
public sealed record ClickModelDefinition
{
    public required string Name { get; init; }

    public required ImmutableArray<string> ExposureEvents { get; init; }

    public required ImmutableArray<string> OutcomeEvents { get; init; }

    /// <summary>Event fields an exposure and its outcome share (user and item, or a request id).</summary>
    public required ImmutableArray<string> KeyFields { get; init; }

    public long WindowMs { get; init; } = 10 * 60_000;

    /// <summary>Categorical event fields, each hashed into its own namespace.</summary>
    public ImmutableArray<string> Fields { get; init; } = [];

    /// <summary>Pairs of fields hashed together (user × category).</summary>
    public ImmutableArray<(string A, string B)> Crosses { get; init; } = [];

    public ImmutableArray<LiveFeature> Live { get; init; } = [];

    /// <summary>Where each of <see cref="Live"/> was declared (line, column), when it came from a file: for error messages.</summary>
    public ImmutableArray<(int Line, int Column)> LivePositions { get; init; } = [];

    public FtrlOptions Ftrl { get; init; } = new() { PriorRate = 0.01 };

    /// <summary>Exposures waiting for an outcome at most; beyond it the oldest close early as negatives.</summary>
    public int MaxPending { get; init; } = 1_000_000;

    /// <summary>
    /// The share of join keys learned from (see <see cref="KeySample"/>): 1 learns every exposure; 0.1 one key in ten,
    /// for a stream faster than one learner thread. Scoring is unaffected.
    /// </summary>
    public double Sample { get; init; } = 1;

    /// <summary>Everything that shapes what the model learns, as text: saved state is only reused under the same fingerprint.</summary>
    public string Fingerprint() => string.Join('|', "click", Name, string.Join(',', ExposureEvents), string.Join(',', OutcomeEvents),
        string.Join(',', KeyFields), WindowMs, string.Join(',', Fields), string.Join(',', Crosses.Select(c => $"{c.A}*{c.B}")),
        string.Join(',', Live.Select(l => $"{l.Entity}.{l.KeyField}.{l.Feature}.{l.WindowMs}")), Ftrl, MaxPending, Sample.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>Quality figures of a stream of scores (see <see cref="Metrics.ProgressiveValidation"/>).</summary>
public sealed record QualityFigures(long Count, long Positives, double LogLoss, double Auc, double NormalizedEntropy, double Calibration);

/// <summary>
/// A click model's figures at one moment: FTRL updates (a fake negative for each example, and each positive), the
/// label join's counters, and the quality of its served scores and of the constant rate's over the final labels.
/// </summary>
public sealed record ClickModelFigures(long Updates, Labels.LabelJoinStats Labels, QualityFigures Quality, QualityFigures Constant);
