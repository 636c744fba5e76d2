using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Bitrix24;
using KpiCollector.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace KpiCollector.Tests.Sources.Bitrix24;

/// <summary>
/// The Bitrix24 connector against Bitrix24's documented answer shapes served by WireMock on loopback: the activity
/// list paged by id, the batched session histories (maps written as objects or as PHP's empty arrays), the per-poll
/// budget of history calls resumed from the cursor, QUERY_LIMIT_EXCEEDED, malformed pages and the settings' checks.
/// </summary>
public sealed class Bitrix24SourceTests : IDisposable
{
    private const string Code = "b24whk0de5ecret9x";
    private const string Root = "/rest/7/" + Code + "/";
    private static readonly DateTimeOffset T0 = Records.T0;
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly LogCapture _logs = new();
    private readonly Dictionary<long, JsonObject> _histories = [];

    public Bitrix24SourceTests() => _platform.Server.Given(Request.Create().WithPath(Root + "batch").UsingPost()).RespondWith(Response.Create().WithCallback(r => Batch(r.Body ?? "")));

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Sessions_MapFromTheActivityAndTheHistory_WithBotAndOperatorAnswersAndTheVote()
    {
        var c = T0.AddHours(-3);
        _platform.Sequence(Root + "crm.activity.list", List(
            Activity(101, 11, "whatsappbyedna", c, c.AddMinutes(1)),
            Activity(102, 12, "livechat", c, c.AddMinutes(30), completed: c.AddMinutes(30), responsible: 5),
            Activity(103, 13, "my_sms", c, c.AddMinutes(2)),
            Activity(104, 14, "telegrambot", c, c.AddMinutes(3))));
        _histories[11] = History(Msg(1, c, 900), Msg(2, c.AddSeconds(20), 77), Msg(3, c.AddMinutes(4), 5), Msg(4, c.AddMinutes(6), 5)); // bot, then operator twice
        _histories[12] = History([Msg(5, c, 900), Msg(6, c.AddMinutes(2), 5), Msg(7, c.AddMinutes(30), 0)], vote: 5, usersAsArray: true);
        _histories[13] = History(Msg(8, c, 900));
        using var source = Source(s => s.ConnectorChannels["my_sms"] = "sms");

        var batches = await Drain(source, null);

        var t = batches.SelectMany(b => b.Conversations).GroupBy(x => x.ExternalId).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal(["11", "12", "13", "14"], t.Keys.Order());
        Assert.Equal((Channels.WhatsApp, ConversationStatus.Open, c.AddSeconds(20), ResponderKind.Bot, c.AddMinutes(4), 2), (t["11"].Channel, t["11"].Status, t["11"].FirstResponseAt, t["11"].FirstResponderKind, t["11"].FirstHumanResponseAt, t["11"].AgentPublicReplies));
        Assert.Equal((Channels.Chat, ConversationStatus.Closed, c.AddMinutes(2), ResponderKind.Human, c.AddMinutes(30), "5"), (t["12"].Channel, t["12"].Status, t["12"].FirstResponseAt, t["12"].FirstResponderKind, t["12"].ClosedAt, t["12"].AssigneeId));
        Assert.Equal(c.AddMinutes(30), t["12"].ResolvedAt);
        Assert.Equal((Channels.Sms, ConversationStatus.New, (DateTimeOffset?)null, 0), (t["13"].Channel, t["13"].Status, t["13"].FirstResponseAt, t["13"].AgentPublicReplies)); // the configured connector; nobody answered
        Assert.Equal((Channels.Social, (int?)null), (t["14"].Channel, t["14"].AgentPublicReplies)); // the history call failed: kept without answers
        Assert.Contains(_logs.Entries, e => e.Message.Contains("history of session 14 could not be read", StringComparison.Ordinal));
        var vote = Assert.Single(batches.SelectMany(b => b.Surveys));
        Assert.Equal(("12", SurveyKind.Csat, 5.0, 1.0, 5.0), (vote.ConversationId, vote.Kind, vote.Score!.Value, vote.ScaleMin, vote.ScaleMax));

        var list = Query(Assert.Single(_platform.Requests(Root + "crm.activity.list")));
        Assert.Equal(("IMOPENLINES_SESSION", "0", "ASC", "-1"), (list["filter[PROVIDER_ID]"].Single(), list["filter[>ID]"].Single(), list["order[ID]"].Single(), list["start"].Single()));
        Assert.Equal(T0.AddDays(-1), DateTimeOffset.Parse(list["filter[>=LAST_UPDATED]"].Single()!, CultureInfo.InvariantCulture));
        var batch = Assert.Single(_platform.Requests(Root + "batch")).RequestMessage!.Body!;
        Assert.Contains("cmd%5Bs11%5D=imopenlines.session.history.get%3FSESSION_ID%3D11", batch, StringComparison.Ordinal);
        Assert.Equal(T0 - Bitrix24Source.Overlap, batches[^1].Watermark); // the sweep ended with nothing waiting
        Assert.DoesNotContain(Code, _logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHistoryBudget_LeavesSessionsInTheCursor_AndARestartedSourceReadsThemFirst()
    {
        var c = T0.AddHours(-2);
        var rows = Enumerable.Range(1, 60).Select(i => Activity(1000 + i, i, "livechat", c.AddMinutes(i), c.AddMinutes(i))).ToArray();
        _platform.Sequence(Root + "crm.activity.list", List(rows[..50]), List(rows[50..]), List(), List());
        foreach (var i in Enumerable.Range(1, 60))
        {
            _histories[i] = History(Msg(i * 10, c.AddMinutes(i), 900), Msg((i * 10) + 1, c.AddMinutes(i + 1), 5));
        }

        string cursor;
        using (var source = Source(s => s.SessionHistoryPerPoll = 50))
        {
            var first = await Drain(source, null);
            cursor = first[^1].Cursor;
            var delivered = first.SelectMany(b => b.Conversations).ToList();
            Assert.Equal(60, delivered.Count); // the ten over the budget are counted now, their answers come later
            Assert.Equal(10, delivered.Count(x => x.FirstResponseAt is null));
            Assert.Equal(1, _platform.Count(Root + "batch"));
            Assert.Equal(c.AddMinutes(51) - TimeSpan.FromSeconds(1), first[^1].Watermark); // held back by the oldest waiting session
            Assert.Empty(Bitrix24Cursor.Parse(cursor).Read); // hours old: no later sweep lists them again, so the cursor does not keep them
        }

        using var restarted = Source(s => s.SessionHistoryPerPoll = 50);
        var second = await Drain(restarted, cursor);

        var resumed = second.SelectMany(b => b.Conversations).ToList();
        Assert.Equal(Enumerable.Range(51, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), resumed.Select(x => x.ExternalId));
        Assert.All(resumed, x => Assert.Equal(ResponderKind.Human, x.FirstResponderKind));
        Assert.Equal(2, _platform.Count(Root + "batch"));
        var lists = _platform.Requests(Root + "crm.activity.list").Select(r => Query(r)["filter[>ID]"].Single()).ToList();
        Assert.Equal(["0", "1050", "0"], lists); // the second poll starts a new sweep after draining the cursor
        Assert.Equal(T0 - Bitrix24Source.Overlap, second[^1].Watermark);
    }

    [Fact]
    public async Task TheOverlapReadAgain_IsNotFetchedAgain_UnlessTheActivityChanged()
    {
        var c = T0.AddMinutes(-30);
        _platform.Sequence(Root + "crm.activity.list",
            List(Activity(1, 1, "livechat", c, T0.AddSeconds(-20)), Activity(2, 2, "livechat", c, T0.AddSeconds(-10))),
            List(Activity(1, 1, "livechat", c, T0.AddSeconds(-20)), Activity(2, 2, "livechat", c, T0.AddSeconds(30), completed: T0.AddSeconds(30))));
        _histories[1] = History(Msg(1, c, 900));
        _histories[2] = History(Msg(2, c, 900));
        using var source = Source();
        var first = await Drain(source, null);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var second = await Drain(source, first[^1].Cursor);

        var changed = Assert.Single(second.SelectMany(b => b.Conversations));
        Assert.Equal(("2", ConversationStatus.Closed), (changed.ExternalId, changed.Status));
        Assert.Equal(2, _platform.Count(Root + "batch"));
        Assert.Equal([2L], Bitrix24Cursor.Parse(second[^1].Cursor).Read.Keys); // only 2 lies within the overlap of the next sweep
        var since = Query(_platform.Requests(Root + "crm.activity.list").Last())["filter[>=LAST_UPDATED]"].Single()!;
        Assert.Equal(T0 - Bitrix24Source.Overlap, DateTimeOffset.Parse(since, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task QueryLimitExceeded_IsRateLimited_AndAMalformedPageFailsWhole_NamingTheField()
    {
        _platform.Sequence(Root + "crm.activity.list",
            FakePlatform.Json("""{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}""", 503),
            List(Activity(1, 1, "livechat", T0.AddHours(-1), T0.AddHours(-1)), new JsonObject { ["ID"] = "2", ["CREATED"] = "2026-11-02T08:00:00+03:00" }));
        using var source = Source();
        using var again = Source(); // the first is paused for the leaky bucket to drain

        var limited = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));
        var malformed = await Assert.ThrowsAsync<SourceException>(() => Drain(again, null));

        Assert.Equal(ErrorReasons.RateLimited, limited.Reason);
        Assert.Equal(ErrorReasons.Parse, malformed.Reason);
        Assert.Contains("$.result[1].ASSOCIATED_ENTITY_ID", malformed.Message, StringComparison.Ordinal);
        Assert.Equal(0, _platform.Count(Root + "batch")); // nothing of the page was applied
        Assert.Equal(ErrorReasons.Parse, Assert.Throws<SourceException>(() => Bitrix24Cursor.Parse("fd1:{}")).Reason);
    }

    [Fact]
    public void TheBatchAnswer_TakesPhpsEmptyArrays_AndTheCursorRoundTrips()
    {
        var (results, errors) = Bitrix24Json.Batch("""{"result":{"result":[],"result_error":[],"result_total":[],"result_next":[],"result_time":[]},"time":{}}""");
        Assert.Empty(results);
        Assert.Empty(errors);
        var state = new Bitrix24Cursor { Since = 10, AfterId = 5, Pending = [new Bitrix24Pending { ActivityId = 5, SessionId = 6, Created = 1, Updated = 2, Connector = "viber" }], Read = new() { [4] = 3 } };
        var back = Bitrix24Cursor.Parse(state.Format());
        Assert.Equal((10L, 5L, 6L, 3L), (back.Since, back.AfterId, back.Pending.Single().SessionId, back.Read[4]));
    }

    [Fact]
    public void Validation_NamesEveryBadKey_AndNeverRepeatsAPastedWebhookUrl()
    {
        var options = new SourceOptions
        {
            Name = "bx",
            Platform = Bitrix24Platform.Id,
            BaseUrl = $"https://acme.bitrix24.com/rest/1/{Code}/",
            ApiToken = Code,
            Settings = new Bitrix24Settings { UserId = 0, SessionHistoryPerPoll = 0, ConnectorChannels = { ["x"] = "pigeon" } },
        };
        var failures = new List<string>();

        new Bitrix24Platform().Validate(new SourceContext(options, 2, new KpiCollectorOptions()), failures);

        Assert.Collection(
            failures,
            f => Assert.StartsWith("KpiCollector:Sources:2:Bitrix24:UserId:", f, StringComparison.Ordinal),
            f => Assert.StartsWith("KpiCollector:Sources:2:BaseUrl: looks like an inbound webhook URL", f, StringComparison.Ordinal),
            f => Assert.StartsWith("KpiCollector:Sources:2:Bitrix24:SessionHistoryPerPoll", f, StringComparison.Ordinal),
            f => Assert.StartsWith("KpiCollector:Sources:2:Bitrix24:ConnectorChannels:x:", f, StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains(Code, StringComparison.Ordinal));
    }

    private Bitrix24Source Source(Action<Bitrix24Settings>? adjust = null)
    {
        var settings = new Bitrix24Settings { UserId = 7 };
        adjust?.Invoke(settings);
        return new Bitrix24Source(new SourceOptions
        {
            Name = "bx",
            Platform = Bitrix24Platform.Id,
            BaseUrl = _platform.Url.ToString(),
            ApiToken = Code,
            Backfill = "1d",
            MaxRetries = 0,
            Settings = settings,
        }, 0, _clock, _logs.For<Bitrix24Source>());
    }

    private WireMock.ResponseMessage Batch(string form)
    {
        var results = new JsonObject();
        var errors = new JsonObject();
        foreach (var pair in form.Split('&'))
        {
            var key = Uri.UnescapeDataString(pair.Split('=')[0]);
            if (!key.StartsWith("cmd[s", StringComparison.Ordinal))
            {
                continue;
            }

            var name = key[4..^1];
            var session = long.Parse(name[1..], CultureInfo.InvariantCulture);
            if (_histories.TryGetValue(session, out var history))
            {
                results[name] = history.DeepClone();
            }
            else
            {
                errors[name] = new JsonObject { ["error"] = "SESSION_ERROR", ["error_description"] = "Session not found" };
            }
        }

        var body = new JsonObject
        {
            ["result"] = new JsonObject
            {
                ["result"] = results.Count == 0 ? new JsonArray() : results,
                ["result_error"] = errors.Count == 0 ? new JsonArray() : errors,
                ["result_total"] = new JsonArray(),
                ["result_next"] = new JsonArray(),
            },
        };
        return new WireMock.ResponseMessage
        {
            StatusCode = 200,
            BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = body.ToJsonString() },
            Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        };
    }

    private static string Date(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(3)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static JsonObject Activity(long id, long session, string connector, DateTimeOffset created, DateTimeOffset updated, DateTimeOffset? completed = null, long responsible = 0) => new()
    {
        ["ID"] = id.ToString(CultureInfo.InvariantCulture),
        ["ASSOCIATED_ENTITY_ID"] = session.ToString(CultureInfo.InvariantCulture),
        ["PROVIDER_ID"] = "IMOPENLINES_SESSION",
        ["PROVIDER_TYPE_ID"] = connector,
        ["CREATED"] = Date(created),
        ["START_TIME"] = Date(created),
        ["END_TIME"] = Date(completed ?? created.AddDays(1)),
        ["LAST_UPDATED"] = Date(updated),
        ["COMPLETED"] = completed is null ? "N" : "Y",
        ["RESPONSIBLE_ID"] = responsible.ToString(CultureInfo.InvariantCulture),
    };

    private static IResponseBuilder List(params JsonObject[] rows) =>
        FakePlatform.Json(new JsonObject { ["result"] = new JsonArray([.. rows]), ["time"] = new JsonObject() }.ToJsonString());

    private static (long Id, DateTimeOffset At, long Author) Msg(long id, DateTimeOffset at, long author) => (id, at, author);

    private static JsonObject History(params (long Id, DateTimeOffset At, long Author)[] messages) => History(messages, 0, false);

    /// <summary>900 is the customer (through a connector), 77 a bot, 5 an operator, 0 the system.</summary>
    private static JsonObject History((long Id, DateTimeOffset At, long Author)[] messages, int vote, bool usersAsArray)
    {
        JsonObject User(long id, bool bot, bool connector) => new() { ["id"] = id, ["name"] = $"User {id}", ["bot"] = bot, ["connector"] = connector };
        JsonObject[] users = [User(900, false, true), User(77, true, false), User(5, false, false)];
        var message = new JsonObject();
        foreach (var (id, at, author) in messages)
        {
            message[id.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["id"] = id, ["chat_id"] = 3, ["author_id"] = author, ["date"] = Date(at), ["text"] = "…", ["params"] = new JsonArray() };
        }

        return new JsonObject
        {
            ["chatId"] = 3,
            ["sessionId"] = 1,
            ["sessionVote"] = vote,
            ["sessionVoteHead"] = 0,
            ["message"] = message,
            ["users"] = usersAsArray ? new JsonArray([.. users]) : new JsonObject(users.Select(u => KeyValuePair.Create(u["id"]!.ToString(), (JsonNode?)u))),
        };
    }

    private static Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Query(WireMock.Logging.ILogEntry entry) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(entry.RequestMessage!.Url).Query);

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
