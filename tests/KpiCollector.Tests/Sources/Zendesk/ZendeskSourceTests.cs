using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Zendesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Zendesk.ZendeskFixtures;

namespace KpiCollector.Tests.Sources.Zendesk;

/// <summary>The Zendesk connector against documented response shapes served by WireMock on loopback.</summary>
public sealed class ZendeskSourceTests : IDisposable
{
    private const string Secret = "zd-api-T0ken-5ecret-abc123";
    private const string ExportPath = "/api/v2/incremental/tickets/cursor.json";
    private const string RatingsPath = "/api/v2/satisfaction_ratings.json";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly LogCapture _logs = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task FirstPoll_ReadsEveryExportPageUntilEndOfStream_ThenTheRatings()
    {
        var t1 = Ticket(1, "open", "whatsapp", T0.AddHours(-30), T0.AddHours(-29));
        var t2 = Ticket(2, "solved", "email", T0.AddHours(-20), T0.AddHours(-2));
        var t3 = Ticket(3, "new", "web", T0.AddHours(-3), T0.AddHours(-3));
        var t1Later = Ticket(1, "solved", "whatsapp", T0.AddHours(-30), T0.AddMinutes(-5));
        Export(r => r.WithParam("start_time", (T0 - TimeSpan.FromDays(2)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)), ExportPage([t1, t2], null, "c1", false));
        Export(r => r.WithParam("cursor", "c1"), ExportPage([t3], null, "c2", false));
        Export(r => r.WithParam("cursor", "c2"), ExportPage([t1Later], null, "c3", true));
        Ratings(RatingsPage([Rating(71, 2, "good", T0.AddHours(-1)), Rating(72, 99, "bad", T0.AddMinutes(-30))]));
        _platform.Server.Given(Request.Create().WithPath("/api/v2/tickets/show_many.json").WithParam("ids", "99").UsingGet())
            .RespondWith(FakePlatform.Json(Tickets(Ticket(99, "closed", 4, T0.AddDays(-1), T0.AddHours(-1)))));
        using var source = Source();

        var batches = await Drain(source, null);

        Assert.Equal(4, batches.Count); // three export pages, one ratings page
        Assert.Equal(["1", "2", "3", "1"], batches.SelectMany(b => b.Conversations).Select(c => c.ExternalId));
        Assert.Equal(ConversationStatus.Solved, batches[2].Conversations.Single().Status);
        Assert.Null(batches[0].Watermark); // not complete up to anything until the export reached its end
        Assert.Null(batches[1].Watermark);
        Assert.Equal(T0 - ZendeskSource.ExportLag, batches[2].Watermark); // the export leaves out the last minute
        Assert.Equal(batches[2].Watermark, batches[3].Watermark);
        Assert.All(_platform.Requests(ExportPath), e => Assert.Equal("metric_sets", e.RequestMessage!.Query!["include"].Single()));

        var surveys = batches[3].Surveys;
        Assert.Equal([("71", 1.0, Channels.Email), ("72", 0.0, Channels.Email)], surveys.Select(s => (s.ExternalId, s.Score, s.Channel)));
        Assert.All(surveys, s => Assert.Equal((SurveyKind.Csat, 0.0, 1.0), (s.Kind, s.ScaleMin, s.ScaleMax)));
        Assert.Equal("received", _platform.Requests(RatingsPath).Single().RequestMessage!.Query!["score"].Single());
        Assert.Equal(1, _platform.Count("/api/v2/tickets/show_many.json")); // ticket 2's channel was known from the export
    }

    [Fact]
    public async Task Tickets_MapOntoNormalizedConversations()
    {
        var created = T0.AddHours(-10);
        var tickets = new[]
        {
            Ticket(1, "open", "whatsapp", created, created.AddMinutes(5)),
            Ticket(2, "solved", 4, created, created.AddHours(3)), // via id 4 = mail
            Ticket(3, "hold", "native_messaging", created, created.AddHours(1)),
            Ticket(4, "deleted", "instagram_dm", created, created.AddHours(2)),
            Ticket(5, "closed", "api", created, created.AddHours(9)),
            Ticket(6, "awaiting_parts", "rule", created, created.AddHours(1), customStatusId: 123),
        };
        var metrics = new[]
        {
            MetricSet(1, replyMinutes: 1, replySeconds: 42),
            MetricSet(2, replyMinutes: 30, firstResolutionMinutes: 120, solvedAt: created.AddHours(3), replies: 2, reopens: 1, agentWaitMinutes: 15),
            MetricSet(5, replyMinutes: 3, firstResolutionMinutes: 60, solvedAt: created.AddHours(1)),
        };
        Export(r => r.WithParam("start_time"), ExportPage(tickets, metrics, "c1", true));
        _platform.Server.Given(Request.Create().WithPath("/api/v2/custom_statuses.json").UsingGet()).RespondWith(FakePlatform.Json(
            """{"custom_statuses":[{"id":123,"status_category":"pending","agent_label":"Awaiting parts","active":true},{"id":124,"status_category":"open","agent_label":"In progress","active":true}]}"""));
        using var source = Source(csat: ZendeskSettings.CsatNone);

        var c = (await Drain(source, null)).SelectMany(b => b.Conversations).ToDictionary(x => x.ExternalId);

        Assert.Equal((Channels.WhatsApp, ConversationStatus.Open, created.AddSeconds(42), ResponderKind.Human), (c["1"].Channel, c["1"].Status, c["1"].FirstResponseAt, c["1"].FirstResponderKind));
        Assert.Equal(c["1"].FirstResponseAt, c["1"].FirstHumanResponseAt);
        Assert.Equal(Channels.Email, c["2"].Channel);
        Assert.Equal(created.AddMinutes(30), c["2"].FirstResponseAt);
        Assert.Equal((created.AddHours(2), created.AddHours(3)), (c["2"].FirstResolvedAt, c["2"].ResolvedAt));
        Assert.Equal((2, 1, TimeSpan.FromMinutes(15)), (c["2"].AgentPublicReplies, c["2"].Reopens, c["2"].WaitingOnCustomer));
        Assert.Equal(("high", "question", "7", "901", "55"), (c["2"].Priority, c["2"].TicketType, c["2"].Team, c["2"].RequesterId, c["2"].AssigneeId));
        Assert.Equal((Channels.Chat, ConversationStatus.OnHold), (c["3"].Channel, c["3"].Status));
        Assert.Null(c["3"].FirstResponseAt);
        Assert.Equal((Channels.Social, ConversationStatus.Closed, created.AddHours(2)), (c["4"].Channel, c["4"].Status, c["4"].ClosedAt));
        Assert.Equal((Channels.Api, ConversationStatus.Closed, created.AddHours(9)), (c["5"].Channel, c["5"].Status, c["5"].ClosedAt));
        Assert.Equal((Channels.Other, ConversationStatus.Pending), (c["6"].Channel, c["6"].Status)); // from its custom status' category
        Assert.Equal(1, _platform.Count("/api/v2/custom_statuses.json"));
    }

    [Fact]
    public async Task MalformedPage_FailsWithParseNamingTheField_TheCursorStaysBeforeIt_AndARestartLosesAndRepeatsNothing()
    {
        var t1 = Ticket(1, "open", "whatsapp", T0.AddHours(-5), T0.AddHours(-4));
        var t2 = Ticket(2, "open", "email", T0.AddHours(-5), T0.AddHours(-4));
        var t3 = Ticket(3, "new", "web", T0.AddHours(-1), T0.AddHours(-1));
        var t1Later = Ticket(1, "solved", "whatsapp", T0.AddHours(-5), T0.AddMinutes(-10));
        var broken = Clone(t3);
        broken["created_at"] = "yesterday-ish";
        Export(r => r.WithParam("start_time"), ExportPage([t1, t2], null, "c1", false));
        _platform.Server.Given(Request.Create().WithPath(ExportPath).WithParam("cursor", "c1").UsingGet()).InScenario("page2").WillSetStateTo("fixed")
            .RespondWith(FakePlatform.Json(ExportPage([broken, t1Later], null, "c2", true)));
        _platform.Server.Given(Request.Create().WithPath(ExportPath).WithParam("cursor", "c1").UsingGet()).InScenario("page2").WhenStateIs("fixed")
            .RespondWith(FakePlatform.Json(ExportPage([t3, t1Later], null, "c2", true)));
        Ratings(RatingsPage([]));
        using var store = OpenStore();

        using (var first = Source())
        {
            var ex = await Assert.ThrowsAsync<SourceException>(() => PollInto(store, first));
            Assert.Equal(ErrorReasons.Parse, ex.Reason);
            Assert.Contains("incremental ticket export: malformed response at $.tickets[0].created_at", ex.Message, StringComparison.Ordinal);
        }

        Assert.Contains("\"after\":\"c1\"", store.GetCheckpoint("acme")!.Cursor, StringComparison.Ordinal); // page 1 committed, page 2 not
        Assert.Equal(2, store.ReadConversations().Count());

        using (var restarted = Source()) // a new process: only the store remembers
        {
            await PollInto(store, restarted);
        }

        Assert.Equal(1, _platform.Server.LogEntries.Count(e => e.RequestMessage!.Path == ExportPath && e.RequestMessage.Query!.ContainsKey("start_time")));
        var stored = store.ReadConversations().OrderBy(c => c.ExternalId).ToList();
        Assert.Equal(["1", "2", "3"], stored.Select(c => c.ExternalId)); // nothing lost, nothing twice
        Assert.Equal((ConversationStatus.Solved, T0.AddMinutes(-10)), (stored[0].Status, stored[0].UpdatedAt)); // the latest version
    }

    [Fact]
    public async Task ARatingAnsweredDaysAfterItsOffer_IsReadWhenTheExportShowsTheAnswer_AndOnlyOnce()
    {
        // A legacy rating is created when the survey is offered and updated when it is answered: three days apart
        // here, far more than the overlap before the ratings position, so the ratings list (filtered on creation)
        // never holds it. The answer changes the ticket, so the export shows it.
        var offered = T0.AddDays(-3);
        var answeredAt = T0.AddMinutes(-10);
        var ticket = Ticket(5, "solved", "email", T0.AddDays(-4), offered);
        ticket["satisfaction_rating"] = new JsonObject { ["id"] = 81, ["score"] = "offered", ["comment"] = null };
        var rated = Clone(ticket);
        rated["updated_at"] = Iso(answeredAt);
        rated["satisfaction_rating"] = new JsonObject { ["id"] = 81, ["score"] = "good", ["comment"] = "quick!" };
        var closed = Clone(rated);
        closed["status"] = "closed";
        closed["updated_at"] = Iso(T0.AddMinutes(30));
        Export(r => r.WithParam("start_time"), ExportPage([ticket], null, "c1", true));
        Export(r => r.WithParam("cursor", "c1"), ExportPage([rated], null, "c2", true));
        Export(r => r.WithParam("cursor", "c2"), ExportPage([closed], null, "c3", true));
        Ratings(RatingsPage([]));
        var rating = Rating(81, 5, "good", offered);
        rating["updated_at"] = Iso(answeredAt);
        _platform.Server.Given(Request.Create().WithPath("/api/v2/satisfaction_ratings/81.json").UsingGet())
            .RespondWith(FakePlatform.Json(new JsonObject { ["satisfaction_rating"] = rating }.ToJsonString()));
        using var source = Source();

        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(20));
        var second = await Drain(source, first[^1].Cursor);
        _clock.Advance(TimeSpan.FromMinutes(20));
        var third = await Drain(source, second[^1].Cursor);

        Assert.Empty(first.SelectMany(b => b.Surveys)); // offered, not answered
        var survey = Assert.Single(second.SelectMany(b => b.Surveys));
        Assert.Equal(("81", "5", 1.0, answeredAt, Channels.Email), (survey.ExternalId, survey.ConversationId, survey.Score, survey.RespondedAt, survey.Channel));
        Assert.Empty(third.SelectMany(b => b.Surveys)); // the ticket changed again, the answer did not: not read twice
        Assert.Equal(1, _platform.Count("/api/v2/satisfaction_ratings/81.json"));
        Assert.Equal(3, _platform.Count(RatingsPath)); // the list is still read every poll
    }

    [Fact]
    public async Task AfterEndOfStream_TheNextPollResumesFromTheSavedCursor_AndMovesTheWatermark()
    {
        Export(r => r.WithParam("start_time"), ExportPage([Ticket(1, "open", "chat", T0.AddHours(-1), T0.AddHours(-1))], null, "c1", true));
        Export(r => r.WithParam("cursor", "c1"), ExportPage([], null, "c1", true));
        using var source = Source(csat: ZendeskSettings.CsatNone);

        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var second = await Drain(source, first[^1].Cursor);

        var batch = Assert.Single(second);
        Assert.Empty(batch.Conversations);
        Assert.Equal(T0 + TimeSpan.FromMinutes(4), batch.Watermark);
        Assert.Equal(2, _platform.Count(ExportPath)); // one request per poll when nothing changed
    }

    [Fact]
    public async Task LongBackfill_IsPacedToTheExportBudget()
    {
        Export(r => r.WithParam("start_time"), ExportPage([], null, "c1", false));
        Export(r => r.WithParam("cursor", "c1"), ExportPage([], null, "c2", false));
        Export(r => r.WithParam("cursor", "c2"), ExportPage([], null, "c3", true));
        using var source = Source(csat: ZendeskSettings.CsatNone, exportPerMinute: 2);

        var poll = Drain(source, null);
        var line = await _logs.WaitForAsync(e => e.Message.Contains("pacing", StringComparison.Ordinal), "the export budget's pacing");

        Assert.Contains("waiting 60.0 s for the incremental export budget (2 requests a minute, KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute)", line.Message, StringComparison.Ordinal);
        Assert.Equal(2, _platform.Count(ExportPath));
        await _clock.WaitForTimerAsync(TimeSpan.FromSeconds(60)); // the line comes before the delay is registered
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(3, (await poll.WaitAsync(TimeSpan.FromSeconds(20))).Count);
    }

    [Theory]
    [InlineData(ZendeskAuth.Token, "Basic ")]
    [InlineData(ZendeskAuth.OAuth, "Bearer ")]
    public async Task Credentials_AreSentAsTheAuthModeSays(string mode, string scheme)
    {
        Export(r => r.WithParam("start_time"), ExportPage([], null, "c1", true));
        using var source = Source(csat: ZendeskSettings.CsatNone, authMode: mode);

        await Drain(source, null);

        var header = _platform.Requests(ExportPath).Single().RequestMessage!.Headers!["Authorization"].Single();
        Assert.StartsWith(scheme, header, StringComparison.Ordinal);
        var value = header[scheme.Length..];
        Assert.Equal(mode == ZendeskAuth.Token ? $"ops@acme.test/token:{Secret}" : Secret, mode == ZendeskAuth.Token ? Encoding.UTF8.GetString(Convert.FromBase64String(value)) : value);
    }

    [Fact]
    public async Task ExpiredToken_FailsWithAuth_NamingTheKeysToCheck_NeverTheToken()
    {
        Export(r => r.WithParam("start_time"), """{"error":"Couldn't authenticate you"}""", 401);
        using var source = Source();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        var line = Assert.Single(_logs.Entries, e => e.Level == LogLevel.Error).Message;
        Assert.Contains("KpiCollector:Sources:0:ApiToken (environment variable KPICOLLECTOR__SOURCES__0__APITOKEN), an API token sent with KpiCollector:Sources:0:Email", line, StringComparison.Ordinal);
        Assert.Contains("admin", line, StringComparison.Ordinal);
        foreach (var text in new[] { ex.ToString(), _logs.AllText })
        {
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"ops@acme.test/token:{Secret}")), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ScheduleFasterThanTheExportBudget_IsWarnedAboutAtStart()
    {
        using var source = Source(interval: "5s");

        var line = Assert.Single(_logs.Entries, e => e.Level == LogLevel.Warning).Message;
        Assert.Contains("up to 12 polls a minute", line, StringComparison.Ordinal);
        Assert.Contains("KpiCollector:Sources:0:Zendesk:ExportRequestsPerMinute", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreadableSavedCursor_FailsWithParse()
    {
        using var source = Source();

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, "sim1:1:2"));

        Assert.Equal(ErrorReasons.Parse, ex.Reason);
        Assert.Equal(0, _platform.Count(ExportPath));
    }

    private ZendeskSource Source(string csat = ZendeskSettings.CsatLegacy, string? authMode = null, int exportPerMinute = 10, string interval = "1m") =>
        new(new SourceOptions
        {
            Name = "acme",
            Platform = ZendeskPlatform.Id,
            BaseUrl = _platform.Url.ToString(),
            ApiToken = Secret,
            Email = "ops@acme.test",
            AuthMode = authMode,
            Interval = interval,
            Backfill = "2d",
            Timeout = "5s",
            MaxRetries = 0,
            Settings = new ZendeskSettings { Csat = csat, ExportRequestsPerMinute = exportPerMinute },
        }, 0, _clock, _logs.For<ZendeskSource>(), new Random(3));

    private void Export(Func<IRequestBuilder, IRequestBuilder> match, string body, int status = 200) =>
        _platform.Server.Given(match(Request.Create().WithPath(ExportPath).UsingGet())).RespondWith(FakePlatform.Json(body, status));

    private void Ratings(string body) =>
        _platform.Server.Given(Request.Create().WithPath(RatingsPath).UsingGet()).RespondWith(FakePlatform.Json(body));

    private SqliteStore OpenStore()
    {
        var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    /// <summary>What the poller does: each batch committed with its cursor before the next is asked for.</summary>
    private async Task PollInto(SqliteStore store, ISource source)
    {
        await foreach (var batch in source.PollAsync(store.GetCheckpoint(source.Name)?.Cursor, CancellationToken.None))
        {
            store.Apply(source.Name, batch, _clock.GetUtcNow());
        }
    }

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
