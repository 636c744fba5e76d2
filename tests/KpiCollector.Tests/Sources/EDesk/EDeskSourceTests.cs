using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.EDesk;
using KpiCollector.Tests.Support;
using WireMock.RequestBuilders;

namespace KpiCollector.Tests.Sources.EDesk;

/// <summary>The eDesk connector against documented response shapes served by WireMock on loopback: mapping, the date-only filter, the message budget and the cursor.</summary>
public sealed class EDeskSourceTests : IDisposable
{
    private const string Token = "edesk-T0ken-5ecret-77";
    private const string TicketsPath = "/v1/tickets";
    private static readonly DateTimeOffset T0 = Records.T0; // 2026-11-02 09:00 UTC: 04:00 in New York (EST, UTC-5)
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly TimerWatchingClock _clock = new(T0);
    private readonly LogCapture _logs = new();

    public EDeskSourceTests() => On("/v1/channels", Page(
        Channel(1, "Support mailbox", "email"), Channel(7, "Amazon UK", "amazon"), Channel(9, "WhatsApp", "whatsapp")));

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task ATicketsMessages_GiveBotAndHumanResponses_Resolutions_Reopens_AndTheRating()
    {
        var c = T0.AddHours(-5);
        On(TicketsPath, Page(
            Ticket(1, "Closed", 7, Iso(c), Iso(c.AddMinutes(60)), [101, 102, 103, 104, 105, 106, 107, 108, 109], owner: 55, contact: 77),
            Ticket(2, "Unread", 9, c.ToUnixTimeSeconds(), null, []),
            Ticket(3, "Priority", 1, "2026-11-02 01:30:00", "2026-11-02 01:30:00", [301])));
        OnMessage(Message(101, "Message", "Incoming", c, consumer: 77));
        OnMessage(Message(102, "AutoReply", "Outgoing", c.AddMinutes(1)));
        OnMessage(Message(103, "Message", "Outgoing", c.AddMinutes(10), user: 55));
        OnMessage(Message(104, "Note", "Other", c.AddMinutes(11), user: 55));
        OnMessage(Message(105, "Message", "Outgoing", c.AddMinutes(20), user: 55));
        OnMessage(Message(106, "Status", "Other", c.AddMinutes(30), body: "Status changed from Open to Closed"));
        OnMessage(Message(107, "Status", "Other", c.AddMinutes(40), body: "Status changed from Closed to Open"));
        OnMessage(Message(108, "Status", "Other", c.AddMinutes(50), body: "Status changed from Open to Closed"));
        OnMessage(Message(109, "Rating", "Incoming", c.AddMinutes(60), consumer: 77, rating: 4), wrapped: false);
        OnMessage(Message(301, "Message", "Incoming", T0.AddHours(-2.5), consumer: 78));
        using var source = Source(s => s.TimeZone = "America/New_York");

        var batches = await Drain(source, null);

        var t = batches.SelectMany(b => b.Conversations).ToDictionary(x => x.ExternalId);
        var one = t["1"];
        Assert.Equal((Channels.Web, ConversationStatus.Solved, "55", "77"), (one.Channel, one.Status, one.AssigneeId, one.RequesterId)); // Amazon: a marketplace
        Assert.Equal((c.AddMinutes(1), ResponderKind.Bot, c.AddMinutes(10), 2), (one.FirstResponseAt, one.FirstResponderKind, one.FirstHumanResponseAt, one.AgentPublicReplies));
        Assert.Equal((c.AddMinutes(30), c.AddMinutes(50), 1, (DateTimeOffset?)null), (one.FirstResolvedAt, one.ResolvedAt, one.Reopens, one.ClosedAt));
        Assert.Equal((c, c.AddMinutes(60)), (one.CreatedAt, one.UpdatedAt));
        var rating = Assert.Single(batches.SelectMany(b => b.Surveys));
        Assert.Equal(("109", "1", SurveyKind.Csat, 4.0, 1.0, 5.0, Channels.Web, c.AddMinutes(60)), (rating.ExternalId, rating.ConversationId, rating.Kind, rating.Score, rating.ScaleMin, rating.ScaleMax, rating.Channel, rating.RespondedAt));

        Assert.Equal((Channels.WhatsApp, ConversationStatus.New, c, (DateTimeOffset?)null), (t["2"].Channel, t["2"].Status, t["2"].CreatedAt, t["2"].FirstResponseAt)); // created_at in epoch seconds
        Assert.Equal((Channels.Email, ConversationStatus.Open, "high"), (t["3"].Channel, t["3"].Status, t["3"].Priority));
        Assert.Equal(T0.AddHours(-2.5), t["3"].CreatedAt); // 01:30 without an offset: New York time

        // Two days back from 04:00 on 2 November in New York is 31 October there.
        var q = Assert.Single(_platform.Requests(TicketsPath)).RequestMessage!.Query!;
        Assert.Equal(("2026-10-31", "id", "asc", "1", "100"), (q["filter_last_updated_at_gte"].Single(), q["order_by"].Single(), q["order_direction"].Single(), q["page"].Single(), q["itemsPerPage"].Single()));
        Assert.All(_platform.Server.LogEntries, e => Assert.Equal($"Bearer {Token}", e.RequestMessage!.Headers!["Authorization"].Single()));
        Assert.Equal(T0 - EDeskSource.ListLag, batches[^1].Watermark);
        Assert.DoesNotContain(Token, _logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMessageBudget_EndsThePoll_AndTheNextOne_EvenAfterARestart_ResumesWithoutRereadingWhatWasDelivered()
    {
        var c = T0.AddHours(-3);
        On(TicketsPath, Page(
            Ticket(1, "Open", 1, Iso(c), Iso(c.AddMinutes(5)), [11, 12]),
            Ticket(2, "Open", 1, Iso(c), Iso(c.AddMinutes(5)), [21, 22]),
            Ticket(3, "Open", 1, Iso(c), Iso(c.AddMinutes(5)), [31, 32])));
        foreach (var id in new[] { 11, 21, 31 })
        {
            OnMessage(Message(id, "Message", "Incoming", c, consumer: 1));
            OnMessage(Message(id + 1, "Message", "Outgoing", c.AddMinutes(5), user: 2));
        }

        using var first = Source(s => s.MessagesPerPoll = 3);
        var poll1 = await Drain(first, null);
        Assert.Equal(["1"], poll1.SelectMany(b => b.Conversations).Select(x => x.ExternalId));
        Assert.Null(poll1[^1].Watermark);
        Assert.Equal(3, MessageRequests());
        Assert.Contains(_logs.Entries, e => e.Message.Contains("KpiCollector:Sources:0:EDesk:MessagesPerPoll", StringComparison.Ordinal));

        using var restarted = Source(s => s.MessagesPerPoll = 3); // a new process: nothing in memory, only the saved cursor
        var poll2 = await Drain(restarted, poll1[^1].Cursor);
        Assert.Equal(["2"], poll2.SelectMany(b => b.Conversations).Select(x => x.ExternalId)); // 1 is skipped by its version
        Assert.Equal(6, MessageRequests());

        var poll3 = await Drain(restarted, poll2[^1].Cursor);
        Assert.Equal(["3"], poll3.SelectMany(b => b.Conversations).Select(x => x.ExternalId)); // 31 was kept in memory
        Assert.Equal(7, MessageRequests());
        Assert.Equal(T0 - EDeskSource.ListLag, poll3[^1].Watermark);

        var poll4 = await Drain(restarted, poll3[^1].Cursor);
        Assert.Empty(poll4.SelectMany(b => b.Conversations));
        Assert.Equal(7, MessageRequests());
        var days = _platform.Requests(TicketsPath).Select(r => r.RequestMessage!.Query!["filter_last_updated_at_gte"].Single()).ToList();
        Assert.Equal(["2026-10-31", "2026-10-31", "2026-10-31", "2026-11-02"], days); // the next pass re-reads the day it started in
    }

    [Fact]
    public async Task FullPages_AreReadInTurn_AndAChangedTicketIsDeliveredAgain_ForOnlyItsNewMessage()
    {
        var c = T0.AddHours(-3);
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).WithParam("page", "1").UsingGet())
            .RespondWith(FakePlatform.Json(Page(2, Ticket(1, "Open", 1, Iso(c), Iso(c), [11]), Ticket(2, "Open", 1, Iso(c), Iso(c), [21]))));
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).WithParam("page", "2").UsingGet())
            .RespondWith(FakePlatform.Json(Page(2, Ticket(3, "Open", 1, Iso(c), Iso(c), [31]))));
        foreach (var id in new[] { 11, 21, 31 })
        {
            OnMessage(Message(id, "Message", "Incoming", c, consumer: 1));
        }

        using var source = Source(s => s.PageSize = 2);
        var pass1 = await Drain(source, null);
        Assert.Equal(["1", "2", "3"], pass1.SelectMany(b => b.Conversations).Select(x => x.ExternalId));

        _platform.Server.ResetMappings(); // ticket 1 gets a reply and is closed
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).WithParam("page", "1").UsingGet())
            .RespondWith(FakePlatform.Json(Page(2, Ticket(1, "Closed", 1, Iso(c), Iso(c.AddMinutes(9)), [11, 12]), Ticket(2, "Open", 1, Iso(c), Iso(c), [21]))));
        _platform.Server.Given(Request.Create().WithPath(TicketsPath).WithParam("page", "2").UsingGet())
            .RespondWith(FakePlatform.Json(Page(2, Ticket(3, "Open", 1, Iso(c), Iso(c), [31]))));
        OnMessage(Message(12, "Message", "Outgoing", c.AddMinutes(9), user: 2));
        var pass2 = await Drain(source, pass1[^1].Cursor);

        var again = Assert.Single(pass2.SelectMany(b => b.Conversations));
        Assert.Equal(("1", ConversationStatus.Solved, c.AddMinutes(9), c.AddMinutes(9)), (again.ExternalId, again.Status, again.FirstHumanResponseAt, again.ResolvedAt));
        Assert.Equal(4, MessageRequests());
    }

    [Fact]
    public async Task AMalformedPage_FailsThePollWithReasonParse_NamingTheField_AndDeliversNothing()
    {
        On(TicketsPath, Page(Ticket(1, "Open", 1, Iso(T0.AddHours(-1)), Iso(T0.AddHours(-1)), []), Ticket(2, "Open", 1, "not-a-timestamp", null, [])));
        using var source = Source();
        var delivered = new List<SourceBatch>();

        var ex = await Assert.ThrowsAsync<SourceException>(async () =>
        {
            await foreach (var b in source.PollAsync(null, CancellationToken.None))
            {
                delivered.Add(b);
            }
        });

        Assert.Equal(ErrorReasons.Parse, ex.Reason);
        Assert.Contains("$.data[1].created_at", ex.Message, StringComparison.Ordinal);
        Assert.Empty(delivered);
    }

    [Fact]
    public void Validation_NamesEveryBadKey_AllAtOnce()
    {
        var settings = new EDeskSettings { TimeZone = "Mars/Olympus", PageSize = 500, MessagesPerPoll = 0, RatingScaleMax = 1 };
        settings.Channels["abc"] = "email";
        settings.Channels["7"] = "marketplace";
        settings.Statuses["Scheduled"] = "later";
        var failures = new List<string>();

        new EDeskPlatform().Validate(new SourceContext(new SourceOptions { Name = "ed", Platform = "edesk", Settings = settings }, 2, new KpiCollectorOptions()), failures);

        const string Key = "KpiCollector:Sources:2:EDesk";
        Assert.Equal(7, failures.Count);
        foreach (var key in new[] { "TimeZone", "PageSize", "MessagesPerPoll", "RatingScaleMax", "Channels:abc", "Channels:7", "Statuses:Scheduled" })
        {
            Assert.Contains(failures, f => f.StartsWith($"{Key}:{key}: ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("Amazon DE", "amazon", Channels.Web)]
    [InlineData("eBay store", "ebay", Channels.Web)]
    [InlineData("Support", "email", Channels.Email)]
    [InlineData("Live chat", "chat", Channels.Chat)]
    [InlineData("Instagram", "instagram", Channels.Social)]
    [InlineData("Aircall", "voice", Channels.Phone)]
    [InlineData("Mystery", null, Channels.Other)]
    public void Channels_MapByNameAndType(string name, string? type, string expected) =>
        Assert.Equal(expected, EDeskMapping.ChannelFromName(name, type));

    private int MessageRequests() => _platform.Server.LogEntries.Count(e => e.RequestMessage!.Path.StartsWith("/v1/messages/", StringComparison.Ordinal));

    private EDeskSource Source(Action<EDeskSettings>? adjust = null)
    {
        var settings = new EDeskSettings();
        adjust?.Invoke(settings);
        return new EDeskSource(new SourceOptions
        {
            Name = "ed",
            Platform = EDeskPlatform.Id,
            BaseUrl = _platform.Url.ToString(),
            ApiToken = Token,
            Backfill = "2d",
            Timeout = "5s",
            MaxRetries = 0,
            RequestsPerMinute = 100_000,
            Settings = settings,
        }, 0, _clock, _logs.For<EDeskSource>(), new Random(5));
    }

    private void On(string path, string body) =>
        _platform.Server.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(FakePlatform.Json(body));

    private void OnMessage(JsonObject message, bool wrapped = true) =>
        On($"/v1/messages/{message["id"]}", (wrapped ? new JsonObject { ["data"] = message } : message).ToJsonString());

    private static string Page(params JsonObject[] items) => Page(100, items);

    private static string Page(int perPage, params JsonObject[] items) => new JsonObject
    {
        ["data"] = new JsonArray([.. items]),
        ["paginator"] = new JsonObject { ["currentPage"] = 1, ["itemsPerPage"] = perPage, ["totalItemsCount"] = perPage == 2 ? 3 : items.Length },
    }.ToJsonString();

    private static JsonObject Channel(long id, string name, string type) => new() { ["id"] = id, ["name"] = name, ["type"] = type };

    private static JsonObject Ticket(long id, string status, long channel, JsonNode? created, JsonNode? updated, long[] messages, long? owner = null, long? contact = null) => new()
    {
        ["id"] = id,
        ["subject"] = $"Ticket {id}",
        ["type"] = "Query",
        ["status"] = status,
        ["channel_id"] = channel,
        ["created_at"] = created,
        ["last_updated_at"] = updated,
        ["owner_user_id"] = owner,
        ["contact_id"] = contact,
        ["time_left_to_reply"] = false,
        ["messages_ids"] = new JsonArray([.. messages.Select(m => (JsonNode)m)]),
    };

    private static JsonObject Message(long id, string type, string direction, DateTimeOffset at, long? user = null, long? consumer = null, string? body = null, int? rating = null) => new()
    {
        ["id"] = id,
        ["type"] = type,
        ["direction"] = direction,
        ["from_user"] = user is null ? null : new JsonObject { ["id"] = user, ["name"] = "Agent", ["role"] = "agent" },
        ["from_consumer_id"] = consumer,
        ["created_at"] = Iso(at),
        ["body"] = body ?? "text",
        ["rating"] = rating,
    };

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

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
