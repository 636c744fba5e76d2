using KpiCollector.Configuration;
using KpiCollector.Sources.Http;
using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Sources.Http;

/// <summary>The pieces of the HTTP client's budget keeping: header parsing, the sliding window, back-off bounds, schedule checks.</summary>
public sealed class RateLimitTests
{
    private static readonly DateTimeOffset Now = Records.T0;

    [Theory]
    [InlineData("7", 7)]
    [InlineData(" 120 ", 120)]
    [InlineData("Mon, 02 Nov 2026 09:00:30 GMT", 30)]
    [InlineData("Mon, 02 Nov 2026 08:00:00 GMT", 0)] // a date in the past: go now
    public void RetryAfter_InSecondsOrAsAnHttpDate(string header, double seconds)
    {
        var info = RateLimitHeaders.Read([new("Retry-After", header)], Now);

        Assert.Equal(TimeSpan.FromSeconds(seconds), info.RetryAfter);
    }

    [Fact]
    public void UnreadableHeaders_AreIgnored()
    {
        var info = RateLimitHeaders.Read([new("Retry-After", "soon"), new("X-Rate-Limit-Remaining", "lots"), new("x-business-use-case-usage", "{not json")], Now);

        Assert.Equal(new RateLimitInfo(null, null, null), info);
    }

    [Theory]
    [InlineData("X-Rate-Limit-Remaining")] // Zendesk
    [InlineData("x-ratelimit-remaining")] // Freshdesk, any case
    [InlineData("ratelimit-remaining")] // Zendesk's newer header
    public void Remaining_FromEachPlatformsHeader(string name)
    {
        Assert.Equal(17, RateLimitHeaders.Read([new(name, "17")], Now).Remaining);
    }

    [Fact]
    public void ExhaustedBudget_PausesUntilTheReset_OrOneMinuteWithoutOne()
    {
        Assert.Equal(TimeSpan.FromSeconds(41), RateLimitHeaders.Read([new("ratelimit-remaining", "0"), new("ratelimit-reset", "41")], Now).PauseFor);
        Assert.Equal(TimeSpan.FromMinutes(1), RateLimitHeaders.Read([new("X-RateLimit-Remaining", "0")], Now).PauseFor);
        Assert.Null(RateLimitHeaders.Read([new("X-RateLimit-Remaining", "1")], Now).PauseFor);
    }

    [Fact]
    public void MetaBusinessUseCaseUsage_RemainingIsTheShareLeft_AndRegainTimeIsAPause()
    {
        const string usage = """{"102290129340398":[{"type":"whatsapp_business_management","call_count":28,"total_cputime":64,"total_time":30,"estimated_time_to_regain_access":0}]}""";
        const string blocked = """{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":12,"total_time":9,"estimated_time_to_regain_access":7}]}""";

        var ok = RateLimitHeaders.Read([new("x-business-use-case-usage", usage)], Now);
        var exhausted = RateLimitHeaders.Read([new("x-business-use-case-usage", blocked)], Now);

        Assert.Equal(36, ok.Remaining);
        Assert.Null(ok.PauseFor);
        Assert.Equal(0, exhausted.Remaining);
        Assert.Equal(TimeSpan.FromMinutes(7), exhausted.PauseFor);
    }

    [Fact]
    public void RequestBudget_IsASlidingWindow()
    {
        var budget = new RequestBudget("account", 2, "key");

        budget.RecordSent(Now);
        budget.RecordSent(Now.AddSeconds(40));

        Assert.Equal(Now.AddSeconds(60), budget.NextSlot(Now.AddSeconds(41))); // the first leaves the window at 60 s
        Assert.Equal(Now.AddSeconds(61), budget.NextSlot(Now.AddSeconds(61)));
        budget.RecordSent(Now.AddSeconds(61));
        Assert.Equal(Now.AddSeconds(100), budget.NextSlot(Now.AddSeconds(61))); // then the one sent at 40 s, at 100 s
    }

    [Fact]
    public void RequestBudget_PauseOnlyLengthens()
    {
        var budget = new RequestBudget("account", 10, "key");

        budget.PauseUntil(Now.AddSeconds(30));
        budget.PauseUntil(Now.AddSeconds(10));

        Assert.Equal(Now.AddSeconds(30), budget.NextSlot(Now));
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 2, 4)]
    [InlineData(3, 8, 16)]
    [InlineData(10, 30, 60)] // capped at the maximum
    public void Backoff_DoublesUpToTheCap_WithJitterInTheUpperHalf(int retry, double min, double max)
    {
        var first = TimeSpan.FromSeconds(2);
        var cap = TimeSpan.FromSeconds(60);

        Assert.Equal(TimeSpan.FromSeconds(min), Backoff.Delay(retry, first, cap, 0));
        Assert.Equal(TimeSpan.FromSeconds(max), Backoff.Delay(retry, first, cap, 1));
        Assert.InRange(Backoff.Delay(retry, first, cap, 0.5), TimeSpan.FromSeconds(min), TimeSpan.FromSeconds(max));
    }

    [Theory]
    [InlineData("1m", null, 1)]
    [InlineData("5s", null, 12)]
    [InlineData("10m", null, 0.1)]
    [InlineData("1m", "0 */5 * * * ?", 1)]
    [InlineData("1m", "0/10 * * * * ?", 6)]
    [InlineData("1m", "0,1,2 0 * * * ?", 3)] // three polls in one minute once an hour: the busiest minute counts
    public void PollsPerMinute_IsTheBusiestMinuteOfTheSchedule(string interval, string? cron, double expected)
    {
        var source = new SourceOptions { Name = "acme", Interval = interval, Cron = cron };

        Assert.Equal(expected, PollSchedule.PollsPerMinute(source, Now), 3);
    }

    [Fact]
    public void ScheduleThatCannotFitTheBudget_IsWarnedAboutAtStart_NamingTheKey()
    {
        using var logs = new LogCapture();
        var export = new RequestBudget("incremental export", 10, "KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute");
        var fast = new SourceOptions { Name = "acme", Interval = "5s" };
        var calm = new SourceOptions { Name = "acme", Interval = "1m" };

        Assert.False(PollSchedule.WarnIfOverBudget(logs.CreateLogger("x"), calm, PollSchedule.PollsPerMinute(calm, Now), 2, export));
        Assert.True(PollSchedule.WarnIfOverBudget(logs.CreateLogger("x"), fast, PollSchedule.PollsPerMinute(fast, Now), 2, export));

        var line = Assert.Single(logs.Entries).Message;
        Assert.Contains("acme: the schedule (every 5s) allows up to 12 polls a minute, each costing at least 2 request(s) of the incremental export budget: 24 a minute, more than the 10 configured (KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute)", line, StringComparison.Ordinal);
    }
}
