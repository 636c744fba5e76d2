using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KpiCollector.Sources;
using KpiCollector.Sources.Http;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using RestSharp;
using WireMock.ResponseBuilders;

namespace KpiCollector.Tests.Sources.Http;

/// <summary>
/// The single owner of retries, against a WireMock platform on loopback. Waits run on a fake clock: a test sees the
/// client announce a wait, moves the clock to just before its end (nothing may happen), then past it (the retry
/// must come). Only request timeouts run on real time, as they guard a real socket.
/// </summary>
public sealed partial class SourceHttpClientTests : IDisposable
{
    private const string Secret = "zd-s3cr3t-Token-9f8e7d";
    private const string Path = "/api/v2/things.json";
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(Records.T0);
    private readonly LogCapture _logs = new();
    private readonly SourceStatus _status = new("acme", "zendesk");

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task RateLimited_WaitsExactlyTheRetryAfter_ThenRetries()
    {
        _platform.Sequence(Path, FakePlatform.Status(429).WithHeader("Retry-After", "7"), FakePlatform.Json("{}"));
        using var client = Client();

        var send = client.SendAsync(Get(), null, CancellationToken.None);
        var announced = await _logs.WaitForAsync(e => e.Message.Contains("retry 1 of", StringComparison.Ordinal), "the announced retry");
        Assert.Contains("in 7.0 s (as the platform asked)", announced.Message, StringComparison.Ordinal);

        await AssertNoRequestAfter(TimeSpan.FromSeconds(6.9), TimeSpan.FromSeconds(7), expected: 1);
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        var response = await send.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(2, _platform.Count(Path));
        Assert.Equal(1, _status.RequestsByCode["429"]);
        Assert.Equal(1, _status.RequestsByCode["200"]);
    }

    [Fact]
    public async Task ServerErrors_BackOffExponentiallyWithJitter_ThenSucceed()
    {
        _platform.Sequence(Path, FakePlatform.Status(500), FakePlatform.Status(503), FakePlatform.Status(502), FakePlatform.Json("{}"));
        using var client = Client(s => s with { BackoffBase = TimeSpan.FromSeconds(2), BackoffMax = TimeSpan.FromMinutes(1) });

        var send = client.SendAsync(Get(), null, CancellationToken.None);
        for (var retry = 1; retry <= 3; retry++)
        {
            var line = await _logs.WaitForAsync(e => e.Message.Contains($"retry {retry} of 4", StringComparison.Ordinal), $"retry {retry}");
            var delay = TimeSpan.FromSeconds(double.Parse(DelayIn().Match(line.Message).Groups[1].Value, CultureInfo.InvariantCulture));
            var cap = TimeSpan.FromSeconds(2 * Math.Pow(2, retry - 1));
            Assert.InRange(delay, cap / 2, cap); // equal jitter: between half the cap and the cap, the cap doubling

            await AssertNoRequestAfter(delay - TimeSpan.FromSeconds(0.1), delay, expected: retry);
            _clock.Advance(TimeSpan.FromSeconds(0.2));
            await WaitForRequests(retry + 1);
        }

        Assert.Equal(200, (int)(await send.WaitAsync(TimeSpan.FromSeconds(20))).StatusCode);
        Assert.Equal(1, _status.RequestsByCode["500"]);
        Assert.Equal(1, _status.RequestsByCode["503"]);
    }

    [Fact]
    public async Task ServerErrors_GiveUpAfterMaxRetries_WithReasonHttp5xx()
    {
        _platform.Sequence(Path, FakePlatform.Status(500));
        using var client = Client(s => s with { MaxRetries = 2 });

        var ex = await Assert.ThrowsAsync<SourceException>(() => DriveClock(client.SendAsync(Get(), null, CancellationToken.None)));

        Assert.Equal(ErrorReasons.Http5xx, ex.Reason);
        Assert.Equal(3, _platform.Count(Path));
        Assert.Contains("gave up after 3 attempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimitedOnEveryTry_FailsWithReasonRateLimited()
    {
        _platform.Sequence(Path, FakePlatform.Status(429).WithHeader("Retry-After", "3"));
        using var client = Client(s => s with { MaxRetries = 1 });

        var ex = await Assert.ThrowsAsync<SourceException>(() => DriveClock(client.SendAsync(Get(), null, CancellationToken.None)));

        Assert.Equal(ErrorReasons.RateLimited, ex.Reason);
        Assert.Equal(2, _platform.Count(Path));
    }

    [Fact]
    public async Task RetryAfterLongerThanAPollWaits_FailsAtOnce_AndLaterPollsFailFastUntilItPassed()
    {
        _platform.Sequence(Path, FakePlatform.Status(429).WithHeader("Retry-After", "3600"), FakePlatform.Json("{}"));
        using var client = Client();

        var first = await Assert.ThrowsAsync<SourceException>(() => client.SendAsync(Get(), null, CancellationToken.None));
        _clock.Advance(TimeSpan.FromMinutes(10));
        var second = await Assert.ThrowsAsync<SourceException>(() => client.SendAsync(Get(), null, CancellationToken.None));

        Assert.Equal(ErrorReasons.RateLimited, first.Reason);
        Assert.Equal(ErrorReasons.RateLimited, second.Reason);
        Assert.Equal(1, _platform.Count(Path)); // the second poll did not knock on the door again
        _clock.Advance(TimeSpan.FromMinutes(51));
        Assert.Equal(200, (int)(await client.SendAsync(Get(), null, CancellationToken.None)).StatusCode);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task RefusedCredentials_FailWithReasonAuth_AtOnce_NamingTheKeyNeverTheSecret(int status)
    {
        _platform.Sequence(Path, FakePlatform.Json("""{"error":"Couldn't authenticate you"}""", status));
        using var client = Client();

        var ex = await Assert.ThrowsAsync<SourceException>(() => client.SendAsync(Get(), null, CancellationToken.None));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Equal(1, _platform.Count(Path)); // a retry cannot fix a credential
        var line = Assert.Single(_logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("Check KpiCollector:Sources:0:ApiToken (environment variable KPICOLLECTOR__SOURCES__0__APITOKEN)", line.Message, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:ApiToken", ex.Message, StringComparison.Ordinal);
        AssertNoSecretIn(ex.ToString());
        AssertNoSecretIn(_logs.AllText);
        Assert.Contains(Secret, DecodedAuthorization()); // the credential did go where it belongs: the header
    }

    [Fact]
    public async Task OtherClientErrors_AreNotRetried_AndCarryTheBodyExcerpt()
    {
        _platform.Sequence(Path, FakePlatform.Json("""{"error":"InvalidPaginationParameter"}""", 400));
        using var client = Client();

        var ex = await Assert.ThrowsAsync<SourceException>(() => client.SendAsync(Get(), null, CancellationToken.None));

        Assert.Equal(ErrorReasons.Other, ex.Reason);
        Assert.Equal(1, _platform.Count(Path));
        Assert.Contains("HTTP 400", ex.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidPaginationParameter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowResponses_TimeOut_AreRetried_AndRecover()
    {
        // The timeout is on the wall clock; it must be far longer than a prompt answer takes on a loaded machine, or
        // the retry's answer times out too (at 300 ms it did, at a load average of 12).
        _platform.Sequence(Path, FakePlatform.Json("{}").WithDelay(TimeSpan.FromSeconds(8)), FakePlatform.Json("{}"));
        using var client = Client(s => s with { Timeout = TimeSpan.FromSeconds(2) });

        var response = await DriveClock(client.SendAsync(Get(), null, CancellationToken.None));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(1, _status.RequestsByCode["timeout"]);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("(timeout: no response within 2 s (KpiCollector:Sources:0:Timeout))", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlowResponsesEveryTime_FailWithReasonTimeout()
    {
        _platform.Sequence(Path, FakePlatform.Json("{}").WithDelay(TimeSpan.FromSeconds(2)));
        using var client = Client(s => s with { Timeout = TimeSpan.FromMilliseconds(200), MaxRetries = 1 });

        var ex = await Assert.ThrowsAsync<SourceException>(() => DriveClock(client.SendAsync(Get(), null, CancellationToken.None)));

        Assert.Equal(ErrorReasons.Timeout, ex.Reason);
        Assert.Equal(2, _status.RequestsByCode["timeout"]);
    }

    [Fact]
    public async Task Pacing_KeepsToTheBudget_InAnySixtySeconds()
    {
        _platform.Sequence(Path, FakePlatform.Json("{}"));
        using var client = Client(s => s with { RequestsPerMinute = 3 });

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Get(), null, CancellationToken.None); // within budget: no wait at all
        }

        var fourth = client.SendAsync(Get(), null, CancellationToken.None);
        var line = await _logs.WaitForAsync(e => e.Message.Contains("pacing", StringComparison.Ordinal), "the pacing wait");
        Assert.Contains("waiting 60.0 s for the account budget (3 requests a minute, KpiCollector:Sources:0:RequestsPerMinute)", line.Message, StringComparison.Ordinal);
        await AssertNoRequestAfter(TimeSpan.FromSeconds(59.9), TimeSpan.FromSeconds(60), expected: 3);
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        await fourth.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(4, _platform.Count(Path));
    }

    [Fact]
    public async Task EndpointBudget_PacesBelowTheAccountBudget()
    {
        _platform.Sequence(Path, FakePlatform.Json("{}"));
        using var client = Client(s => s with { RequestsPerMinute = 100 });
        var export = new RequestBudget("incremental export", 2, "KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute");

        await client.SendAsync(Get(), export, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(10));
        await client.SendAsync(Get(), export, CancellationToken.None);
        var third = client.SendAsync(Get(), export, CancellationToken.None);

        var line = await _logs.WaitForAsync(e => e.Message.Contains("pacing", StringComparison.Ordinal), "the pacing wait");
        Assert.Contains("waiting 50.0 s for the incremental export budget", line.Message, StringComparison.Ordinal);
        await AssertNoRequestAfter(TimeSpan.FromSeconds(49.9), TimeSpan.FromSeconds(50), expected: 2);
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        await third.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task BudgetHeaders_AreRecorded_AndAnExhaustedBudgetPausesUntilItsReset()
    {
        _platform.Sequence(
            Path,
            FakePlatform.Json("{}").WithHeader("X-Rate-Limit-Remaining", "42"),
            FakePlatform.Json("{}").WithHeader("X-RateLimit-Remaining", "0").WithHeader("ratelimit-reset", "30"),
            FakePlatform.Json("{}").WithHeader("X-RateLimit-Remaining", "199"));
        using var client = Client();

        await client.SendAsync(Get(), null, CancellationToken.None);
        Assert.Equal(42, _status.RateLimitRemaining);
        await client.SendAsync(Get(), null, CancellationToken.None);
        Assert.Equal(0, _status.RateLimitRemaining);

        var third = client.SendAsync(Get(), null, CancellationToken.None);
        await _logs.WaitForAsync(e => e.Message.Contains("pacing: waiting 30.0 s", StringComparison.Ordinal), "the pause until the reset");
        await AssertNoRequestAfter(TimeSpan.FromSeconds(29.9), TimeSpan.FromSeconds(30), expected: 2);
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        await third.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(199, _status.RateLimitRemaining);
    }

    [Fact]
    public async Task Shutdown_CancelsARequestInFlight_AsCancellationNotAnError()
    {
        // A server that accepts the connection and never answers: the request is certainly in flight when cancelled.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = silent.AcceptTcpClientAsync();
        using var client = Client(s => s with { BaseUrl = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}") });
        using var shutdown = new CancellationTokenSource();

        var send = client.SendAsync(Get(), null, shutdown.Token);
        using var connection = await accepted.WaitAsync(TimeSpan.FromSeconds(20));
        await shutdown.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(shutdown.Token, ex.CancellationToken);
        Assert.Empty(_status.RequestsByCode); // not counted as a timeout nor as a network error
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Shutdown_CancelsABackOffWait()
    {
        _platform.Sequence(Path, FakePlatform.Status(503));
        using var client = Client();
        using var shutdown = new CancellationTokenSource();

        var send = client.SendAsync(Get(), null, shutdown.Token);
        await _logs.WaitForAsync(e => e.Message.Contains("retry 1 of", StringComparison.Ordinal), "the back-off wait");
        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _platform.Count(Path));
    }

    [Fact]
    public async Task UnreachablePlatform_IsRetried_ThenFailsWithReasonOther()
    {
        var closedPort = FakePlatform.FreePort();
        using var client = Client(s => s with { BaseUrl = new Uri($"http://127.0.0.1:{closedPort}"), MaxRetries = 1 });

        var ex = await Assert.ThrowsAsync<SourceException>(() => DriveClock(client.SendAsync(Get(), null, CancellationToken.None)));

        Assert.Equal(ErrorReasons.Other, ex.Reason);
        Assert.Equal(2, _status.RequestsByCode["network"]);
    }

    private SourceHttpClient Client(Func<HttpSourceSettings, HttpSourceSettings>? adjust = null)
    {
        var settings = new HttpSourceSettings
        {
            Source = "acme",
            ConfigurationKey = "KpiCollector:Sources:0",
            BaseUrl = _platform.Url,
            Credential = SourceCredential.Basic("ops@acme.test/token", Secret, "KpiCollector:Sources:0:ApiToken (environment variable KPICOLLECTOR__SOURCES__0__APITOKEN)"),
            PermissionsHint = "The token's user must be an admin.",
            Timeout = TimeSpan.FromSeconds(10),
            RequestsPerMinute = 600,
        };
        return new SourceHttpClient(adjust?.Invoke(settings) ?? settings, _status, _clock, _logs.CreateLogger("http"), new Random(7));
    }

    private static RestRequest Get() => new(Path.TrimStart('/'));

    /// <summary>
    /// Waits for the client's delay of <paramref name="wait"/> to be registered (it is logged first), then moves the
    /// clock to just before it ends: the delay has not fired (FakeTimeProvider fires due timers inside Advance, so
    /// this is decided, not raced) and the request count has not changed.
    /// </summary>
    private async Task AssertNoRequestAfter(TimeSpan advance, TimeSpan wait, int expected)
    {
        var delay = await _clock.WaitForTimerAsync(wait);
        _clock.Advance(advance);
        Assert.False(delay.HasFired, $"the {wait} wait ended after {advance}");
        Assert.Equal(expected, _platform.Count(Path));
    }

    private Task WaitForRequests(int count) =>
        CollectorHost.WaitUntilAsync(() => Task.FromResult(_platform.Count(Path) >= count), TimeSpan.FromSeconds(20), $"{count} requests");

    /// <summary>Runs a send to its end, moving the fake clock a second at a time so every wait passes.</summary>
    private async Task<T> DriveClock<T>(Task<T> task)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        return await task;
    }

    private string DecodedAuthorization()
    {
        var header = _platform.Requests(Path).First().RequestMessage!.Headers!["Authorization"].Single();
        return Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
    }

    private static void AssertNoSecretIn(string text)
    {
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"ops@acme.test/token:{Secret}")), text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@" in ([0-9.]+) s \(")]
    private static partial Regex DelayIn();
}
