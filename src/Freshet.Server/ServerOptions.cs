namespace Freshet.Server;

/// <summary>How the HTTP server listens and the limits it enforces.</summary>
public sealed record ServerOptions
{
    /// <summary>The address <c>freshet serve</c> listens on unless told otherwise: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7700";

    /// <summary>Where to listen; port 0 picks a free port (see <see cref="RunningServer.BaseAddress"/>).</summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary>Largest request body, after gzip decompression, that <c>POST /v1/events</c> takes (413 beyond it).</summary>
    public long MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Ingest requests parsed and ingested at once (their bodies already read), and as many more that may wait for a
    /// turn; beyond that the server answers 429 with <c>Retry-After</c>. A body is read before it asks for a turn, so a
    /// slow upload never holds one.
    /// </summary>
    public int MaxConcurrentIngests { get; init; } = Math.Max(4, 2 * Environment.ProcessorCount);

    /// <summary>
    /// Bytes of request-body buffers all ingest requests together may hold while they are received, wait for a turn or
    /// are parsed; a request that would pass it gets 429 with <c>Retry-After</c>. This is what bounds ingest's memory
    /// (raised to what one body of <see cref="MaxBodyBytes"/> needs if set lower). Buffers are pooled powers of two, so a
    /// 16 MiB body takes a 32 MiB buffer; a short body takes a buffer of its declared size.
    /// </summary>
    public long MaxBufferedBodyBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Slowest upload accepted, in bytes per second averaged after <see cref="BodyGracePeriod"/>; a slower body is cut
    /// off with 408 (Kestrel's minimum request body data rate). 0 turns the check off.
    /// </summary>
    public double BodyMinBytesPerSecond { get; init; } = 240;

    /// <summary>How long a request body may take before <see cref="BodyMinBytesPerSecond"/> is enforced; more than 1 s (Kestrel refuses less).</summary>
    public TimeSpan BodyGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest an ingest body may take to arrive in full, however steady; past it the request gets 408. It stops a
    /// client that keeps just above <see cref="BodyMinBytesPerSecond"/> from holding its buffer for hours.
    /// </summary>
    public TimeSpan BodyReadTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest a client may take to send the request line and headers before Kestrel closes the connection (408).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Host header values accepted (names without port; <c>*.example.com</c> matches subdomains; <c>*</c> anything);
    /// other hosts get 400, which stops DNS rebinding. Empty: chosen from <see cref="Url"/> — the loopback names
    /// (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>) for a loopback address, the host itself for a named host,
    /// and any host for a wildcard address (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>), where the operator should name them.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Models learned from the stream (a models file, see <c>samples/models.yaml</c>); none by default.</summary>
    public Freshet.Learning.Pipeline.ModelSet Models { get; init; } = Freshet.Learning.Pipeline.ModelSet.Empty;

    /// <summary>
    /// Where the models' state is saved (the data directory's <c>models/</c>); null keeps it in memory only. Ignored
    /// when the engine has no event log to catch up from.
    /// </summary>
    public string? ModelStateDirectory { get; init; }

    /// <summary>How often the models' state is saved to <see cref="ModelStateDirectory"/> (and at a clean stop).</summary>
    public TimeSpan ModelSaveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most candidates one <c>POST /v1/score</c> request may rank.</summary>
    public int MaxScoreCandidates { get; init; } = 1000;

    /// <summary>Most keys one <c>POST /v1/vectors</c> request may ask for.</summary>
    public int MaxBatchKeys { get; init; } = 1000;

    /// <summary>How long <c>?wait=true</c> waits for the events to be visible before answering 504.</summary>
    public TimeSpan VisibleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Seconds a client is told to wait (<c>Retry-After</c>) when the server is overloaded.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Write ASP.NET Core's own log lines (requests failing, shutdown) to the console.</summary>
    public bool FrameworkLogging { get; init; } = true;
}
