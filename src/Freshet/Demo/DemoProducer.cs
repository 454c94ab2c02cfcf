using System.Diagnostics;
using Freshet.Events;
using Freshet.Seams;
using Freshet.Synthetic;

namespace Freshet.Cli.Demo;

/// <summary>
/// The demo's producer thread: fills batches from the synthetic stream and ingests them, keeping simulated time at
/// <see cref="DemoSettings.Speed"/> times real time.
/// </summary>
/// <remarks>
/// With a fixed <c>--rate</c> the stream's density is rate ÷ speed events per simulated second and the producer
/// follows the simulated clock (sleeping when it is ahead), so the real rate rises and falls with the daily rhythm.
/// With <c>--rate max</c> it never waits: every quarter second the density is set to the measured throughput ÷ speed,
/// so the stream is as dense as the machine allows while simulated time still runs at about the asked speed (faster
/// through the quiet night, slower through the evening peak, which is the rhythm showing).
/// </remarks>
/// <remarks>
/// Backpressure: the producer never runs more than <see cref="CatchUpMs"/> ahead to catch up with a rate the machine
/// does not sustain (simulated time then runs slower, as the header's ×speed shows), and it waits while the models'
/// learner is more than <see cref="LearnerLagMax"/> events behind (<paramref name="learnerLag"/>, null without models):
/// left alone, a producer that keeps the cores busy starves the learner thread, which then skips whole batches.
/// </remarks>
internal sealed class DemoProducer(IEventRouter router, SyntheticStream stream, SimulatedClock clock, DemoSettings settings, Func<long>? learnerLag = null)
{
    private const long AdjustEveryMs = 250;

    /// <summary>The most real time of events the producer makes up for at once after falling behind its rate.</summary>
    private const long CatchUpMs = 250;

    /// <summary>Events the learner may be behind the engine before the producer waits: a quarter of its queue (256 batches).</summary>
    private const long LearnerLagMax = 64 * DemoSettings.BatchSize;

    /// <summary>How often the learner's lag is read (it takes a lock in each model).</summary>
    private static readonly TimeSpan LagCheckInterval = TimeSpan.FromMilliseconds(50);

    private long _lagCheckedAt;

    /// <summary>Throughput assumed at --rate max until the first measurement, a quarter second in.</summary>
    private const double FirstGuessEventsPerSecond = 300_000;

    private Thread? _running;
    private volatile bool _stopping;

    /// <summary>What stopped the producer, if it failed (read it after <see cref="Stop"/>).</summary>
    public Exception? Fault { get; private set; }

    public bool IsRunning => _running is { IsAlive: true };

    public void Start()
    {
        _running = new Thread(Run) { IsBackground = true, Name = "freshet-demo-producer" };
        _running.Start();
    }

    /// <summary>Stops after the batch in hand and waits for the thread to end.</summary>
    public void Stop()
    {
        _stopping = true;
        _running?.Join();
    }

    private void Run()
    {
        try
        {
            stream.EventsPerSimulatedSecond = (settings.RatePerSecond ?? FirstGuessEventsPerSecond) / settings.Speed;
            if (settings.RatePerSecond is null)
            {
                RunFlatOut(new EventBatch(DemoSettings.BatchSize));
            }
            else
            {
                RunOnTheClock(new EventBatch(DemoSettings.BatchSize));
            }
        }
        catch (Exception e)
        {
            Fault = e;
        }
    }

    /// <summary>--rate max: full batches back to back; the density follows the measured throughput.</summary>
    private void RunFlatOut(EventBatch batch)
    {
        long ingested = 0, measuredFrom = Stopwatch.GetTimestamp(), measuredCount = 0;
        double throughput = 0;
        while (!_stopping)
        {
            batch.Clear();
            stream.Fill(batch, DemoSettings.BatchSize);
            Ingest(batch);
            ingested += batch.Count;

            var sinceMeasured = Stopwatch.GetElapsedTime(measuredFrom);
            if (sinceMeasured.TotalMilliseconds >= AdjustEveryMs)
            {
                double measured = (ingested - measuredCount) / sinceMeasured.TotalSeconds;
                throughput = throughput == 0 ? measured : (0.7 * throughput) + (0.3 * measured); // Smoothed: GC pauses happen.
                stream.EventsPerSimulatedSecond = Math.Max(throughput / settings.Speed, 0.01);
                (measuredFrom, measuredCount) = (Stopwatch.GetTimestamp(), ingested);
            }
        }
    }

    /// <summary>--rate N: the events due by now on the simulated clock, then a short sleep when there are none.</summary>
    private void RunOnTheClock(EventBatch batch)
    {
        long startTicks = Stopwatch.GetTimestamp();
        long simulatedStartMs = stream.SimulatedNowMs;
        long catchUpMs = (long)(CatchUpMs * settings.Speed);
        while (!_stopping)
        {
            batch.Clear();
            long dueMs = simulatedStartMs + (long)(Stopwatch.GetElapsedTime(startTicks).TotalMilliseconds * settings.Speed);
            if (dueMs - stream.SimulatedNowMs > catchUpMs)
            {
                // Behind by more than it should make up for: forgive the rest, so the rate is what the machine sustains.
                simulatedStartMs -= dueMs - stream.SimulatedNowMs - catchUpMs;
                dueMs = stream.SimulatedNowMs + catchUpMs;
            }

            if (stream.FillUntil(batch, dueMs, DemoSettings.BatchSize) == 0)
            {
                Thread.Sleep(1);
                continue;
            }

            Ingest(batch);
        }
    }

    private void Ingest(EventBatch batch)
    {
        WaitForLearner();
        clock.Advance(stream.SimulatedNowMs);
        router.Ingest(batch);
    }

    private void WaitForLearner()
    {
        if (learnerLag is null || Stopwatch.GetElapsedTime(_lagCheckedAt) < LagCheckInterval)
        {
            return;
        }

        while (!_stopping && learnerLag() > LearnerLagMax)
        {
            Thread.Sleep(5);
        }

        _lagCheckedAt = Stopwatch.GetTimestamp();
    }
}
