namespace KpiCollector.Sources;

/// <summary>
/// What the collector knows about one source's polling: plain state, read by the landing page, the readiness check
/// and the metrics exporter. Thread-safe: written by the source's (non-concurrent) poll job, read by anyone.
/// </summary>
public sealed class SourceStatus(string name, string platform)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _errors = ErrorReasons.All.ToDictionary(r => r, _ => 0L);
    private readonly Dictionary<string, long> _ingested = new() { ["conversation"] = 0, ["survey"] = 0, ["other"] = 0 };
    private readonly Dictionary<string, long> _webhooks = [];
    private readonly Dictionary<string, long> _requests = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public string Platform { get; } = platform;

    /// <summary>Null before the first poll finished; then whether the last poll succeeded.</summary>
    public bool? Up { get; private set; }

    public DateTimeOffset? LastSuccess { get; private set; }

    public DateTimeOffset? LastAttempt { get; private set; }

    public DateTimeOffset? Watermark { get; private set; }

    public TimeSpan? LastDuration { get; private set; }

    /// <summary>The configured poll interval (for cron schedules, the gap between the next two firings).</summary>
    public TimeSpan? PollInterval { get; set; }

    public string? LastErrorReason { get; private set; }

    public string? LastErrorMessage { get; private set; }

    public bool PolledOnce => Up is not null;

    /// <summary>The first poll's backfill (or a catch-up after a long stop): how far, and when it ends.</summary>
    public BackfillProgress Backfill { get; } = new();

    /// <summary>HTTP requests sent to the platform since start, whatever their outcome.</summary>
    public long RequestCount
    {
        get { lock (_gate) { return _requests.Values.Sum(); } }
    }

    public BackfillSnapshot ReadBackfill(DateTimeOffset now) => Backfill.Read(now, RequestCount);

    /// <summary>The last request budget the platform reported as remaining (its rate-limit headers); null until one did.</summary>
    public double? RateLimitRemaining { get; private set; }

    /// <summary>The platform's own version where it reports one (Chatwoot); null otherwise.</summary>
    public string? PlatformVersion { get; private set; }

    public IReadOnlyDictionary<string, long> ErrorsByReason
    {
        get { lock (_gate) { return new Dictionary<string, long>(_errors); } }
    }

    public IReadOnlyDictionary<string, long> IngestedByKind
    {
        get { lock (_gate) { return new Dictionary<string, long>(_ingested); } }
    }

    /// <summary>
    /// HTTP requests sent to the platform, by status code (<c>200</c>, <c>429</c>, ...) or, when no response came,
    /// <c>timeout</c> or <c>network</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> RequestsByCode
    {
        get { lock (_gate) { return new Dictionary<string, long>(_requests); } }
    }

    /// <summary>The source receives webhooks (its outcome counters are exported from 0).</summary>
    public bool ReceivesWebhooks { get; set; }

    /// <summary>Webhook requests by outcome (webhook sources only).</summary>
    public IReadOnlyDictionary<string, long> WebhooksByOutcome
    {
        get { lock (_gate) { return new Dictionary<string, long>(_webhooks); } }
    }

    public void RecordWebhook(string outcome)
    {
        lock (_gate)
        {
            _webhooks[outcome] = _webhooks.GetValueOrDefault(outcome) + 1;
        }
    }

    public void RecordRequest(string code)
    {
        lock (_gate)
        {
            _requests[code] = _requests.GetValueOrDefault(code) + 1;
        }
    }

    public void RecordRateLimitRemaining(double remaining) => RateLimitRemaining = remaining;

    public void RecordPlatformVersion(string version) => PlatformVersion = version;

    public void RecordIngested(int conversations, int surveys, int others = 0)
    {
        lock (_gate)
        {
            _ingested["conversation"] += conversations;
            _ingested["survey"] += surveys;
            _ingested["other"] += others;
        }
    }

    public void RecordWatermark(DateTimeOffset? watermark)
    {
        if (watermark is not null)
        {
            Watermark = watermark;
        }
    }

    public void RecordSuccess(DateTimeOffset at, TimeSpan duration)
    {
        lock (_gate)
        {
            Up = true;
            LastAttempt = LastSuccess = at;
            LastDuration = duration;
        }
    }

    public void RecordFailure(DateTimeOffset at, TimeSpan duration, string reason, string message)
    {
        lock (_gate)
        {
            Up = false;
            LastAttempt = at;
            LastDuration = duration;
            LastErrorReason = reason;
            LastErrorMessage = message;
            _errors[reason] = _errors.GetValueOrDefault(reason) + 1;
        }
    }

    /// <summary>
    /// The source's records the store quarantined because they could not be read (by kind; empty when none): they
    /// are out of the KPIs until someone repairs or drops them (docs/runbooks.md, "KpiCollectorRecordsQuarantined").
    /// </summary>
    public IReadOnlyDictionary<string, long> Quarantined { get; private set; } = new Dictionary<string, long>();

    public long QuarantinedCount => Quarantined.Values.Sum();

    public void RecordQuarantined(IReadOnlyDictionary<string, long> byKind) => Quarantined = byKind;

    /// <summary>A checkpoint found in the store at start: the watermark survives restarts.</summary>
    public void Restore(DateTimeOffset? watermark) => Watermark ??= watermark;
}
