using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using RestSharp;

namespace KpiCollector.Sources.Http;

/// <summary>
/// One source's HTTP client and the single owner of its retries: one long-lived <see cref="RestClient"/> (its
/// connection pool lives as long as the source), pacing to the configured budgets, the platforms' rate-limit
/// headers, bounded back-off, and the mapping of every failure onto a bounded <see cref="ErrorReasons"/> value.
/// </summary>
/// <remarks>
/// <para>
/// Retries live here and nowhere else, so a 5xx is never retried by two layers multiplying each other's attempts.
/// Retried: 5xx, timeouts, network errors (bounded exponential back-off with jitter, or the server's
/// <c>Retry-After</c>), and 429 (after <c>Retry-After</c>). Not retried: any other 4xx, which a retry cannot fix;
/// 401/403 fail with reason <c>auth</c> and a log line naming the configuration key of the credential.
/// </para>
/// <para>
/// Waits (pacing, back-off, Retry-After) run on the injected <see cref="TimeProvider"/>, towards an absolute deadline,
/// so tests drive them with a fake clock. The per-request timeout guards a real socket and runs on real time.
/// Cancelling the token (shutdown) ends any wait or request in flight with <see cref="OperationCanceledException"/>:
/// cancellation, not an error.
/// </para>
/// </remarks>
public sealed class SourceHttpClient : IDisposable
{
    private static readonly string UserAgent =
        $"KpiCollector/{typeof(SourceHttpClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0"}";

    private static readonly IReadOnlySet<HttpStatusCode> NotFound = new HashSet<HttpStatusCode> { HttpStatusCode.NotFound };
    private static readonly IReadOnlySet<HttpStatusCode> BadRequest = new HashSet<HttpStatusCode> { HttpStatusCode.BadRequest };

    private readonly RestClient _client;
    private readonly HttpSourceSettings _settings;
    private readonly SourceStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _jitter;
    private readonly Lock _jitterGate = new();

    public SourceHttpClient(HttpSourceSettings settings, SourceStatus status, TimeProvider time, ILogger logger, Random? jitter = null)
    {
        _settings = settings;
        _status = status;
        _time = time;
        _logger = logger;
        _jitter = jitter ?? new Random();
        _client = new RestClient(new RestClientOptions(settings.BaseUrl)
        {
            Authenticator = settings.Credential.Authenticator,
            Timeout = settings.Timeout,
            UserAgent = UserAgent,
            ThrowOnAnyError = false,
        });
        Account = new RequestBudget("account", settings.RequestsPerMinute, $"{settings.ConfigurationKey}:RequestsPerMinute");
    }

    /// <summary>The account-wide budget every request of this source counts against.</summary>
    public RequestBudget Account { get; }

    public HttpSourceSettings Settings => _settings;

    /// <summary>
    /// Sends <paramref name="request"/> and returns its 2xx response, retrying what can be retried. Every request
    /// counts against <see cref="Account"/> and, when given, the <paramref name="endpoint"/> budget (an endpoint
    /// with a lower limit of its own, such as Zendesk's incremental exports).
    /// </summary>
    /// <exception cref="SourceException">The request failed for good; <see cref="SourceException.Reason"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<RestResponse> SendAsync(RestRequest request, RequestBudget? endpoint, CancellationToken cancellationToken) =>
        SendCoreAsync(request, endpoint, null, cancellationToken);

    /// <summary>Like <see cref="SendAsync"/>, but a 404 (a record deleted meanwhile) is null instead of a failure.</summary>
    public async Task<RestResponse?> SendOrNotFoundAsync(RestRequest request, RequestBudget? endpoint, CancellationToken cancellationToken)
    {
        var response = await SendCoreAsync(request, endpoint, NotFound, cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : response;
    }

    /// <summary>
    /// Like <see cref="SendAsync"/>, but a response with one of the <paramref name="tolerated"/> statuses (say a 403 or
    /// 404 for a feature the account does not have) is returned as it is instead of failing, and logs no error.
    /// </summary>
    public Task<RestResponse> SendOrStatusAsync(RestRequest request, RequestBudget? endpoint, IReadOnlySet<HttpStatusCode> tolerated, CancellationToken cancellationToken) =>
        SendCoreAsync(request, endpoint, tolerated, cancellationToken);

    /// <summary>
    /// Like <see cref="SendAsync"/>, but a 400 that is not rate limiting comes back as the response, for a caller that
    /// can do without the resource (an API field the account does not offer).
    /// </summary>
    public Task<RestResponse> SendOrBadRequestAsync(RestRequest request, RequestBudget? endpoint, CancellationToken cancellationToken) =>
        SendCoreAsync(request, endpoint, BadRequest, cancellationToken);

    private async Task<RestResponse> SendCoreAsync(RestRequest request, RequestBudget? endpoint, IReadOnlySet<HttpStatusCode>? tolerated, CancellationToken cancellationToken)
    {
        var what = $"{request.Method.ToString().ToUpperInvariant()} {request.Resource}";
        for (var retry = 0; ; retry++)
        {
            await WaitForBudgetAsync(endpoint, cancellationToken);
            var sentAt = _time.GetUtcNow();
            Account.RecordSent(sentAt);
            endpoint?.RecordSent(sentAt);
            var started = Stopwatch.GetTimestamp();
            var response = await _client.ExecuteAsync(request, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested(); // shutdown: cancellation, whatever RestSharp made of it

            var now = _time.GetUtcNow();
            if (tolerated is not null && response.StatusCode != 0 && tolerated.Contains(response.StatusCode)
                && _settings.IsRateLimitedBody?.Invoke(response.Content) != true)
            {
                _status.RecordRequest(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                return response;
            }

            var failure = Classify(response, what, endpoint, now);
            Log.Response(_logger, _settings.Source, what, failure?.Code ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (failure is null)
            {
                return response;
            }

            var (reason, code, detail, serverWait) = failure.Value;
            if (retry >= _settings.MaxRetries)
            {
                // The transport's exception rides along (never logged) so `check sources` can tell DNS, refused and TLS apart.
                throw new SourceException(reason, $"{what}: {detail}; gave up after {retry + 1} attempts", response.ErrorException);
            }

            if (serverWait > _settings.MaxServerWait)
            {
                throw new SourceException(reason, $"{what}: {detail}; the platform asks to wait {serverWait.Value.TotalSeconds:F0} s, longer than a poll waits ({_settings.MaxServerWait.TotalSeconds:F0} s); polls resume after it");
            }

            var delay = serverWait ?? NextBackoff(retry);
            Log.Retrying(_logger, _settings.Source, what, reason, detail, retry + 1, _settings.MaxRetries, delay.TotalSeconds, serverWait is null ? "back-off" : "as the platform asked");
            await DelayUntilAsync(now + delay, cancellationToken);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Null for a 2xx; otherwise the reason, the code label, a safe description, and a wait the server asked for.</summary>
    private (string Reason, string Code, string Detail, TimeSpan? ServerWait)? Classify(RestResponse response, string what, RequestBudget? endpoint, DateTimeOffset now)
    {
        if (response.ResponseStatus == ResponseStatus.TimedOut)
        {
            _status.RecordRequest("timeout");
            return (ErrorReasons.Timeout, "timeout", $"no response within {_settings.Timeout.TotalSeconds:0.###} s ({_settings.ConfigurationKey}:Timeout)", null);
        }

        if (response.StatusCode == 0)
        {
            _status.RecordRequest("network");
            return (ErrorReasons.Other, "network", $"no response: {response.ErrorException?.Message ?? response.ResponseStatus.ToString()}", null);
        }

        var status = (int)response.StatusCode;
        _status.RecordRequest(status.ToString(CultureInfo.InvariantCulture));
        var limits = RateLimitHeaders.Read(Headers(response), now);
        if (limits.Remaining is { } remaining)
        {
            _status.RecordRateLimitRemaining(remaining);
        }

        // Freshdesk charges embeds as extra credits and says so; they count against the budgets like requests.
        for (var extra = 1; extra < limits.CreditsUsed; extra++)
        {
            Account.RecordSent(now);
            endpoint?.RecordSent(now);
        }

        if (limits.PauseFor is { } pause && status != 429)
        {
            Log.BudgetExhausted(_logger, _settings.Source, pause.TotalSeconds);
            Account.PauseUntil(now + pause);
        }

        if (status is >= 200 and < 300)
        {
            return null;
        }

        var code = status.ToString(CultureInfo.InvariantCulture);
        if (status == (int)HttpStatusCode.TooManyRequests)
        {
            var wait = limits.RetryAfter ?? limits.PauseFor ?? RateLimitHeaders.DefaultReset;
            (endpoint ?? Account).PauseUntil(now + wait);
            return (ErrorReasons.RateLimited, code, $"HTTP 429, rate limited (wait {wait.TotalSeconds:F0} s)", wait);
        }

        if (status >= 500 && _settings.IsRateLimitedBody?.Invoke(response.Content) != true)
        {
            return (ErrorReasons.Http5xx, code, $"HTTP {status}", limits.RetryAfter);
        }

        if (status is (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden)
        {
            Log.AuthRefused(_logger, _settings.Source, status, what, _settings.Credential.Hint, _settings.PermissionsHint);
            throw new SourceException(ErrorReasons.Auth, $"{what}: HTTP {status}, the platform refused the credentials; check {_settings.Credential.Hint}");
        }

        if (_settings.IsRateLimitedBody?.Invoke(response.Content) == true)
        {
            var wait = limits.PauseFor ?? limits.RetryAfter ?? _settings.RateLimitedWait ?? RateLimitHeaders.DefaultReset;
            (endpoint ?? Account).PauseUntil(now + wait);
            return (ErrorReasons.RateLimited, code, $"HTTP {status}, the platform says the rate limit is reached (wait {wait.TotalSeconds:F0} s)", wait);
        }

        throw new SourceException(ErrorReasons.Other, $"{what}: HTTP {status}{Excerpt(response.Content)}");
    }

    private async Task WaitForBudgetAsync(RequestBudget? endpoint, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var (budget, slot) = (Account, Account.NextSlot(now));
        if (endpoint?.NextSlot(now) is { } endpointSlot && endpointSlot > slot)
        {
            (budget, slot) = (endpoint, endpointSlot);
        }

        if (slot <= now)
        {
            return;
        }

        if (budget.PausedUntil - now > _settings.MaxServerWait)
        {
            throw new SourceException(ErrorReasons.RateLimited, $"the platform paused this source's requests until {budget.PausedUntil:u}; polls resume then");
        }

        Log.Pacing(_logger, _settings.Source, (slot - now).TotalSeconds, budget.Name, budget.RequestsPerMinute, budget.ConfigurationKey);
        await DelayUntilAsync(slot, cancellationToken);
    }

    /// <summary>Waits until an absolute instant, so a clock that moved between deciding and waiting shortens the wait.</summary>
    private async Task DelayUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        var remaining = until - _time.GetUtcNow();
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, _time, cancellationToken);
        }
    }

    private TimeSpan NextBackoff(int retry)
    {
        double random;
        lock (_jitterGate)
        {
            random = _jitter.NextDouble();
        }

        return Backoff.Delay(retry, _settings.BackoffBase, _settings.BackoffMax, random);
    }

    private static IEnumerable<KeyValuePair<string, string?>> Headers(RestResponse response) =>
        (response.Headers ?? []).Concat(response.ContentHeaders ?? []).Select(h => new KeyValuePair<string, string?>(h.Name, h.Value));

    /// <summary>A short, single-line excerpt of an error body (platforms explain 4xx there); never request data.</summary>
    private static string Excerpt(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "";
        }

        var line = string.Join(' ', body.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return ": " + (line.Length > 200 ? line[..200] + "…" : line);
    }
}
