using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.WhatsApp;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>The WhatsApp connector's analytics polling against Graph-shaped bodies (docs/sources.md, "WhatsApp Cloud API facts") served by WireMock.</summary>
public sealed class WhatsAppAnalyticsTests : IDisposable
{
    private const string Token = "EAAG-system-user-T0ken-9f";
    private const string Waba = "102290129340398";
    private const string Node = "/v23.0/" + Waba;
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 15, 0, 0, TimeSpan.Zero);
    private static readonly long Today = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
    private static readonly long Yesterday = Today - 86_400;
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly LogCapture _logs = new();

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task PricingAndConversationAnalytics_BecomeUsageAndCost_FromTheDataWrapper_WithDailyGranularity()
    {
        Serve("pricing_analytics", $$"""
            {"currency":"USD","pricing_analytics":{"data":[{"data_points":[
              {"start":{{Yesterday}},"end":{{Today}},"pricing_category":"UTILITY","pricing_type":"REGULAR","volume":40,"cost":1.6},
              {"start":{{Yesterday}},"end":{{Today}},"pricing_category":"SERVICE","pricing_type":"FREE_CUSTOMER_SERVICE","volume":300,"cost":0},
              {"start":{{Today}},"end":{{Today + 86_400}},"pricing_category":"MARKETING_LITE","pricing_type":"REGULAR","volume":10,"cost":0.5}]}]},"id":"{{Waba}}"}
            """);
        Serve("conversation_analytics", $$"""
            {"conversation_analytics":{"data":[{"data_points":[
              {"start":{{Yesterday}},"end":{{Today}},"conversation":55,"cost":2.2,"conversation_category":"SERVICE","conversation_direction":"USER_INITIATED"},
              {"start":{{Yesterday}},"end":{{Today}},"conversation":5,"cost":0.3,"conversation_category":"MARKETING","conversation_direction":"BUSINESS_INITIATED"}]}]},"id":"{{Waba}}"}
            """);
        using var source = Source();

        var batches = await Drain(source, null);

        var usage = batches.SelectMany(b => b.Usage).ToDictionary(u => (u.Category, u.Messages is null ? "conversations" : "messages"));
        Assert.Equal(40, usage[("utility", "messages")].Messages);
        Assert.Equal((1.6m, "USD"), (usage[("utility", "messages")].Cost, usage[("utility", "messages")].Currency));
        Assert.Equal("marketing_lite", usage[("marketing_lite", "messages")].Category); // an enum member the code never heard of
        Assert.Equal(Now, usage[("marketing_lite", "messages")].To); // today's point counts up to now, not to midnight
        Assert.Equal((55L, "user_initiated"), (usage[("service", "conversations")].Conversations!.Value, usage[("service", "conversations")].Direction));
        Assert.Null(usage[("service", "conversations")].Cost); // cost comes from pricing analytics: not counted twice
        var costs = batches.SelectMany(b => b.Costs).ToList();
        Assert.Equal(2.1m, costs.Sum(c => c.Amount));
        Assert.All(costs, c => Assert.Equal((CostCategories.Platform, "USD"), (c.Category, c.Currency)));
        var fields = _platform.Requests(Node).Select(r => r.RequestMessage!.Query!["fields"].Single()).ToList();
        Assert.Equal(2, fields.Count);
        Assert.All(fields, f => Assert.Contains(".granularity(DAILY)", f, StringComparison.Ordinal)); // DAILY, never DAY, on these two fields
        Assert.All(_platform.Requests(Node), r => Assert.Equal($"Bearer {Token}", r.RequestMessage!.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task MissingCost_KeepsVolumes_AndMakesNoCostEntries()
    {
        Serve("pricing_analytics", $$"""
            {"currency":"EUR","pricing_analytics":{"data":[{"data_points":[
              {"start":{{Yesterday}},"end":{{Today}},"pricing_category":"UTILITY","pricing_type":"REGULAR","volume":40}]}]},"id":"{{Waba}}"}
            """);
        using var source = Source(conversations: false);

        var batches = await Drain(source, null);

        var point = Assert.Single(batches.SelectMany(b => b.Usage));
        Assert.Equal((40L, (decimal?)null), (point.Messages!.Value, point.Cost));
        Assert.Empty(batches.SelectMany(b => b.Costs));
        Assert.Contains(_logs.Entries, e => e.Message.Contains("reports no cost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAccountWithoutConversationAnalytics_StillPolls_AndStopsAsking()
    {
        Serve("pricing_analytics", $$"""{"currency":"USD","pricing_analytics":{"data":[]},"id":"{{Waba}}"}""");
        Serve("conversation_analytics", """{"error":{"message":"(#100) Tried accessing nonexisting field (conversation_analytics)","type":"OAuthException","code":100,"fbtrace_id":"A1"}}""", 400);
        using var source = Source();

        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(16));
        await Drain(source, first[^1].Cursor);

        Assert.Equal(1, _platform.Requests(Node).Count(r => r.RequestMessage!.Query!["fields"].Single().Contains("conversation_analytics", StringComparison.Ordinal)));
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("does not offer conversation_analytics (Graph error 100)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GraphRateLimitCodes_InA400_AreRateLimited_AndRetriedAfterTheWait()
    {
        _platform.Sequence(Node,
            FakePlatform.Json("""{"error":{"message":"(#80007) Rate limit issues","type":"OAuthException","code":80007,"fbtrace_id":"B2"}}""", 400),
            FakePlatform.Json($$"""{"currency":"USD","pricing_analytics":{"data":[]},"id":"{{Waba}}"}"""));
        using var source = Source(conversations: false, retries: 0);

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));

        Assert.Equal(ErrorReasons.RateLimited, ex.Reason);
        Assert.Equal(1, source.Status.RequestsByCode["400"]);
    }

    [Fact]
    public async Task AnExpiredToken_IsAuth_NamingTheKey_NeverTheToken()
    {
        _platform.Sequence(Node, FakePlatform.Json("""{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}""", 401));
        using var source = Source();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Contains("KpiCollector:Sources:0:ApiToken", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, _logs.AllText + ex, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedPage_FailsWithParse_AndTheCursorStaysPut()
    {
        Serve("pricing_analytics", $$$"""{"currency":"USD","pricing_analytics":{"data":[{"data_points":[{"start":"yesterday","end":{{{Today}}},"volume":3}]}]}}""");
        using var source = Source(conversations: false);
        var cursor = new WhatsAppCursor { AnalyticsFrom = Yesterday }.Format();

        var batches = new List<SourceBatch>();
        var ex = await Assert.ThrowsAsync<SourceException>(async () =>
        {
            await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
            {
                batches.Add(b);
            }
        });

        Assert.Equal(ErrorReasons.Parse, ex.Reason);
        Assert.Empty(batches); // nothing yielded: the saved cursor is still the old one
    }

    [Fact]
    public async Task TheFirstRead_ReachesAtMostOneYearBack_AndLaterReadsReReadTwoDays()
    {
        Serve("pricing_analytics", $$"""{"currency":"USD","pricing_analytics":{"data":[]},"id":"{{Waba}}"}""");
        using var source = Source(conversations: false, backfill: "800d");

        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(15));
        var second = await Drain(source, first[^1].Cursor);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var third = await Drain(source, second[^1].Cursor); // before AnalyticsInterval: no request

        var starts = _platform.Requests(Node).Select(r => Start(r.RequestMessage!.Query!["fields"].Single())).ToList();
        Assert.Equal(2, starts.Count);
        Assert.True(Now - starts[0] <= TimeSpan.FromDays(365), $"first start {starts[0]:u} is more than a year back");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(Today).AddDays(-2), starts[1]);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("one year WhatsApp analytics keep", StringComparison.Ordinal));
        Assert.Empty(third);
    }

    [Fact]
    public async Task WhileMetaPausesTheWaba_TheAnalyticsWait_ForTheFirstPollAfterThePause_AndThePollsSucceed()
    {
        // Meta says access returns in 30 minutes: longer than the analytics interval (15 minutes) and than a poll waits.
        const string blocked = $$"""{"{{Waba}}":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":3,"total_time":3,"estimated_time_to_regain_access":30}]}""";
        _platform.Server.Given(Request.Create().WithPath(Node).UsingGet())
            .RespondWith(FakePlatform.Json($$"""{"currency":"USD","pricing_analytics":{"data":[]},"id":"{{Waba}}"}""").WithHeader("x-business-use-case-usage", blocked));
        using var source = Source(conversations: false);

        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(15)); // analytics due, the pause not over
        var paused = await Drain(source, first[^1].Cursor);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var stillPaused = await Drain(source, first[^1].Cursor);
        _clock.Advance(TimeSpan.FromMinutes(11)); // past the pause
        var after = await Drain(source, first[^1].Cursor);

        Assert.Empty(paused); // no failure, and no request while paused
        Assert.Empty(stillPaused);
        Assert.Single(after); // the analytics read at the first poll after the pause
        Assert.Equal(2, _platform.Requests(Node).Count());
        Assert.Single(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("rate limit pauses this WABA's API calls until 2026-11-20 15:30:00Z", StringComparison.Ordinal));
    }

    private static DateTimeOffset Start(string fields)
    {
        var at = fields.IndexOf(".start(", StringComparison.Ordinal) + 7;
        return DateTimeOffset.FromUnixTimeSeconds(long.Parse(fields[at..fields.IndexOf(')', at)], CultureInfo.InvariantCulture));
    }

    private void Serve(string field, string body, int status = 200) =>
        _platform.Server.Given(Request.Create().WithPath(Node).UsingGet().WithParam("fields", new WireMock.Matchers.WildcardMatcher($"*{field}*")))
            .RespondWith(FakePlatform.Json(body, status));

    private WhatsAppSource Source(bool conversations = true, int retries = 0, string backfill = "7d") => new(new SourceOptions
    {
        Name = "wa",
        Platform = WhatsAppPlatform.Id,
        BaseUrl = _platform.Url.ToString(),
        ApiToken = Token,
        Backfill = backfill,
        Timeout = "5s",
        MaxRetries = retries,
        RequestsPerMinute = 1000,
        Settings = new WhatsAppSettings { WabaId = Waba, ConversationAnalytics = conversations },
    }, 0, null, _clock, _logs.For<WhatsAppSource>(), new Random(1));

    private static async Task<List<SourceBatch>> Drain(ISource source, string? cursor)
    {
        var batches = new List<SourceBatch>();
        await foreach (var b in source.PollAsync(cursor, CancellationToken.None))
        {
            batches.Add(b);
        }

        return batches;
    }
}
