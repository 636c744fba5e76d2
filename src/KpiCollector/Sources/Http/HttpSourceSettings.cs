using KpiCollector.Configuration;
using KpiCollector.Core.Time;

namespace KpiCollector.Sources.Http;

/// <summary>
/// What <see cref="SourceHttpClient"/> needs to know about one source: where, who, how long to wait, how much it may
/// ask for, and how hard to retry. Resolved by the factory from the source's options and its platform's defaults.
/// </summary>
public sealed record HttpSourceSettings
{
    /// <summary>The source name (the <c>source</c> label).</summary>
    public required string Source { get; init; }

    /// <summary>The configuration key of the source, e.g. <c>KpiCollector:Sources:0</c>, for messages that name a key.</summary>
    public required string ConfigurationKey { get; init; }

    public required Uri BaseUrl { get; init; }

    public required SourceCredential Credential { get; init; }

    /// <summary>What the credential must be allowed to do, said when the platform refuses it (401/403).</summary>
    public string PermissionsHint { get; init; } = "";

    /// <summary>How long one request may take before it counts as timed out.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The account-wide budget this collector allows itself (requests in any 60 seconds).</summary>
    public int RequestsPerMinute { get; init; } = 60;

    /// <summary>Retries after a 5xx, a timeout, a network error or a 429, before the poll fails.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first back-off delay; each retry doubles it, up to <see cref="BackoffMax"/>, with jitter.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest wait a platform may impose (Retry-After, an exhausted budget) that a poll sits out. A longer one
    /// fails the poll with reason <c>rate_limited</c>, and later polls fail fast until it has passed, so the source
    /// shows as down instead of hanging in a poll that looks healthy.
    /// </summary>
    public TimeSpan MaxServerWait { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// For platforms that report rate limiting in a 4xx body rather than with a 429 (Meta's Graph API: HTTP 400 with
    /// error code 4, 17, 613, 80007 or 130429): true when the body says so; the request then counts as rate limited.
    /// </summary>
    /// <remarks>Checked on 5xx responses too (Bitrix24 answers 503 with <c>QUERY_LIMIT_EXCEEDED</c>).</remarks>
    public Func<string?, bool>? IsRateLimitedBody { get; init; }

    /// <summary>
    /// How long to wait after a response <see cref="IsRateLimitedBody"/> recognized, when it carries no wait of its own;
    /// null: one budget window.
    /// </summary>
    public TimeSpan? RateLimitedWait { get; init; }

    /// <summary>
    /// The settings every connector derives the same way from its source's options (<c>KpiCollector:Sources:N</c>):
    /// name, key, base URL, timeout, the budget (<paramref name="defaultRequestsPerMinute"/>, the platform's smallest
    /// plan, unless configured) and retries.
    /// </summary>
    public static HttpSourceSettings From(SourceOptions options, int index, int defaultRequestsPerMinute, SourceCredential credential, string permissionsHint, string? defaultBaseUrl = null) => new()
    {
        Source = options.Name,
        ConfigurationKey = SourceKeys.Of(index),
        BaseUrl = new Uri(string.IsNullOrWhiteSpace(options.BaseUrl) ? defaultBaseUrl! : options.BaseUrl),
        Credential = credential,
        PermissionsHint = permissionsHint,
        Timeout = Durations.Parse(options.Timeout),
        RequestsPerMinute = options.RequestsPerMinute ?? defaultRequestsPerMinute,
        MaxRetries = options.MaxRetries,
    };
}
