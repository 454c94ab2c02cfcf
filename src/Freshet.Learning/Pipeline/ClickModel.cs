using Freshet.Hashing;
using Freshet.Events;
using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Labels;
using Freshet.Learning.Metrics;
using Freshet.Learning.Parameters;

namespace Freshet.Learning.Pipeline;

/// <summary>
/// A click model learning from the live stream: exposures and outcomes go through the <see cref="LabelJoin"/>, each
/// exposure is learned at once as a negative and again as a positive if its outcome follows
/// (<see cref="DelayedFeedback"/>), and every exposure is scored first, so <see cref="Quality"/> is the quality of
/// the scores a ranker would have served. An exposure enters <see cref="Quality"/> once, with its final label, when
/// its attribution window closes: the figures cover the exposures older than the window (all of them after
/// <see cref="Flush"/>), positives and negatives alike, so they are unbiased at any moment. Time is the stream's:
/// every event moves it (whatever its type), and <see cref="AdvanceTo"/> moves it without events. Examples for
/// training (<see cref="Observe"/>) and for ranking
/// (<see cref="Score(IReadOnlyDictionary{string, string})"/>) are built by one method from field values, so there is
/// no train/serve skew. One writer; scoring and the figures may be read from any thread (they share a lock).
/// </summary>
public sealed class ClickModel
{
    private readonly StringInterner _strings;
    private readonly ILiveFeatures? _live;
    private readonly FeatureHasher _hasher;
    private LabelJoin _join;
    private readonly RunningRate _constant;
    private readonly HashSet<int> _exposureTypes;
    private readonly HashSet<int> _outcomeTypes;
    private readonly int[] _keyFieldIds;
    private readonly int[] _fieldIds;
    private readonly ulong[] _fieldNamespaces;
    private readonly (int A, string NameA, int B, string NameB, ulong NsA, ulong NsB)[] _crosses;
    private readonly ulong[] _liveNamespaces;
    private readonly (LiveFeatureGroup Group, int Start, int KeyFieldId)[] _liveGroups;
    private readonly double[] _liveValues;
    private readonly SparseVector _x = new();
    private readonly Lock _lock = new();
    private readonly IParameterStoreFactory _stores;

    /// <param name="definition">What the model learns from.</param>
    /// <param name="strings">The stream's interned strings.</param>
    /// <param name="live">Where live features are read (required when the definition has some).</param>
    /// <param name="stores">Where FTRL's parameters live (<see cref="InProcessParameterStores.Default"/> when null).</param>
    public ClickModel(ClickModelDefinition definition, StringInterner strings, ILiveFeatures? live = null, IParameterStoreFactory? stores = null)
    {
        Definition = definition;
        _strings = strings;
        _live = definition.Live.IsEmpty ? null : live ?? throw new ArgumentException($"model '{definition.Name}' reads live features but no source of them was given", nameof(live));
        _stores = stores ?? InProcessParameterStores.Default;
        Model = FtrlModel.Create(definition.Ftrl, _stores, definition.Name);
        _hasher = new FeatureHasher(definition.Ftrl.Bits);
        _constant = new RunningRate(definition.Ftrl.PriorRate, priorCount: 100);
        _join = new LabelJoin(definition.WindowMs, definition.MaxPending, OnPositive, OnFinal);
        _exposureTypes = [.. definition.ExposureEvents.Select(strings.GetOrAdd)];
        _outcomeTypes = [.. definition.OutcomeEvents.Select(strings.GetOrAdd)];
        _keyFieldIds = [.. definition.KeyFields.Select(strings.GetOrAdd)];
        _fieldIds = [.. definition.Fields.Select(strings.GetOrAdd)];
        _fieldNamespaces = [.. definition.Fields.Select(FeatureHasher.Namespace)];
        _crosses = [.. definition.Crosses.Select(c => (strings.GetOrAdd(c.A), c.A, strings.GetOrAdd(c.B), c.B, FeatureHasher.Namespace(c.A), FeatureHasher.Namespace(c.B)))];
        _liveNamespaces = [.. definition.Live.Select(l => FeatureHasher.Namespace($"live:{l.Feature}:{l.WindowMs}"))];
        _liveGroups = [.. LiveFeatureGroup.GroupsOf(definition.Live).Select(g => (g.Group, g.Start, strings.GetOrAdd(g.Group.KeyField)))];
        _liveValues = new double[definition.Live.Length];
    }

    public ClickModelDefinition Definition { get; }

    public FtrlModel Model { get; private set; }

    /// <summary>Quality of the scores served at exposure time (before the label was known), over the exposures whose label is final.</summary>
    public ProgressiveValidation Quality { get; private set; } = new();

    /// <summary>The constant-rate baseline judged the same way.</summary>
    public ProgressiveValidation ConstantQuality { get; private set; } = new();

    public LabelJoinStats Labels => _join.Stats;

    /// <summary>
    /// Takes one event of the stream, in order: its time closes the windows that ended; exposures are scored and
    /// learned as negatives, outcomes labelled.
    /// </summary>
    public void Observe(EventBatch batch, int index)
    {
        lock (_lock)
        {
            ObserveLocked(batch, index);
        }
    }

    /// <summary>The figures of the model so far, read together.</summary>
    public ClickModelFigures Figures()
    {
        lock (_lock)
        {
            return new ClickModelFigures(Model.Examples, Labels, Snapshot(Quality), Snapshot(ConstantQuality));
        }
    }

    private static QualityFigures Snapshot(Metrics.ProgressiveValidation q) =>
        new(q.Count, q.Positives, q.LogLoss, q.Auc, q.NormalizedEntropy, q.Calibration);

    private void ObserveLocked(EventBatch batch, int index)
    {
        ref readonly var e = ref batch[index];

        // Every event is the stream's clock, not only this model's: a window closes when the stream has passed it,
        // whatever the events that pass it, so the labels do not depend on how the stream was cut into batches.
        _join.AdvanceTo(e.TimeMs);
        bool exposure = _exposureTypes.Contains(e.TypeId);
        if (!exposure && !_outcomeTypes.Contains(e.TypeId))
        {
            return;
        }

        if (!TryKey(batch, index, out var key) || !KeySample.Includes(XxHash64.Hash((ulong)key.B, (ulong)key.A), Definition.Sample))
        {
            return;
        }

        if (!exposure)
        {
            _join.Outcome(key, e.TimeMs);
            return;
        }

        if (_join.TryRepeat(key, e.TimeMs))
        {
            // A repeat of an open example is neither scored nor learned again.
            return;
        }

        // A new example is learned at once as the fake negative, and Learn returns the score it made before learning:
        // one pull and one push of the example's rows give both the served score and the update (with a store in
        // another process, one round trip).
        Build(new EventFields(batch, index, _strings), _x, _liveValues, e.TimeMs);
        double served = DelayedFeedback.Calibrate(Model.Learn(_x, false));
        _join.Expose(key, e.TimeMs, _x, served, DelayedFeedback.Calibrate(_constant.Predict()));
        _constant.Learn(false);
    }

    /// <summary>Closes the windows that ended by <paramref name="nowMs"/> (the stream's clock moving without events: wall ticks).</summary>
    public void AdvanceTo(long nowMs)
    {
        lock (_lock)
        {
            _join.AdvanceTo(nowMs);
        }
    }

    /// <summary>
    /// Closes every open window (the end of a stream, e.g. of a replay): exposures without an outcome get their final
    /// negative label now, so <see cref="Quality"/> covers every exposure.
    /// </summary>
    public void Flush()
    {
        lock (_lock)
        {
            _join.Flush();
        }
    }

    /// <summary>The probability of an outcome for the exposure event at <paramref name="index"/>, without learning from it.</summary>
    public double Score(EventBatch batch, int index)
    {
        var x = new SparseVector();
        lock (_lock)
        {
            Build(new EventFields(batch, index, _strings), x, new double[_liveValues.Length], batch[index].TimeMs);
            return DelayedFeedback.Calibrate(Model.Predict(x));
        }
    }

    /// <summary>The probability of an outcome for an exposure with these field values (strings), as served.</summary>
    public double Score(IReadOnlyDictionary<string, string> fields) => Score(null, [fields])[0];

    /// <summary>
    /// Ranks a request: the probability of an outcome for each candidate, whose own field values win over the shared
    /// <paramref name="context"/>'s (the user, the device…). One example vector serves every candidate.
    /// </summary>
    public double[] Score(IReadOnlyDictionary<string, string>? context, IReadOnlyList<IReadOnlyDictionary<string, string>?> candidates)
    {
        var x = new SparseVector();
        var live = new double[_liveValues.Length];
        var scores = new double[candidates.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            // Live features are read outside the lock (they come from the engine); the model is read under it.
            Build(new DictionaryFields(candidates[i], context), x, live, long.MaxValue);
            lock (_lock)
            {
                scores[i] = DelayedFeedback.Calibrate(Model.Predict(x));
            }
        }

        return scores;
    }

    /// <summary>
    /// Writes everything the model has learned and is waiting for: FTRL's optimizer state, the open exposures of the
    /// label join, the constant rate, and both quality trackers, so a restart continues exactly where this stopped.
    /// </summary>
    public void Save(BinaryWriter w)
    {
        lock (_lock)
        {
            WriteSection(w, Model.Save);
            WriteSection(w, _join.Save);
            _constant.Save(w);
            Quality.Save(w);
            ConstantQuality.Save(w);
        }
    }

    /// <summary>Reads state written by <see cref="Save"/> into this model (made from the same definition).</summary>
    public void Load(BinaryReader r)
    {
        lock (_lock)
        {
            // Saved state under other settings is refused before a store is asked for.
            Model = FtrlModel.Load(ReadSection(r), options => options == Definition.Ftrl
                ? FtrlModel.CreateStore(options, _stores, Definition.Name)
                : throw new InvalidDataException($"model '{Definition.Name}' was saved with other FTRL settings ({options}); it starts afresh"));
            _join = LabelJoin.Load(ReadSection(r), Definition.MaxPending, OnPositive, OnFinal);
            _constant.Load(r);
            Quality = ProgressiveValidation.Load(r);
            ConstantQuality = ProgressiveValidation.Load(r);
        }
    }

    private static void WriteSection(BinaryWriter w, Action<Stream> save)
    {
        using var section = new MemoryStream();
        save(section);
        w.Write(section.Length);
        w.Write(section.GetBuffer(), 0, (int)section.Length);
    }

    private static MemoryStream ReadSection(BinaryReader r)
    {
        long length = r.ReadInt64();
        return new MemoryStream(r.ReadBytes(checked((int)length)));
    }

    /// <summary>An outcome joined its exposure: learn the positive at once (the exposure was learned as a negative).</summary>
    private void OnPositive(PositiveExample example)
    {
        Model.Learn(example.Features, true);
        _constant.Learn(true);
    }

    /// <summary>An exposure's window closed: its served scores are judged once, against its final label.</summary>
    private void OnFinal(FinalLabel label)
    {
        Quality.Add(label.ServedScore, label.Positive);
        ConstantQuality.Add(label.BaselineScore, label.Positive);
    }

    private bool TryKey(EventBatch batch, int index, out JoinKey key)
    {
        long a = 0, b = 0;
        for (int i = 0; i < _keyFieldIds.Length; i++)
        {
            if (!batch.TryGetField(index, _keyFieldIds[i], out var value) || value.Kind != FieldKind.String)
            {
                key = default;
                return false;
            }

            // Interned ids are stable for the process; the content hash keeps keys stable across restarts.
            long hash = (long)batch.HashOf(value.StringId, _strings);
            if (i == 0)
            {
                a = hash;
            }
            else
            {
                b = (b * 31) + hash;
            }
        }

        key = new JoinKey(a, b);
        return true;
    }

    /// <summary>
    /// The one example builder: bias, hashed fields, crosses, and live features (log(1 + value) and its bucket) of the
    /// events before <paramref name="beforeMs"/> (the exposure's time when training, now when ranking).
    /// </summary>
    private void Build<TFields>(TFields source, SparseVector x, double[] liveValues, long beforeMs)
        where TFields : IFieldSource
    {
        _hasher.Begin(x);
        for (int i = 0; i < _fieldIds.Length; i++)
        {
            if (source.TryHash(_fieldIds[i], Definition.Fields[i], out ulong hash))
            {
                _hasher.AddHashed(x, _fieldNamespaces[i], hash);
            }
        }

        foreach (var (a, nameA, b, nameB, nsA, nsB) in _crosses)
        {
            if (source.TryHash(a, nameA, out ulong ha) && source.TryHash(b, nameB, out ulong hb))
            {
                _hasher.AddCross(x, nsA, ha, nsB, hb);
            }
        }

        if (_live is null)
        {
            return;
        }

        // The features of one entity key are read together, resolved when the model was made.
        foreach (var (group, i, keyFieldId) in _liveGroups)
        {
            int end = i + group.Features.Length;
            if (source.TryString(keyFieldId, group.KeyField, out string? key))
            {
                _live.Read(group, key, beforeMs, liveValues.AsSpan(i, end - i));
                for (int j = i; j < end; j++)
                {
                    // The value on its own coordinate (log-scaled), and its power-of-two bucket as a category: a linear
                    // model then sees "never viewed before" and "viewed a lot" as different, not just as more.
                    double value = double.IsFinite(liveValues[j]) ? Math.Max(0, liveValues[j]) : 0;
                    _hasher.AddNumber(x, _liveNamespaces[j], Math.Log(1 + value));
                    _hasher.AddHashed(x, _liveNamespaces[j], (ulong)(value < 1 ? 0 : 1 + Math.Min(16, (int)Math.Log2(value))));
                }
            }
        }
    }

    /// <summary>Field values of an exposure: an event of the stream, or the context of a ranking request.</summary>
    private interface IFieldSource
    {
        bool TryHash(int fieldId, string field, out ulong hash);

        bool TryString(int fieldId, string field, out string value);
    }

    private readonly struct EventFields(EventBatch batch, int index, StringInterner strings) : IFieldSource
    {
        public bool TryHash(int fieldId, string field, out ulong hash)
        {
            if (batch.TryGetField(index, fieldId, out var value) && value.Kind == FieldKind.String)
            {
                hash = batch.HashOf(value.StringId, strings);
                return true;
            }

            hash = 0;
            return false;
        }

        public bool TryString(int fieldId, string field, out string value)
        {
            if (batch.TryGetField(index, fieldId, out var found) && found.Kind == FieldKind.String)
            {
                value = batch.StringOf(found.StringId, strings);
                return true;
            }

            value = "";
            return false;
        }
    }

    /// <summary>Field values from <paramref name="fields"/>, or from <paramref name="fallback"/> where it lacks them (a candidate over its request's context).</summary>
    private readonly struct DictionaryFields(IReadOnlyDictionary<string, string>? fields, IReadOnlyDictionary<string, string>? fallback) : IFieldSource
    {
        public bool TryHash(int fieldId, string field, out ulong hash)
        {
            bool found = TryString(fieldId, field, out string value);
            hash = found ? FeatureHasher.ValueHash(value) : 0;
            return found;
        }

        public bool TryString(int fieldId, string field, out string value)
        {
            string? text = null;
            bool found = (fields?.TryGetValue(field, out text) ?? false) || (fallback?.TryGetValue(field, out text) ?? false);
            value = text ?? "";
            return found;
        }
    }
}
