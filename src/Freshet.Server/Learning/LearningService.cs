using System.Threading.Channels;
using Freshet.Engine;
using Freshet.Events;
using Freshet.Learning.Pipeline;
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
        // Wake the learner on the writing thread, not through the thread pool, which an ingest overload can starve.
        AllowSynchronousContinuations = true,
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

    /// <summary>Events a model failed on (the model skipped them), and the last failure.</summary>
    public (long Count, string? Last) Failures
    {
        get
        {
            lock (_failureLock)
            {
                return (_failures, _lastFailure);
            }
        }
    }

    private readonly Lock _failureLock = new();
    private long _failures;
    private string? _lastFailure;

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

    private long _queued;

    private void Fail(Exception e, string? model = null)
    {
        lock (_failureLock)
        {
            _failures++;
            _lastFailure = $"{(model is null ? "queueing events" : $"model '{model}'")}: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Under the engine's ingest lock: copy and queue, never wait.</summary>
    private void OnAccepted(EventBatch events)
    {
        try
        {
            Queue(events);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let learning fail an ingest: the events are accepted either way.
            Interlocked.Add(ref _skipped, events.Count);
            Fail(e);
        }
    }

    private void Queue(EventBatch events)
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
                        try
                        {
                            model.Observe(batch, i);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            Fail(e, model.Definition.Name);
                        }
                    }

                    foreach (var recommender in Recommenders)
                    {
                        try
                        {
                            recommender.Observe(batch, i);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            Fail(e, recommender.Definition.Name);
                        }
                    }
                }

                Interlocked.Add(ref _learned, batch.Count);
                _spare.Add(batch);
            }
        }
    }
}
