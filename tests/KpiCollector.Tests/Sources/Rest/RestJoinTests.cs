using System.Text.Json.Nodes;
using System.Web;
using Json.Schema;
using KpiCollector.Sources;
using KpiCollector.Sources.Rest;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;
using static KpiCollector.Tests.Sources.Rest.RestTestProfiles;

namespace KpiCollector.Tests.Sources.Rest;

/// <summary>A conversation stream's joins (docs/profiles.md, "Joins") against a loopback fake platform.</summary>
public sealed class RestJoinTests : IDisposable
{
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero));
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _platform.Dispose();
        _dir.Dispose();
    }

    /// <summary>Tickets whose own first reply is at 00:30 and team "own".</summary>
    internal static string Tickets(params int[] ids) =>
        "[" + string.Join(",", ids.Select(i => $$"""{"sys_id":"t{{i}}","id":{{i}},"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:{{i:00}}:00Z","state":"open","first_reply_at":"2026-01-01T00:30:00Z","team":"own"}""")) + "]";

    internal static string Profile(string pick = "first", int batch = 100, string joinPaginator = "", string paginator = "type: none") => $$"""
        name: joined
        authenticator: { type: bearer }
        watermark_lag: 10s
        streams:
          - name: cases
            record: conversation
            path: api/tickets
            record_selector: "$.items"
            paginator: { {{paginator}} }
            fields:
              external_id: "$.id"
              created_at: "$.created_at"
              updated_at: "$.updated_at"
              first_response_at: "$.first_reply_at"
              team: "$.team"
            joins:
              - name: response_sla
                path: api/slas
                query:
                  q: "taskIN{ids}^target=response"
                ids: { path: "$.sys_id", separator: ",", batch: {{batch}} }
                record_selector: "$.result[?(@.stage!='cancelled')]"
                {{joinPaginator}}
                on: "$.task.value"
                pick: {{pick}}
                fields:
                  first_response_at: "$.end_time"
                  team: { path: "$.group", missing: "sla-less" }
        """;

    [Theory]
    [InlineData("first", "2026-01-01T00:05:00Z")]
    [InlineData("last", "2026-01-01T00:06:00Z")]
    public async Task JoinedFields_OverrideTheStreams_WhenTheJoinedValueIsPresent(string pick, string secondsResponse)
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1, 2, 3, 4)}}}"""));
        Slas(ids => """
            {"result":[
              {"task":{"value":"t1"},"stage":"cancelled","end_time":"2026-01-01T00:01:00Z","group":"cancelled"},
              {"task":{"value":"t1"},"stage":"done","end_time":"2026-01-01T00:02:00Z","group":"sla"},
              {"task":{"value":"t2"},"stage":"done","end_time":"2026-01-01T00:05:00Z"},
              {"task":{"value":"t2"},"stage":"done","end_time":"2026-01-01T00:06:00Z"},
              {"task":{"value":"t3"},"stage":"done","end_time":null},
              {"task":{"value":"t9"},"stage":"done","end_time":"2026-01-01T00:09:00Z"}
            ]}
            """);
        using var source = Source(_platform, Profile(pick), _clock);

        var conversations = (await Drain(source)).SelectMany(b => b.Conversations).ToDictionary(c => c.ExternalId);

        Assert.Equal(At("2026-01-01T00:02:00Z"), conversations["1"].FirstResponseAt); // the cancelled record is filtered out
        Assert.Equal("sla", conversations["1"].Team);
        Assert.Equal(At(secondsResponse), conversations["2"].FirstResponseAt);
        Assert.Equal("sla-less", conversations["2"].Team); // `missing` is a value: it overrides
        Assert.Equal(At("2026-01-01T00:30:00Z"), conversations["3"].FirstResponseAt); // joined, but without a value: the stream's
        Assert.Equal((At("2026-01-01T00:30:00Z"), "own"), (conversations["4"].FirstResponseAt, conversations["4"].Team)); // nothing joined
        var request = Assert.Single(_platform.Requests("/api/slas")).RequestMessage!;
        Assert.Equal("taskINt1,t2,t3,t4^target=response", Query(request)["q"]);
        Assert.Equal("Bearer secret-token", request.Headers!["Authorization"].Single());
        Assert.Equal(2, source.Status.RequestCount); // the join's request is counted like the stream's
    }

    [Fact]
    public async Task TheIds_GoInBatches_AndEachBatchPagesWithTheJoinsPaginator()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1, 2, 3, 4, 5)}}}"""));
        Slas(query =>
        {
            var ids = query["q"]["taskIN".Length..query["q"].IndexOf('^', StringComparison.Ordinal)].Split(',');
            var offset = int.Parse(query["off"], System.Globalization.CultureInfo.InvariantCulture);
            var records = ids.Skip(offset).Take(2).Select(id => $$"""{"task":{"value":"{{id}}"},"stage":"done","end_time":"2026-01-01T00:0{{id[1..]}}:30Z"}""");
            return $$"""{"result":[{{string.Join(",", records)}}]}""";
        });
        using var source = Source(_platform, Profile(batch: 3, joinPaginator: "paginator: { type: offset, offset_param: off, limit_param: lim, page_size: 2 }"), _clock);

        var conversations = (await Drain(source)).SelectMany(b => b.Conversations).ToList();

        Assert.Equal(
            ["2026-01-01T00:01:30Z", "2026-01-01T00:02:30Z", "2026-01-01T00:03:30Z", "2026-01-01T00:04:30Z", "2026-01-01T00:05:30Z"],
            conversations.Select(c => c.FirstResponseAt!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        var requests = _platform.Requests("/api/slas").Select(e => Query(e.RequestMessage!)).Select(q => $"{q["q"]} off={q["off"]} lim={q["lim"]}").ToList();
        Assert.Equal(
            [
                "taskINt1,t2,t3^target=response off=0 lim=2", "taskINt1,t2,t3^target=response off=2 lim=2", // a full page asks for the next
                "taskINt4,t5^target=response off=0 lim=2", "taskINt4,t5^target=response off=2 lim=2",
            ],
            requests);
    }

    [Fact]
    public async Task TheJoinsRequests_CountAgainstTheStreamsBudget()
    {
        _platform.Sequence("/api/tickets", FakePlatform.Json($$"""{"items":{{Tickets(1)}}}"""), FakePlatform.Json("""{"items":[]}"""));
        Slas(_ => """{"result":[]}""");
        var clock = new TimerWatchingClock(_clock.GetUtcNow());
        var profile = Profile(paginator: "type: page_number, page_size: 1").Replace("    record: conversation", "    record: conversation\n    requests_per_minute: 2", StringComparison.Ordinal);
        using var source = Source(_platform, profile, clock);

        var drain = Drain(source);
        var pacing = await clock.WaitForTimerAsync(TimeSpan.FromSeconds(60)); // page 1 and its join used the minute's 2
        Assert.Equal((1, 1), (_platform.Count("/api/tickets"), _platform.Count("/api/slas")));
        Assert.False(pacing.HasFired);

        clock.Advance(TimeSpan.FromSeconds(60.1));
        Assert.Equal(["1"], Ids(await drain.WaitAsync(TimeSpan.FromSeconds(60))));
        Assert.Equal(2, _platform.Count("/api/tickets"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(200)] // a malformed body
    public async Task AFailedJoinRequest_FailsThePageWhole_AndARetryResumesAtThatPage(int status)
    {
        for (var page = 1; page <= 2; page++)
        {
            _platform.Server.Given(Request.Create().WithPath("/api/tickets").WithParam("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)).UsingGet())
                .RespondWith(FakePlatform.Json($$"""{"items":{{(page == 1 ? Tickets(1, 2) : Tickets(3))}}}"""));
        }

        var failing = true;
        Slas(query => query["q"].Contains("t3", StringComparison.Ordinal) && failing
                ? null
                : """{"result":[{"task":{"value":"t1"},"end_time":"2026-01-01T00:11:00Z"},{"task":{"value":"t3"},"end_time":"2026-01-01T00:13:00Z"}]}""",
            status);
        var profile = Profile(paginator: "type: page_number, page_size: 2");
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();

        using (var first = Source(_platform, profile, _clock, store))
        {
            var error = await Assert.ThrowsAsync<SourceException>(async () =>
            {
                await foreach (var batch in first.PollAsync(null, CancellationToken.None))
                {
                    store.Apply("rest", batch, _clock.GetUtcNow());
                }
            });
            Assert.Equal(status == 500 ? "http_5xx" : "parse", error.Reason);
        }

        Assert.Equal(["1", "2"], store.ReadConversations().Select(c => c.ExternalId).Order()); // page 2 left no trace
        Assert.Equal(At("2026-01-01T00:11:00Z"), store.ReadConversations().Single(c => c.ExternalId == "1").FirstResponseAt);

        failing = false;
        using (var retry = Source(_platform, profile, _clock, store))
        {
            await foreach (var batch in retry.PollAsync(store.GetCheckpoint("rest")!.Cursor, CancellationToken.None))
            {
                store.Apply("rest", batch, _clock.GetUtcNow());
            }
        }

        Assert.Equal(At("2026-01-01T00:13:00Z"), store.ReadConversations().Single(c => c.ExternalId == "3").FirstResponseAt);
        var pages = _platform.Requests("/api/tickets").Select(e => e.RequestMessage!.Query!["page"].Single()).ToList();
        Assert.Equal(["1", "2", "2"], pages); // page 1 is not read again
    }

    [Theory]
    [InlineData("on: \"$.task.value\"", "on: \"task.value\"", "$.streams[0].joins[0].on: the JSON path 'task.value' does not parse")]
    [InlineData("path: \"$.sys_id\"", "path: \"sys_id\"", "$.streams[0].joins[0].ids.path: the JSON path 'sys_id' does not parse")]
    [InlineData("ids: { path: \"$.sys_id\",", "ids: {", "$.streams[0].joins[0].ids.path: missing")]
    [InlineData("  team: { path: \"$.group\"", "  colour: { path: \"$.group\"", "$.streams[0].joins[0].fields.colour: unknown key")]
    [InlineData("  team: { path: \"$.group\"", "  external_id: { path: \"$.group\"", "$.streams[0].joins[0].fields.external_id: unknown key")]
    [InlineData("  team: { path: \"$.group\", missing: \"sla-less\" }", "  status: { path: \"$.group\", map: { x: finished }, default: open }", "$.streams[0].joins[0].fields.status.map.x: 'finished' is not a status")]
    [InlineData("q: \"taskIN{ids}^target=response\"", "q: \"taskIN^target=response\"", "$.streams[0].joins[0].path: neither the path nor a query value uses {ids}")]
    [InlineData("q: \"taskIN{ids}^target=response\"", "q: \"taskIN{ids}^{target}\"", "$.streams[0].joins[0].query.q: the template variable {target} is not supplied")]
    [InlineData("batch: 100", "batch: 0", "$.streams[0].joins[0].ids.batch: '0' is not a whole number of at least 1")]
    [InlineData("pick: first", "pick: middle", "$.streams[0].joins[0].pick: 'middle' is not accepted; accepted: first, last")]
    [InlineData("first_response_at: \"$.end_time\"", "first_response_at: { path: \"$.end_time\", pick: middle }", "$.streams[0].joins[0].fields.first_response_at.pick: 'middle' is not accepted; accepted: first, last")]
    [InlineData("pick: first", "pick: first\n        colour: red", "$.streams[0].joins[0].colour: unknown key; accepted: name, path, query, ids")]
    [InlineData("record: conversation", "record: survey", "$.streams[0].joins: a survey stream has no joins")]
    [InlineData("type: none", "type: none }\n    joins_extra: { x: 1", "$.streams[0].joins_extra: unknown key")]
    public void EachJoinMistake_NamesItsKeyPath(string find, string replace, string expected)
    {
        var valid = Profile();
        Assert.NotNull(RestProfileLoader.Parse(valid, "p", [], []));
        Assert.Contains(find, valid, StringComparison.Ordinal);
        var failures = new List<string>();

        Assert.Null(RestProfileLoader.Parse(valid.Replace(find, replace, StringComparison.Ordinal), "profile file 'p.yaml'", [], failures));

        Assert.Contains(failures, f => f.StartsWith("profile file 'p.yaml': ", StringComparison.Ordinal) && f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("paginator: { type: keyset, size_param: limit, page_size: 100, key_field: \"$.id\" }", "$.streams[0].joins[0].paginator: a keyset paginator on a join")]
    [InlineData("paginator: { type: offset, offset_param: skip, limit_param: top, page_size: 100, inject_into: body, body_path: paging.offset }", "$.streams[0].joins[0].paginator: inject_into: body on a join")]
    public void AJoinPagesInTheQuery_NotByKeysetNorInABody(string joinPaginator, string expected)
    {
        var failures = new List<string>();

        Assert.Null(RestProfileLoader.Parse(Profile(joinPaginator: joinPaginator), "profile file 'p.yaml'", [], failures));

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("pick: first", "pick: middle")]
    [InlineData("batch: 100", "batch: 0")]
    [InlineData("on: \"$.task.value\"", "# on")]
    [InlineData("  team: { path: \"$.group\"", "  external_id: { path: \"$.group\"")]
    [InlineData("record: conversation", "record: survey")]
    public void TheSchema_AcceptsAJoin_AndRejectsWhatTheLoaderRejects(string find, string replace)
    {
        var profile = find.Length == 0 ? Profile() : Profile().Replace(find, replace, StringComparison.Ordinal);
        var valid = find.Length == 0;
        Assert.Equal(valid, RestSchema.Evaluate(RestProfileLoader.ToJson(profile)).IsValid);
        Assert.Equal(valid, RestProfileLoader.Parse(profile, "p", [], []) is not null);
    }

    [Fact]
    public void AFieldsPick_TakesTheFirstOrTheLastMatch_AndANullLiteralFiltersOnPresence()
    {
        var doc = System.Text.Json.JsonDocument.Parse("""{"data":[{"t":"in","u":null,"at":1},{"t":"out","u":null,"at":2},{"t":"out","u":7,"at":3},{"t":"out","u":8,"at":4},{"t":"out","at":5}]}""").RootElement;

        Assert.Equal([3, 4], JsonPath.TryParse("$.data[?(@.t=='out' && @.u!=null)].at", out _)!.Select(doc).Select(e => e.GetInt32()));
        Assert.Equal([2, 5], JsonPath.TryParse("$.data[?(@.t=='out' && @.u==null)].at", out _)!.Select(doc).Select(e => e.GetInt32()));
        Assert.Equal(5, JsonPath.TryParse("$.data[*].at", out _)!.Last(doc)!.Value.GetInt32());
        Assert.Null(JsonPath.TryParse("$.none[*].at", out _)!.Last(doc));
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    internal static Dictionary<string, string> Query(IRequestMessage request)
    {
        var parsed = HttpUtility.ParseQueryString(new Uri(request.Url).Query);
        return parsed.AllKeys.OfType<string>().ToDictionary(k => k, k => parsed[k]!);
    }

    /// <summary>GET /api/slas answers the body <paramref name="body"/> makes of the query (null: fail with <paramref name="failure"/>, 200 a malformed body).</summary>
    private void Slas(Func<Dictionary<string, string>, string?> body, int failure = 500) =>
        _platform.Server.Given(Request.Create().WithPath("/api/slas").UsingGet()).RespondWith(Response.Create().WithCallback(request =>
        {
            var text = body(Query(request));
            return new ResponseMessage
            {
                StatusCode = text is null ? failure : 200,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData { BodyAsString = text ?? "{\"result\":[", DetectedBodyType = BodyType.String },
            };
        }));
}

/// <summary>docs/profile.schema.json, for tests of new profile keys.</summary>
internal static class RestSchema
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(SchemaFile()));

    public static EvaluationResults Evaluate(JsonNode? profile) => Schema.Evaluate(profile);

    private static string SchemaFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "docs", "profile.schema.json");
            if (File.Exists(file))
            {
                return file;
            }
        }

        throw new FileNotFoundException("docs/profile.schema.json not found above the test directory");
    }
}
