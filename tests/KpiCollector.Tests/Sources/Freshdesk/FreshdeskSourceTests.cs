using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Freshdesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Freshdesk.FreshdeskFixtures;

namespace KpiCollector.Tests.Sources.Freshdesk;

/// <summary>The Freshdesk connector against documented response shapes served by WireMock on loopback.</summary>
public sealed class FreshdeskSourceTests : IDisposable
{
    private const string Key = "fd-ApiKey-5ecret-42xyz";
    private const string TicketsPath = "/api/v2/tickets";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly LogCapture _logs = new();

    public FreshdeskSourceTests() => On("/api/v2/ticket_fields", Fields());

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Tickets_MapThroughTheAccountsOwnStatusAndSourceCodes()
    {
        var c = T0.AddHours(-5);
        On(TicketsPath, List(
            Ticket(1, 2, 13, c, c.AddMinutes(1), firstResponded: c.AddMinutes(3)),
            Ticket(2, 6, 1, c, c.AddMinutes(2)),
            Ticket(3, 7, 7, c, c.AddMinutes(3)),
            Ticket(4, 4, 15, c, c.AddMinutes(4), firstResponded: c.AddMinutes(5), resolved: c.AddHours(2), reopened: c.AddHours(1)),
            Ticket(5, 5, 3, c, c.AddMinutes(5), resolved: c.AddHours(1), closed: c.AddHours(3)),
            Ticket(6, 3, 999, c, c.AddMinutes(6)),
            Ticket(7, 12, 101, c, c.AddMinutes(7))));
        using var source = Source(f => f.SourceChannels["101"] = "sms");

        var t = (await Drain(source, null)).SelectMany(b => b.Conversations).ToDictionary(x => x.ExternalId);

        Assert.Equal((Channels.WhatsApp, ConversationStatus.Open, c.AddMinutes(3), ResponderKind.Human), (t["1"].Channel, t["1"].Status, t["1"].FirstResponseAt, t["1"].FirstResponderKind));
        Assert.Equal((Channels.Email, ConversationStatus.Pending), (t["2"].Channel, t["2"].Status)); // custom 6 "Waiting on Customer"
        Assert.Equal((Channels.Chat, ConversationStatus.OnHold), (t["3"].Channel, t["3"].Status)); // custom 7 "Waiting on Third Party"
        Assert.Equal((Channels.Chat, ConversationStatus.Solved, c.AddHours(2), 1), (t["4"].Channel, t["4"].Status, t["4"].ResolvedAt, t["4"].Reopens)); // 15 "Web Chat"
        Assert.Equal((Channels.Phone, ConversationStatus.Closed, c.AddHours(1), c.AddHours(3), 0), (t["5"].Channel, t["5"].Status, t["5"].ResolvedAt, t["5"].ClosedAt, t["5"].Reopens));
        Assert.Equal((Channels.Other, ConversationStatus.Pending), (t["6"].Channel, t["6"].Status));
        Assert.Equal((Channels.Sms, ConversationStatus.Open), (t["7"].Channel, t["7"].Status)); // configured source; unknown status 12 counts as open
        Assert.Equal(("high", "Question", "4", "2043036539987", "15"), (t["1"].Priority, t["1"].TicketType, t["1"].Team, t["1"].RequesterId, t["1"].AssigneeId));
        Assert.Contains(_logs.Entries, e => e.Message.Contains("ticket source code 999 is not in the account's ticket fields", StringComparison.Ordinal)
            && e.Message.Contains("KpiCollector:Sources:0:Freshdesk:SourceChannels:999", StringComparison.Ordinal));
        Assert.Contains(_logs.Entries, e => e.Message.Contains("WhatsApp source codes: 13", StringComparison.Ordinal));
        Assert.Equal(2, _platform.Count("/api/v2/ticket_fields")); // read at start, and once more for the unknown codes
    }

    [Fact]
    public async Task FullPages_SlideUpdatedSinceForward_InsteadOfPaging()
    {
        var t1 = T0.AddHours(-3);
        var t2 = T0.AddHours(-2);
        var t3 = T0.AddHours(-1);
        OnTickets(Backfill(T0) - TimeSpan.FromSeconds(1), 1, List(Ticket(1, 2, 1, t1, t1), Ticket(2, 2, 1, t2, t2)));
        OnTickets(t2 - TimeSpan.FromSeconds(1), 1, List(Ticket(2, 2, 1, t2, t2), Ticket(3, 2, 1, t3, t3)));
        OnTickets(t3 - TimeSpan.FromSeconds(1), 1, List(Ticket(3, 2, 1, t3, t3)));
        using var source = Source(f => f.PerPage = 2);

        var batches = await Drain(source, null);

        Assert.Equal(["1", "2", "2", "3", "3"], batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId));
        Assert.All(_platform.Requests(TicketsPath), r =>
        {
            var q = r.RequestMessage!.Query!;
            Assert.Equal(("updated_at", "asc", "stats", "2", "1"), (q["order_by"].Single(), q["order_type"].Single(), q["include"].Single(), q["per_page"].Single(), q["page"].Single()));
        });
        Assert.Equal(T0 - FreshdeskSource.ListLag, batches[2].Watermark);
        Assert.Null(batches[0].Watermark);
    }

    [Fact]
    public async Task ABlockOfTicketsUpdatedInOneSecond_IsPagedThrough_ThenTheWindowSlides()
    {
        var s = T0.AddHours(-2);
        var after = T0.AddHours(-1);
        OnTickets(Backfill(T0) - TimeSpan.FromSeconds(1), 1, List(Ticket(1, 2, 1, s, s), Ticket(2, 2, 1, s, s)));
        OnTickets(s - TimeSpan.FromSeconds(1), 1, List(Ticket(1, 2, 1, s, s), Ticket(2, 2, 1, s, s)));
        OnTickets(s - TimeSpan.FromSeconds(1), 2, List(Ticket(3, 2, 1, s, s), Ticket(4, 2, 1, s, s)));
        OnTickets(s - TimeSpan.FromSeconds(1), 3, List(Ticket(5, 2, 1, s, s), Ticket(6, 2, 1, after, after)));
        OnTickets(after - TimeSpan.FromSeconds(1), 1, List(Ticket(6, 2, 1, after, after)));
        using var source = Source(f => f.PerPage = 2);

        var delivered = (await Drain(source, null)).SelectMany(b => b.Conversations).Select(c => c.ExternalId).Distinct().Order();

        Assert.Equal(["1", "2", "3", "4", "5", "6"], delivered);
        Assert.Equal(["1", "1", "2", "3", "1"], _platform.Requests(TicketsPath).Select(r => r.RequestMessage!.Query!["page"].Single()));
    }

    [Fact]
    public async Task NeverAsksPastPage300_FailingClearlyInstead()
    {
        var s = T0.AddHours(-2);
        OnTickets(s - TimeSpan.FromSeconds(1), 300, List(Ticket(1, 2, 1, s, s), Ticket(2, 2, 1, s, s)));
        using var source = Source(f => f.PerPage = 2);
        var cursor = $$"""fd1:{"since":{{s.ToUnixTimeSeconds()}},"page":300,"ratings_since":{{s.ToUnixTimeSeconds()}},"watermark":null}""";

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, cursor));

        Assert.Equal(ErrorReasons.Other, ex.Reason);
        Assert.Contains("cannot page past 300", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_platform.Requests(TicketsPath), r => r.RequestMessage!.Query!["page"].Single() == "301");
    }

    [Fact]
    public async Task Ratings_AreCsatOnTheMinus103To103Scale_WithTheTicketsChannel()
    {
        var c = T0.AddHours(-5);
        On(TicketsPath, List(Ticket(1, 4, 13, c, c.AddHours(1))));
        On("/api/v2/surveys/satisfaction_ratings", new System.Text.Json.Nodes.JsonArray(
            Rating(91, 1, 103, c.AddHours(2)), Rating(92, 2, -102, c.AddHours(3)), Rating(93, 3, null, c.AddHours(3)), Rating(94, 4, 100, c.AddHours(3))).ToJsonString());
        On("/api/v2/tickets/2", Ticket(2, 5, 3, c, c).ToJsonString());
        _platform.Server.Given(Request.Create().WithPath("/api/v2/tickets/4").UsingGet()).RespondWith(FakePlatform.Json("""{"code":"access_denied"}""", 404));
        using var source = Source(f => f.Csat = true);

        var surveys = (await Drain(source, null)).SelectMany(b => b.Surveys).ToList();

        Assert.Equal([("91", 103.0, Channels.WhatsApp), ("92", -102.0, Channels.Phone), ("94", 100.0, Channels.Other)], surveys.Select(s => (s.ExternalId, s.Score, s.Channel)));
        Assert.All(surveys, s => Assert.Equal((SurveyKind.Csat, -103.0, 103.0), (s.Kind, s.ScaleMin, s.ScaleMax)));
        Assert.Equal(1, _platform.Count("/api/v2/tickets/2")); // ticket 1 was known from the list; 3 has no default question
    }

    [Fact]
    public async Task TheApiKeyIsSentAsBasicKeyColonX_AndARefusedKeyNamesItsConfigurationKey()
    {
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).UsingGet())
            .RespondWith(FakePlatform.Json("""{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}""", 401));
        using var source = Source();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));

        var header = _platform.Requests("/api/v2/ticket_fields").First().RequestMessage!.Headers!["Authorization"].Single();
        Assert.Equal($"{Key}:X", Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])));
        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Contains("KpiCollector:Sources:0:ApiToken (environment variable KPICOLLECTOR__SOURCES__0__APITOKEN), a Freshdesk API key", Assert.Single(_logs.Entries, e => e.Level == LogLevel.Error).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, _logs.AllText + ex, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreditsReportedPerRequest_CountAgainstTheTicketsBudget()
    {
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).UsingGet())
            .RespondWith(FakePlatform.Json(List(Ticket(1, 2, 1, T0.AddHours(-1), T0.AddHours(-1)))).WithHeader("X-RateLimit-Used-CurrentRequest", "3"));
        using var source = Source(f => f.TicketsRequestsPerMinute = 3);

        var first = await Drain(source, null);
        var second = Drain(source, first[^1].Cursor);

        var line = await _logs.WaitForAsync(e => e.Message.Contains("pacing", StringComparison.Ordinal), "the tickets budget's pacing");
        Assert.Contains("for the tickets list budget (3 requests a minute", line.Message, StringComparison.Ordinal); // the first request used all 3 credits
        Assert.Equal(1, _platform.Count(TicketsPath));
        var pacing = await _clock.WaitForTimerAsync(TimeSpan.FromMinutes(1)); // the line comes before the delay is registered
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(pacing.HasFired);
        await second.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static DateTimeOffset Backfill(DateTimeOffset now) => now - TimeSpan.FromDays(2);

    private FreshdeskSource Source(Action<FreshdeskSettings>? adjust = null)
    {
        var settings = new FreshdeskSettings { TicketsRequestsPerMinute = 1000, Csat = false };
        adjust?.Invoke(settings);
        return new FreshdeskSource(new SourceOptions
        {
            Name = "fd",
            Platform = FreshdeskPlatform.Id,
            BaseUrl = _platform.Url.ToString(),
            ApiToken = Key,
            Backfill = "2d",
            Timeout = "5s",
            MaxRetries = 0,
            Settings = settings,
        }, 0, _clock, _logs.For<FreshdeskSource>(), new Random(5));
    }

    private void On(string path, string body) =>
        _platform.Server.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(FakePlatform.Json(body));

    private void OnTickets(DateTimeOffset updatedSince, int page, string body) =>
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).WithParam("updated_since", Iso(updatedSince)!).WithParam("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)).UsingGet())
            .RespondWith(FakePlatform.Json(body));

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
