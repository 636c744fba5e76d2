using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Zendesk;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using static KpiCollector.Tests.Sources.Zendesk.ZendeskFixtures;

namespace KpiCollector.Tests.Sources.Zendesk;

/// <summary>
/// The Zendesk connector's CSAT from the newer survey responses (<c>GET /api/v2/guide/survey_responses</c>), the
/// choice between them and the legacy ratings (<c>Zendesk:Csat</c>), and the cursor that remembers how far they were
/// read; against documented response shapes served by WireMock on loopback.
/// </summary>
public sealed class ZendeskSurveyResponsesTests : IDisposable
{
    private const string ExportPath = "/api/v2/incremental/tickets/cursor.json";
    private const string RatingsPath = "/api/v2/satisfaction_ratings.json";
    private const string SurveysPath = "/api/v2/guide/survey_responses";
    private const string ShowManyPath = "/api/v2/tickets/show_many.json";
    private static readonly DateTimeOffset T0 = Records.T0;
    private static readonly DateTimeOffset Start = T0 - TimeSpan.FromDays(2);
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly LogCapture _logs = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task SurveyResponses_ArePagedToTheEnd_RatingsMapped_SkippedAndNonTicketAnswersGiveNothing()
    {
        Export(ExportPage([Ticket(1, "solved", "whatsapp", T0.AddHours(-5), T0.AddHours(-2))], null, "c1", true));
        Surveys(SurveyResponsesPage(
        [
            SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN1", "zen:ticket:1", 5, T0.AddHours(-1)),
            SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN2", "zen:ticket:2", null, T0.AddMinutes(-50)), // the rating was skipped
            SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN3", "zen:conversation:4295a81b-ccdd-4998-88d9-0eff5e76dc44", 4, T0.AddMinutes(-45), subjectType: "conversation"),
        ], after: "MW"));
        Surveys(SurveyResponsesPage(
        [
            SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN4", "zen:ticket:99", 2, T0.AddMinutes(-30), scale: [1, 2, 3]),
        ]), after: "MW");
        _platform.Server.Given(Request.Create().WithPath(ShowManyPath).WithParam("ids", "99").UsingGet())
            .RespondWith(FakePlatform.Json(Tickets(Ticket(99, "closed", "email", T0.AddDays(-1), T0.AddHours(-1)))));
        using var source = Source(ZendeskSettings.CsatSurveyResponses);

        var batches = await Drain(source, null);

        Assert.Equal(3, batches.Count); // one export page, two survey response pages
        var surveys = batches.SelectMany(b => b.Surveys).ToList();
        Assert.Equal(
            [("01J1WB51MG6HXTYWE6Q0C93RN1", "1", 5.0, 1.0, 5.0, T0.AddHours(-1), Channels.WhatsApp, "55", "7"), ("01J1WB51MG6HXTYWE6Q0C93RN4", "99", 2.0, 1.0, 3.0, T0.AddMinutes(-30), Channels.Email, "55", "7")],
            surveys.Select(s => (s.ExternalId, s.ConversationId!, s.Score!.Value, s.ScaleMin, s.ScaleMax, s.RespondedAt, s.Channel, s.AgentId!, s.Team!)));
        Assert.All(surveys, s => Assert.Equal(SurveyKind.Csat, s.Kind));

        var requests = _platform.Requests(SurveysPath).Select(Query).ToList();
        Assert.Equal(2, requests.Count);
        var since = (Start - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture); // from the backfill's start, less the overlap, in ms
        Assert.All(requests, q => Assert.Equal((since, "100", "id"), (q["filter[created_at_start]"], q["page[size]"], q["sort"])));
        Assert.Null(requests[0]["page[after]"]);
        Assert.Equal("MW", requests[1]["page[after]"]);
        Assert.Equal(0, _platform.Count(RatingsPath));
        Assert.Equal(1, _platform.Count(ShowManyPath)); // ticket 1 was known from the export; 2 was skipped, so not looked up

        // Each page moves the position to the newest response it returned (the first answer time, as documented responses carry no created_at of their own).
        Assert.Contains($"\"surveys_since\":{T0.AddMinutes(-46).ToUnixTimeMilliseconds()}", batches[1].Cursor, StringComparison.Ordinal);
        Assert.Contains($"\"surveys_since\":{T0.AddMinutes(-31).ToUnixTimeMilliseconds()}", batches[2].Cursor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NextPoll_AsksFromTheSavedPositionLessTheOverlap()
    {
        Export(ExportPage([], null, "c1", true));
        Surveys(SurveyResponsesPage([SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN1", "zen:ticket:1", 4, T0.AddMinutes(-20))]));
        _platform.Server.Given(Request.Create().WithPath(ShowManyPath).UsingGet()).RespondWith(FakePlatform.Json(Tickets()));
        using var source = Source(ZendeskSettings.CsatSurveyResponses);

        var first = await Drain(source, null);
        await Drain(source, first[^1].Cursor);

        var second = Query(_platform.Requests(SurveysPath).Last());
        Assert.Equal((T0.AddMinutes(-21) - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), second["filter[created_at_start]"]);
    }

    [Fact]
    public async Task MalformedSurveyPage_FailsWithParse_KeepsTheCursorBeforeIt_AndARestartStoresEachResponseOnce()
    {
        Export(ExportPage([Ticket(1, "solved", "chat", T0.AddHours(-5), T0.AddHours(-2)), Ticket(2, "solved", "web", T0.AddHours(-5), T0.AddHours(-2))], null, "c1", true));
        var good = SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN2", "zen:ticket:2", 3, T0.AddMinutes(-10));
        var broken = Clone(good);
        broken["answers"]![0]!["updated_at"] = "not-a-timestamp";
        Surveys(SurveyResponsesPage([SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN1", "zen:ticket:1", 5, T0.AddMinutes(-40))], after: "MW"));
        _platform.Server.Given(Request.Create().WithPath(SurveysPath).WithParam(Param("page[after]", "MW")).UsingGet()).AtPriority(1).InScenario("page2").WillSetStateTo("fixed")
            .RespondWith(FakePlatform.Json(SurveyResponsesPage([broken])));
        _platform.Server.Given(Request.Create().WithPath(SurveysPath).WithParam(Param("page[after]", "MW")).UsingGet()).AtPriority(1).InScenario("page2").WhenStateIs("fixed")
            .RespondWith(FakePlatform.Json(SurveyResponsesPage([good])));
        using var store = OpenStore();

        using (var first = Source(ZendeskSettings.CsatSurveyResponses))
        {
            var ex = await Assert.ThrowsAsync<SourceException>(() => PollInto(store, first));
            Assert.Equal(ErrorReasons.Parse, ex.Reason);
            Assert.Contains("survey responses: malformed response at $.survey_responses[0].answers[0].updated_at", ex.Message, StringComparison.Ordinal);
        }

        var saved = store.GetCheckpoint("acme")!.Cursor;
        Assert.Contains($"\"surveys_since\":{T0.AddMinutes(-41).ToUnixTimeMilliseconds()}", saved, StringComparison.Ordinal); // page 1 committed, page 2 not
        Assert.Equal(["01J1WB51MG6HXTYWE6Q0C93RN1"], store.ReadSurveys().Select(s => s.ExternalId));

        using (var restarted = Source(ZendeskSettings.CsatSurveyResponses))
        {
            await PollInto(store, restarted); // reads page 1 again (the overlap), then the fixed page 2
        }

        Assert.Equal((T0.AddMinutes(-41) - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), Query(_platform.Requests(SurveysPath).Last(e => Query(e)["page[after]"] is null))["filter[created_at_start]"]);
        Assert.Equal([("01J1WB51MG6HXTYWE6Q0C93RN1", 5.0), ("01J1WB51MG6HXTYWE6Q0C93RN2", 3.0)], store.ReadSurveys().OrderBy(s => s.ExternalId).Select(s => (s.ExternalId, s.Score!.Value)));
    }

    [Theory]
    [InlineData(403, null, ZendeskSettings.CsatLegacy, "answered HTTP 403")]
    [InlineData(404, null, ZendeskSettings.CsatLegacy, "answered HTTP 404")]
    [InlineData(200, false, ZendeskSettings.CsatLegacy, "lists none")]
    [InlineData(200, true, ZendeskSettings.CsatSurveyResponses, "lists survey responses")]
    public async Task Auto_AsksOncePerProcess_AndReadsWhatTheAccountRuns(int probeStatus, bool? probeHasData, string chosen, string why)
    {
        Export(ExportPage([Ticket(1, "solved", "email", T0.AddHours(-5), T0.AddHours(-2))], null, "c1", true));
        var probe = probeStatus != 200
            ? """{"error":"Forbidden","description":"You do not have access to this page"}"""
            : SurveyResponsesPage(probeHasData == true ? [SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN1", "zen:ticket:1", 4, T0.AddMinutes(-20))] : []);
        _platform.Server.Given(Request.Create().WithPath(SurveysPath).WithParam(Param("page[size]", "1")).UsingGet()).AtPriority(1).RespondWith(FakePlatform.Json(probe, probeStatus));
        Surveys(SurveyResponsesPage([SurveyResponse("01J1WB51MG6HXTYWE6Q0C93RN1", "zen:ticket:1", 4, T0.AddMinutes(-20))]));
        _platform.Server.Given(Request.Create().WithPath(RatingsPath).UsingGet()).RespondWith(FakePlatform.Json(RatingsPage([Rating(71, 1, "good", T0.AddMinutes(-20))])));
        using var source = Source(ZendeskSettings.CsatAuto);

        var first = await Drain(source, null);
        var second = await Drain(source, first[^1].Cursor);

        var probes = _platform.Requests(SurveysPath).Count(e => Query(e)["page[size]"] == "1");
        Assert.Equal(1, probes); // decided once per process
        var surveys = first.Concat(second).SelectMany(b => b.Surveys).ToList();
        Assert.NotEmpty(surveys);
        if (chosen == ZendeskSettings.CsatLegacy)
        {
            Assert.All(surveys, s => Assert.Equal(("71", 0.0, 1.0), (s.ExternalId, s.ScaleMin, s.ScaleMax)));
            Assert.Equal(2, _platform.Count(RatingsPath));
            Assert.Equal(1, _platform.Count(SurveysPath));
        }
        else
        {
            Assert.All(surveys, s => Assert.Equal(("01J1WB51MG6HXTYWE6Q0C93RN1", 1.0, 5.0), (s.ExternalId, s.ScaleMin, s.ScaleMax)));
            Assert.Equal(0, _platform.Count(RatingsPath));
            Assert.Equal(3, _platform.Count(SurveysPath));
        }

        var line = Assert.Single(_logs.Entries, e => e.Message.Contains("CSAT is read from", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains($"CSAT is read from {chosen} (KpiCollector:Sources:0:Zendesk:Csat is auto)", line.Message, StringComparison.Ordinal);
        Assert.Contains(why, line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Theory]
    [InlineData(ZendeskSettings.CsatOff)]
    [InlineData(ZendeskSettings.CsatNone)]
    public async Task Off_MakesNoSatisfactionCalls(string mode)
    {
        Export(ExportPage([Ticket(1, "solved", "email", T0.AddHours(-5), T0.AddHours(-2))], null, "c1", true));
        using var source = Source(mode);

        var batches = await Drain(source, null);

        Assert.Single(batches);
        Assert.Equal(1, source.RequestsPerPoll);
        Assert.Equal([ExportPath], _platform.Server.LogEntries.Select(e => e.RequestMessage!.Path).Distinct());
    }

    [Fact]
    public async Task ACursorSavedBeforeSurveyResponses_IsReadAsItWas_AndSurveysStartFromItsRatingsPosition()
    {
        // Exactly what the previous version wrote: no surveys_since.
        var ratingsSince = T0.AddHours(-3).ToUnixTimeSeconds();
        var watermark = T0.AddMinutes(-10).ToUnixTimeMilliseconds();
        var saved = $$"""zd1:{"start_time":{{Start.ToUnixTimeSeconds()}},"after":"c7","ratings_since":{{ratingsSince}},"watermark":{{watermark}},"watermark_at":"2025-03-01T09:50:00+00:00"}""";
        Export(ExportPage([], null, "c7", true), "c7");
        Surveys(SurveyResponsesPage([]));
        using var source = Source(ZendeskSettings.CsatSurveyResponses);

        var batches = await Drain(source, saved);

        Assert.Equal("c7", _platform.Requests(ExportPath).Single().RequestMessage!.Query!["cursor"].Single()); // resumed, no new backfill
        var since = (T0.AddHours(-3) - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        Assert.Equal(since, Query(_platform.Requests(SurveysPath).Single())["filter[created_at_start]"]);
        var cursor = batches[^1].Cursor!;
        Assert.Contains("\"after\":\"c7\"", cursor, StringComparison.Ordinal);
        Assert.Contains($"\"ratings_since\":{ratingsSince}", cursor, StringComparison.Ordinal);
        Assert.Contains($"\"surveys_since\":{T0.AddHours(-3).ToUnixTimeMilliseconds()}", cursor, StringComparison.Ordinal);
        Assert.True(batches[^1].Watermark >= DateTimeOffset.FromUnixTimeMilliseconds(watermark));
    }

    private ZendeskSource Source(string csat) =>
        new(new SourceOptions
        {
            Name = "acme",
            Platform = ZendeskPlatform.Id,
            BaseUrl = _platform.Url.ToString(),
            ApiToken = "zd-api-T0ken-5ecret-abc123",
            Email = "ops@acme.test",
            Interval = "1m",
            Backfill = "2d",
            Timeout = "5s",
            MaxRetries = 0,
            Settings = new ZendeskSettings { Csat = csat },
        }, 0, _clock, _logs.For<ZendeskSource>(), new Random(3));

    private void Export(string body, string? cursor = null) =>
        _platform.Server.Given(cursor is null ? Request.Create().WithPath(ExportPath).UsingGet() : Request.Create().WithPath(ExportPath).WithParam("cursor", cursor).UsingGet())
            .RespondWith(FakePlatform.Json(body));

    /// <summary>Survey responses: the first page (no <c>page[after]</c>), or the page after <paramref name="after"/>.</summary>
    private void Surveys(string body, string? after = null)
    {
        var request = Request.Create().WithPath(SurveysPath).UsingGet();
        _platform.Server.Given(after is null ? request : request.WithParam(Param("page[after]", after))).AtPriority(after is null ? 10 : 1).RespondWith(FakePlatform.Json(body));
    }

    /// <summary>Matches a query parameter by its name as the server decodes it (the client percent-encodes the brackets).</summary>
    private static Func<IDictionary<string, WireMock.Types.WireMockList<string>>, bool> Param(string name, string value) =>
        query => query.Any(kv => Uri.UnescapeDataString(kv.Key) == name && kv.Value.Contains(value));

    /// <summary>A request's query parameters, decoded as a server reads them.</summary>
    private static System.Collections.Specialized.NameValueCollection Query(WireMock.Logging.ILogEntry entry) =>
        System.Web.HttpUtility.ParseQueryString(new Uri(entry.RequestMessage!.AbsoluteUrl).Query);

    private SqliteStore OpenStore()
    {
        var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

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
