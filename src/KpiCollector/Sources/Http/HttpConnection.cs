using KpiCollector.Configuration;
using KpiCollector.Core.Time;

namespace KpiCollector.Sources.Http;

/// <summary>
/// The set-up every HTTP connector shares, built once from its source's options: the name and configuration key, the
/// backfill, the source's status, the HTTP client with its credential and account budget, and the start-up check that
/// the schedule fits the budgets (one warning per budget it would overrun).
/// </summary>
public sealed class HttpConnection : IDisposable
{
    private readonly SourceOptions _options;
    private readonly ILogger _logger;

    /// <param name="settings">Where, as whom and how the requests go (the connector's <c>HttpSettings</c>).</param>
    /// <param name="status">The source's status; a new one for the platform when null.</param>
    public HttpConnection(SourceOptions options, string platform, HttpSourceSettings settings, TimeProvider time, ILogger logger, Random? jitter = null, SourceStatus? status = null)
    {
        _options = options;
        _logger = logger;
        Name = options.Name;
        Key = settings.ConfigurationKey;
        Backfill = Durations.Parse(options.Backfill);
        Status = status ?? new SourceStatus(Name, platform);
        Http = new SourceHttpClient(settings, Status, time, logger, jitter);
        PollsPerMinute = PollSchedule.PollsPerMinute(options, time.GetUtcNow());
    }

    public string Name { get; }

    /// <summary>The source's configuration key, e.g. <c>KpiCollector:Sources:0</c>.</summary>
    public string Key { get; }

    /// <summary>How far back the first poll reads.</summary>
    public TimeSpan Backfill { get; }

    public SourceStatus Status { get; }

    public SourceHttpClient Http { get; }

    /// <summary>The most polls the schedule fires in any minute.</summary>
    public double PollsPerMinute { get; }

    /// <summary>A budget of the platform's own (an endpoint's limit), named by its configuration key under the source.</summary>
    public RequestBudget Budget(string name, int requestsPerMinute, string subKey) =>
        new(name, requestsPerMinute, $"{Key}:{subKey}");

    /// <summary>
    /// Warns (once, at start) when the schedule, at <paramref name="requestsPerPoll"/> requests a poll at the least,
    /// needs more of <paramref name="budget"/> (the account's by default) than it allows; at most
    /// <paramref name="pollsPerMinute"/> polls a minute when the source polls less often than its schedule fires.
    /// </summary>
    public bool WarnIfOverBudget(int requestsPerPoll, RequestBudget? budget = null, double? pollsPerMinute = null) =>
        PollSchedule.WarnIfOverBudget(_logger, _options, pollsPerMinute ?? PollsPerMinute, requestsPerPoll, budget ?? Http.Account);

    public void Dispose() => Http.Dispose();
}
