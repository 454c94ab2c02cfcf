using System.Threading.Channels;
using Freshet.Engine;
using Freshet.Engine.Query;
using Freshet.Events;
using Freshet.Learning.Pipeline;
using Freshet.Time;
using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Learning;

/// <summary>
/// Runs the models of a models file on the engine's stream: the engine shows each batch of accepted events (in log
/// order) to <see cref="OnAccepted"/>, which copies it into a bounded queue; one learner thread feeds every model in
/// that order. Learning never slows ingest: when the learner falls behind by the whole queue, batches are skipped and
/// counted (<see cref="SkippedEvents"/>, in <c>GET /v1/models</c>).
/// </summary>
internal sealed class LearningService : IHostedService
{
    private const int QueueBatches = 256;

    private readonly FreshetEngine _engine;
    private readonly Channel<EventBatch> _queue = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(QueueBatches)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // Never waited on: writes use TryWrite and count what does not fit.
    });

    private readonly System.Collections.Concurrent.ConcurrentBag<EventBatch> _spare = [];
    private Thread? _learner;
    private long _skipped;
    private long _learned;

    public LearningService(FreshetEngine engine, ModelSet models)
    {
        _engine = engine;
        if (ModelDefinitionLoader.Check(models, engine.Catalog) is { Count: > 0 } problems)
        {
            throw new ModelDefinitionException(problems);
        }

        var live = new EngineLiveFeatures(engine);
        ClickModels = [.. models.ClickModels.Select(d => new ClickModel(d, engine.Strings, live))];
        Recommenders = [.. models.Recommenders.Select(d => new Recommender(d, engine.Strings))];
    }

    public IReadOnlyList<ClickModel> ClickModels { get; }

    public IReadOnlyList<Recommender> Recommenders { get; }

    /// <summary>Accepted events the models skipped because the learner was a whole queue behind.</summary>
    public long SkippedEvents => Interlocked.Read(ref _skipped);

    /// <summary>Accepted events the models have seen.</summary>
    public long LearnedEvents => Interlocked.Read(ref _learned);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (ClickModels.Count + Recommenders.Count == 0)
        {
            return Task.CompletedTask; // Nothing to learn: do not copy the stream.
        }

        _learner = new Thread(Learn) { IsBackground = true, Name = "freshet-learner" };
        _learner.Start();
        _engine.ObserveAccepted(OnAccepted);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _engine.ObserveAccepted(null);
        _queue.Writer.TryComplete();
        _learner?.Join();
        return Task.CompletedTask;
    }

    /// <summary>Waits until the models have seen every event accepted so far (tests and <c>?wait</c>-style callers).</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long target = Interlocked.Read(ref _queued);
        while (Interlocked.Read(ref _learned) < target)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private long _queued;

    /// <summary>Under the engine's ingest lock: copy and queue, never wait.</summary>
    private void OnAccepted(EventBatch events)
    {
        if (!_spare.TryTake(out var copy))
        {
            copy = new EventBatch(events.Count);
        }

        copy.Clear();
        for (int i = 0; i < events.Count; i++)
        {
            copy.CopyFrom(events, i);
        }

        int count = copy.Count;
        if (_queue.Writer.TryWrite(copy))
        {
            Interlocked.Add(ref _queued, count);
        }
        else
        {
            Interlocked.Add(ref _skipped, count);
            _spare.Add(copy);
        }
    }

    private void Learn()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var batch))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    foreach (var model in ClickModels)
                    {
                        model.Observe(batch, i);
                    }

                    foreach (var recommender in Recommenders)
                    {
                        recommender.Observe(batch, i);
                    }
                }

                Interlocked.Add(ref _learned, batch.Count);
                _spare.Add(batch);
            }
        }
    }

    /// <summary>Live features from the engine: one vector read per entity key.</summary>
    private sealed class EngineLiveFeatures(FreshetEngine engine) : ILiveFeatures
    {
        public void Read(string entity, string key, ReadOnlySpan<LiveFeature> features, Span<double> values)
        {
            var names = new string[features.Length];
            for (int i = 0; i < features.Length; i++)
            {
                names[i] = features[i].Feature;
            }

            var vector = engine.GetVector(entity, [key], new VectorQuery { Features = [.. names.Distinct()] });
            for (int i = 0; i < features.Length; i++)
            {
                values[i] = vector.Find(features[i].Feature, Duration.Format(features[i].WindowMs))?.Value.Number ?? double.NaN;
            }
        }
    }
}
