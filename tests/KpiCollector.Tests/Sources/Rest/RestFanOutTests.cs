using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>A conversation stream's budgeted fan-out (docs/profiles.md, "Fan-out") against a loopback fake platform.</summary>
public sealed class RestFanOutTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();
    private readonly LogCapture _logs = new();

    /// <summary>The platform's tickets: id to the minute of 2026-01-01T00 they were last updated.</summary>
    private readonly Dictionary<int, int> _tickets = [];

    /// <summary>The id whose messages answer fails (null: none), with this status (200: a malformed body).</summary>
    private (int Id, int Status)? _failing;

    public RestFanOutTests()
    {
        // The list: the tickets updated since updated_since, oldest first.
        _platform.Server.Given(Request.Create().WithPath("/api/tickets").UsingGet()).RespondWith(Response.Create().WithCallback(request =>
        {
            var since = DateTimeOffset.Parse(RestJoinTests.Query(request)["updated_since"], CultureInfo.InvariantCulture);
            var items = _tickets.Where(t => Updated(t.Value) >= since).OrderBy(t => t.Value).ThenBy(t => t.Key).Select(t =>
                $$"""{"id":{{t.Key}},"created_at":"2026-01-01T00:00:00Z","updated_at":"{{Iso(Updated(t.Value))}}","first_reply_at":"2026-01-01T00:59:00Z"}""");
            return Answer(200, $$"""{"items":[{{string.Join(",", items)}}]}""");
        }));

        // A ticket's messages: a bot reply at :10, a human reply at :20 and the customer's at :30 of the hour after its update minute.
        _platform.Server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^/api/tickets/[^/]+/messages$")).UsingGet()).RespondWith(Response.Create().WithCallback(request =>
        {
            var id = int.Parse(Uri.UnescapeDataString(request.Path.Split('/')[3]), CultureInfo.InvariantCulture);
            if (_failing is { } f && f.Id == id)
            {
                return Answer(f.Status, """{"data":[""");
            }

            if (!_tickets.TryGetValue(id, out var minute))
            {
                return Answer(404, "{}");
            }

            var at = (int s) => Iso(Updated(minute).AddHours(1).AddSeconds(s));
            return Answer(200, $$"""
                {"data":[
                  {"type":"OUTBOUND","user_id":null,"created_at":"{{at(10)}}"},
                  {"type":"OUTBOUND","user_id":7,"created_at":"{{at(20)}}"},
                  {"type":"INBOUND","user_id":null,"created_at":"{{at(30)}}"}
                ]}
                """);
        }));
    }

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    internal static string Profile(int budget = 2, string lookback = "0", string extra = "") => $$"""
        name: fanned
        authenticator: { type: bearer }
        watermark_lag: 10s
        streams:
          - name: tickets
            record: conversation
            path: api/tickets
            record_selector: "$.items"
            incremental: { param: updated_since, cursor_field: "$.updated_at", lookback: {{lookback}} }
            fields:
              external_id: "$.id"
              created_at: "$.created_at"
              updated_at: "$.updated_at"
              first_response_at: "$.first_reply_at"
            fan_out:
              path: "api/tickets/{id}/messages"
              query: { per_page: "50" }
              max_calls_per_poll: {{budget}}
              fields:
                first_human_response_at: "$.data[?(@.type=='OUTBOUND' && @.user_id!=null)].created_at"
                first_response_at: { path: "$.data[?(@.type=='OUTBOUND')].created_at", pick: first }
                closed_at: { path: "$.data[*].created_at", pick: last }{{extra}}
        """;

    [Fact]
    public async Task TheBudget_SpreadsAPageOverPolls_EachConversationCalledOnce_TheWatermarkOnlyAtTheEnd()
    {
        Tickets(1, 2, 3, 4, 5);
        using var store = Store();
        using var source = Source(Profile(budget: 2), store);

        var first = await Poll(source, store);
        Assert.Equal(["1", "2"], Ids(first.Batches));
        Assert.Null(store.GetCheckpoint("rest")!.Watermark);
        Assert.Equal(Updated(2), first.Batches.Single().ReadUpTo); // the backfill progress moves with the committed part
        Assert.Contains(_logs.Entries, e => e.Message == "rest: stream tickets fan-out: 2 of 2 calls this poll, spent (0 from the cache); 3 records of the page wait for the next poll, which resumes at updates since 2026-01-01 00:02:59Z");

        var second = await Poll(source, store);
        Assert.Equal(["3", "4"], Ids(second.Batches));
        var third = await Poll(source, store);
        Assert.Equal(["5"], Ids(third.Batches));
        Assert.Contains(_logs.Entries, e => e.Message == "rest: stream tickets fan-out: 1 of 2 calls this poll, 0 conversations from the cache");
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromSeconds(10), store.GetCheckpoint("rest")!.Watermark);

        Assert.Equal([1, 1, 1, 1, 1], Enumerable.Range(1, 5).Select(Calls));
        var c = store.ReadConversations().Single(c => c.ExternalId == "4");
        Assert.Equal((Updated(4).AddHours(1).AddSeconds(10), Updated(4).AddHours(1).AddSeconds(20), Updated(4).AddHours(1).AddSeconds(30)), (c.FirstResponseAt, c.FirstHumanResponseAt, c.ClosedAt));
        Assert.Equal("50", RestJoinTests.Query(_platform.Requests("/api/tickets/4/messages").Single().RequestMessage!)["per_page"]);
        Assert.Equal(5, store.ReadConversations().Count());
    }

    [Fact]
    public async Task ARestart_ResumesWhereTheBudgetRanOut_OverTheSameStore_NothingLostNothingAppliedTwice()
    {
        Tickets(1, 2, 3, 4, 5);
        var profile = Profile(budget: 2, lookback: "1h"); // the look-back reads 1 and 2 again: cache hits
        using (var store = Store())
        using (var first = Source(profile, store))
        {
            Assert.Equal(["1", "2"], Ids((await Poll(first, store)).Batches));
        }

        using (var store = Store())
        using (var restarted = Source(profile, store))
        {
            var (batches, applied) = await Poll(restarted, store);
            Assert.Equal(["1", "2", "3", "4"], Ids(batches));
            Assert.Equal(["3", "4"], applied); // 1 and 2 come again unchanged: no change applied
            Assert.Contains(_logs.Entries, e => e.Message.StartsWith("rest: stream tickets fan-out: 2 of 2 calls this poll, spent (2 from the cache)", StringComparison.Ordinal));

            (batches, applied) = await Poll(restarted, store);
            Assert.Equal(["5"], applied);
            Assert.Equal(5, store.ReadConversations().Count());
            Assert.All(store.ReadConversations(), c => Assert.Equal(c.UpdatedAt.AddHours(1).AddSeconds(20), c.FirstHumanResponseAt));
            Assert.NotNull(store.GetCheckpoint("rest")!.Watermark);
        }

        Assert.Equal([1, 1, 1, 1, 1], Enumerable.Range(1, 5).Select(Calls));
    }

    [Fact]
    public async Task ACachedVersion_AvoidsTheCall_AndAChangedVersionFetchesAgain()
    {
        Tickets(1, 2);
        using var store = Store();
        using var source = Source(Profile(budget: 10, lookback: "1h"), store);
        await Poll(source, store);
        _tickets[2] = 7; // ticket 2 changes; ticket 1 is read again by the look-back, unchanged

        var (batches, applied) = await Poll(source, store);

        Assert.Equal(["1", "2"], Ids(batches));
        Assert.Equal(["2"], applied);
        Assert.Equal((1, 2), (Calls(1), Calls(2)));
        Assert.Equal(Updated(7).AddHours(1).AddSeconds(20), store.ReadConversations().Single(c => c.ExternalId == "2").FirstHumanResponseAt);
        Assert.Contains(_logs.Entries, e => e.Message == "rest: stream tickets fan-out: 1 of 10 calls this poll, 1 conversations from the cache");
    }

    private const string Surveys = """

              surveys:
                record_selector: "$.data[?(@.type=='INBOUND')]"
                fields:
                  external_id: "$.created_at"
                  kind: { value: csat }
                  score: { path: "$.user_id", map: { "7": "5" }, missing: "4" }
                  responded_at: "$.created_at"
        """;

    [Fact]
    public async Task SurveysInTheAnswer_BecomeSurveyRecordsOfTheConversation_AndACacheHitDeliversThemAgain()
    {
        Tickets(1, 2);
        using var store = Store();
        using var source = Source(Profile(budget: 10, lookback: "1h", extra: Surveys), store);
        Assert.Contains(SurveyKind.Csat, source.Capabilities.Surveys);

        var (first, _) = await Poll(source, store);
        var answers = first.SelectMany(b => b.Surveys).OrderBy(r => r.ConversationId).ToList();
        Assert.Equal(["1", "2"], answers.Select(r => r.ConversationId));
        Assert.All(answers, r => Assert.Equal((SurveyKind.Csat, 4.0, 1.0, 5.0), (r.Kind, r.Score!.Value, r.ScaleMin, r.ScaleMax)));
        Assert.Equal(Updated(2).AddHours(1).AddSeconds(30), answers[1].RespondedAt);
        Assert.Equal(2, store.ReadSurveys().Count());

        // The look-back reads both again: no call (the versions are cached), the same answers again, stored once.
        var (second, _) = await Poll(source, store);
        Assert.Equal((1, 1), (Calls(1), Calls(2)));
        Assert.Equal(answers, second.SelectMany(b => b.Surveys).OrderBy(r => r.ConversationId));
        Assert.Equal(2, store.ReadSurveys().Count());
    }

    [Theory]
    [InlineData("record_selector: \"$.data[?(@.type=='INBOUND')]\"", "# no selector", "$.streams[0].fan_out.surveys.record_selector: missing")]
    [InlineData("responded_at: \"$.created_at\"", "# no time", "$.streams[0].fan_out.surveys.fields.responded_at: missing")]
    [InlineData("kind: { value: csat }", "kind: { value: csat }\n          colour: red", "$.streams[0].fan_out.surveys.fields.colour: unknown key")]
    public void EachFanOutSurveysMistake_NamesItsKeyPath(string find, string replace, string expected)
    {
        var failures = new List<string>();

        Assert.Null(RestProfileLoader.Parse(Profile(extra: Surveys.Replace(find, replace, StringComparison.Ordinal)), "profile file 'p.yaml'", [], failures));

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.False(RestSchema.Evaluate(RestProfileLoader.ToJson(Profile(extra: Surveys.Replace(find, replace, StringComparison.Ordinal)))).IsValid);
    }

    [Theory]
    [InlineData(500, "http_5xx")]
    [InlineData(200, "parse")] // a malformed body
    public async Task AFailedCall_FailsThePageWhole_AndTheRetryReusesTheValuesAlreadyFetched(int status, string reason)
    {
        Tickets(1, 2, 3);
        _failing = (2, status);
        using var store = Store();
        using var source = Source(Profile(budget: 10), store);

        var error = await Assert.ThrowsAsync<SourceException>(() => Poll(source, store));

        Assert.Equal(reason, error.Reason);
        Assert.Empty(store.ReadConversations());
        Assert.Null(store.GetCheckpoint("rest"));
        _failing = null;
        Assert.Equal(["1", "2", "3"], Ids((await Poll(source, store)).Batches));
        Assert.Equal((1, 2, 1), (Calls(1), Calls(2), Calls(3)));
    }

    [Fact]
    public async Task AConversationGoneSinceTheList_KeepsTheStreamsValues()
    {
        Tickets(1);
        _failing = (1, 404);
        using var store = Store();
        using var source = Source(Profile(), store);

        await Poll(source, store);

        var c = store.ReadConversations().Single();
        Assert.Equal((DateTimeOffset.Parse("2026-01-01T00:59:00Z", CultureInfo.InvariantCulture), (DateTimeOffset?)null), (c.FirstResponseAt, c.FirstHumanResponseAt));
    }

    [Fact]
    public async Task WithAJoin_TheJoinedValuesApply_AndTheFanOutsWinOverThem()
    {
        Tickets(1, 2);
        _platform.Server.Given(Request.Create().WithPath("/api/slas").UsingGet())
            .RespondWith(FakePlatform.Json("""{"result":[{"task":"1","group":"sla-team","end_time":"2026-01-01T00:40:00Z"}]}"""));
        var joins = """
                joins:
                  - name: sla
                    path: api/slas
                    query: { tasks: "{ids}" }
                    ids: { path: "$.id" }
                    record_selector: "$.result"
                    on: "$.task"
                    fields: { team: "$.group", first_response_at: "$.end_time" }
                fan_out:
            """;
        using var store = Store();
        using var source = Source(Profile(budget: 1).Replace("    fan_out:", joins, StringComparison.Ordinal), store);

        var (batches, _) = await Poll(source, store);

        Assert.Equal(["1"], Ids(batches)); // a budget of 1: ticket 2 waits
        var c = batches.Single().Conversations.Single();
        Assert.Equal(("sla-team", Updated(1).AddHours(1).AddSeconds(10)), (c.Team, c.FirstResponseAt));
        Assert.Equal("1,2", RestJoinTests.Query(_platform.Requests("/api/slas").Single().RequestMessage!)["tasks"]); // the whole page is joined
    }

    [Fact]
    public async Task AResponderKindFromTheFanOut_MakesTheSourceReportBotAndHumanResponders()
    {
        Tickets(1);
        using var store = Store();
        using var source = Source(Profile(extra: "\n        first_responder_kind: { path: \"$.data[0].user_id\", missing: bot, default: human }"), store);

        await Poll(source, store);

        Assert.Equal(SourceCapabilities.BotAndHuman, source.Capabilities.Responders);
        Assert.Equal(ResponderKind.Bot, store.ReadConversations().Single().FirstResponderKind);
    }

    [Theory]
    [InlineData("record: conversation", "record: survey", "$.streams[0].fan_out: a survey stream has no fan_out")]
    [InlineData("    incremental: { param: updated_since, cursor_field: \"$.updated_at\", lookback: 0 }\n", "", "$.streams[0].fan_out: fan_out needs an incremental cursor")]
    [InlineData("max_calls_per_poll: 2", "max_calls_per_poll: 0", "$.streams[0].fan_out.max_calls_per_poll: '0' is not a whole number of at least 1")]
    [InlineData("      max_calls_per_poll: 2\n", "", "$.streams[0].fan_out.max_calls_per_poll: missing")]
    [InlineData("path: \"api/tickets/{id}/messages\"", "path: \"api/messages\"", "$.streams[0].fan_out.path: neither the path nor a query value uses {id}")]
    [InlineData("per_page: \"50\"", "per_page: \"{size}\"", "$.streams[0].fan_out.query.per_page: the template variable {size} is not supplied")]
    [InlineData("closed_at: {", "updated_at: {", "$.streams[0].fan_out.fields.updated_at: unknown key")]
    [InlineData("closed_at: {", "external_id: {", "$.streams[0].fan_out.fields.external_id: unknown key")]
    [InlineData("pick: last", "pick: any", "$.streams[0].fan_out.fields.closed_at.pick: 'any' is not accepted; accepted: first, last")]
    [InlineData("&& @.user_id!=null", "&& @.user_id~null", "$.streams[0].fan_out.fields.first_human_response_at: the JSON path")]
    [InlineData("max_calls_per_poll: 2", "max_calls_per_poll: 2\n      budget: 3", "$.streams[0].fan_out.budget: unknown key; accepted: path, query, max_calls_per_poll, fields")]
    public void EachFanOutMistake_NamesItsKeyPath(string find, string replace, string expected)
    {
        var valid = Profile();
        Assert.NotNull(RestProfileLoader.Parse(valid, "p", [], []));
        Assert.Contains(find, valid, StringComparison.Ordinal);
        var failures = new List<string>();

        Assert.Null(RestProfileLoader.Parse(valid.Replace(find, replace, StringComparison.Ordinal), "profile file 'p.yaml'", [], failures));

        Assert.Contains(failures, f => f.StartsWith("profile file 'p.yaml': ", StringComparison.Ordinal) && f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lookback: 0 }", "lookback: 0, mode: newest_first }", "$.streams[0].fan_out: fan_out needs an oldest-first incremental cursor")]
    [InlineData("lookback: 0 }", "lookback: 0, format: id }", "$.streams[0].fan_out: fan_out resumes at an update time")]
    [InlineData("    incremental:", "    paginator: { type: keyset }\n    incremental:", "$.streams[0].fan_out: fan_out resumes at an update time")]
    public void AFanOut_IsRefusedWhereItCouldNotResumeAtAnUpdateTime(string find, string replace, string expected)
    {
        var failures = new List<string>();
        var profile = Profile().Replace(find, replace, StringComparison.Ordinal);

        Assert.Null(RestProfileLoader.Parse(profile, "p", [], failures));

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("record: conversation", "record: message")]
    [InlineData("max_calls_per_poll: 2", "max_calls_per_poll: 0")]
    [InlineData("      max_calls_per_poll: 2\n", "")]
    [InlineData("closed_at: {", "updated_at: {")]
    [InlineData("    incremental: { param: updated_since, cursor_field: \"$.updated_at\", lookback: 0 }\n", "")]
    public void TheSchema_AcceptsAFanOut_AndRejectsWhatTheLoaderRejects(string find, string replace)
    {
        var profile = find.Length == 0 ? Profile() : Profile().Replace(find, replace, StringComparison.Ordinal);
        var valid = find.Length == 0;
        Assert.Equal(valid, RestSchema.Evaluate(RestProfileLoader.ToJson(profile)).IsValid);
        Assert.Equal(valid, RestProfileLoader.Parse(profile, "p", [], []) is not null);
    }

    private static DateTimeOffset Updated(int minute) => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(minute);

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ResponseMessage Answer(int status, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
    };

    private void Tickets(params int[] ids)
    {
        foreach (var id in ids)
        {
            _tickets[id] = id;
        }
    }

    private int Calls(int id) => _platform.Count($"/api/tickets/{id}/messages");

    private SqliteStore Store()
    {
        var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    private RestSource Source(string profile, IRestState state) => new(
        new SourceOptions { Name = "rest", Platform = "rest", BaseUrl = _platform.Url.ToString(), ApiToken = "secret-token", Backfill = "1d", Timeout = "5s", RequestsPerMinute = 100_000, MaxRetries = 0 },
        0,
        new RestSettings { Profile = Write(profile) },
        _clock,
        _logs.For<RestSource>(),
        state);

    /// <summary>One poll from the store's checkpoint, each batch applied as the collector does; the ids whose apply changed something.</summary>
    private async Task<(List<SourceBatch> Batches, List<string> Applied)> Poll(RestSource source, SqliteStore store)
    {
        var (batches, applied) = (new List<SourceBatch>(), new List<string>());
        await foreach (var batch in source.PollAsync(store.GetCheckpoint("rest")?.Cursor, CancellationToken.None))
        {
            batches.Add(batch);
            applied.AddRange(store.Apply("rest", batch, _clock.GetUtcNow()).Conversations.Select(c => c.New.ExternalId));
        }

        return (batches, applied);
    }
}
