using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Sources;
using KpiCollector.Sources.Chatwoot;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;

namespace KpiCollector.Tests.Sources.Chatwoot;

/// <summary>The Chatwoot connector against bodies shaped like Chatwoot's jbuilder views, served by WireMock on loopback.</summary>
public sealed class ChatwootSourceTests : IDisposable
{
    private const string Token = "cw-access-T0ken-77aa";
    private const string Account = "/api/v1/accounts/3";
    private static readonly DateTimeOffset T0 = Records.T0;
    private static readonly long Created = T0.AddHours(-2).ToUnixTimeSeconds();
    private readonly FakePlatform _platform = FakePlatform.Start();
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly LogCapture _logs = new();

    public ChatwootSourceTests()
    {
        On("/api", """{"version":"4.12.1","timestamp":"2026-11-02 09:00:00"}""");
        On($"{Account}/inboxes", """
            {"payload":[{"id":1,"name":"WA","channel_type":"Channel::Whatsapp","provider":"whatsapp_cloud"},
                        {"id":2,"name":"Twilio WA","channel_type":"Channel::TwilioSms","medium":"whatsapp"},
                        {"id":3,"name":"Twilio SMS","channel_type":"Channel::TwilioSms","medium":"sms"},
                        {"id":4,"name":"Web","channel_type":"Channel::WebWidget"}]}
            """);
    }

    public void Dispose()
    {
        _platform.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Conversations_MapWithZeroMeaningUnset_AndInboxTypesAsChannels()
    {
        Conversations(
            Conversation(11, 1, "open", firstReply: 0, waitingSince: Created),
            Conversation(12, 2, "open", firstReply: Created + 60, waitingSince: 0),
            Conversation(13, 3, "open", firstReply: Created + 60, waitingSince: Created + 600),
            Conversation(14, 4, "pending", firstReply: 0, waitingSince: Created),
            Conversation(15, 4, "snoozed", firstReply: Created + 30, waitingSince: 0),
            Conversation(16, 1, "resolved", firstReply: Created + 90, waitingSince: 0));
        Messages(16, $$$"""
            {"meta":{},"payload":[
              {"id":1,"content":"hi","message_type":0,"created_at":{{{Created}}},"private":false,"sender":{"id":5,"type":"contact"}},
              {"id":2,"content":"greeting","message_type":3,"created_at":{{{Created}}},"private":false},
              {"id":3,"content":"bot here","message_type":1,"created_at":{{{Created + 5}}},"private":false,"sender":{"id":1,"type":"agent_bot"}},
              {"id":4,"content":"note","message_type":1,"created_at":{{{Created + 40}}},"private":true,"sender":{"id":9,"type":"user"}},
              {"id":5,"content":"agent here","message_type":1,"created_at":{{{Created + 90}}},"private":false,"sender":{"id":9,"type":"user"}},
              {"id":6,"content":"again","message_type":1,"created_at":{{{Created + 200}}},"private":false,"sender":{"id":9,"type":"user"}},
              {"id":7,"content":"Conversation was marked resolved by Ana","message_type":2,"created_at":{{{Created + 300}}},"private":false}]}
            """);
        using var source = Source(readMessages: true);

        var c = (await Drain(source, null)).SelectMany(b => b.Conversations).GroupBy(x => x.ExternalId).ToDictionary(g => g.Key, g => g.Last());

        Assert.Equal((Channels.WhatsApp, ConversationStatus.Open), (c["11"].Channel, c["11"].Status));
        Assert.Null(c["11"].FirstResponseAt); // first_reply_created_at 0 is "no reply yet", not 1970
        Assert.Equal((Channels.WhatsApp, ConversationStatus.Pending), (c["12"].Channel, c["12"].Status)); // Twilio with medium whatsapp; agent replied, nobody waits
        Assert.Equal((Channels.Sms, ConversationStatus.Open), (c["13"].Channel, c["13"].Status));
        Assert.Equal((Channels.Chat, ConversationStatus.New), (c["14"].Channel, c["14"].Status));
        Assert.Equal(ConversationStatus.OnHold, c["15"].Status);
        var resolved = c["16"];
        Assert.Equal((ConversationStatus.Solved, ResponderKind.Bot), (resolved.Status, resolved.FirstResponderKind));
        Assert.Equal((At(Created + 5), At(Created + 90), 2), (resolved.FirstResponseAt, resolved.FirstHumanResponseAt, resolved.AgentPublicReplies));
        Assert.Equal(At(Created + 300), resolved.ResolvedAt);
        Assert.Equal("4.12.1", source.Status.PlatformVersion);
        Assert.Contains(_logs.Entries, e => e.Message.Contains("WhatsApp inboxes: 1, 2", StringComparison.Ordinal));
        Assert.All(_platform.Requests($"{Account}/conversations"), r => Assert.Equal(Token, r.RequestMessage!.Headers!["api_access_token"].Single()));
    }

    [Fact]
    public async Task StatusChangeActivities_GiveTheResolutionTimeAndTheReopens_AndExternalEchoesAreAgentReplies()
    {
        Conversations(
            Conversation(31, 1, "resolved", firstReply: Created + 60, waitingSince: 0),
            Conversation(32, 4, "resolved", firstReply: Created + 30, waitingSince: 0),
            Conversation(33, 1, "resolved", firstReply: Created + 30, waitingSince: 0));
        Messages(31, $$$"""
            {"meta":{},"payload":[
              {"id":1,"content":"hi","message_type":0,"created_at":{{{Created}}},"private":false,"sender":{"id":5,"type":"contact"}},
              {"id":2,"content":"from the phone","message_type":1,"created_at":{{{Created + 60}}},"private":false,"source_id":"wamid.1","content_attributes":{"external_echo":true}},
              {"id":3,"content":"Conversation was marked resolved by Ana","message_type":2,"created_at":{{{Created + 300}}},"private":false,"content_attributes":{}},
              {"id":4,"content":"again","message_type":0,"created_at":{{{Created + 1000}}},"private":false,"sender":{"id":5,"type":"contact"}},
              {"id":5,"content":"System reopened the conversation due to a new incoming message.","message_type":2,"created_at":{{{Created + 1000}}},"private":false},
              {"id":6,"content":"sorted","message_type":1,"created_at":{{{Created + 1200}}},"private":false,"sender":{"id":9,"type":"user"}},
              {"id":7,"content":"Conversación resuelta por Ana","message_type":2,"created_at":{{{Created + 1500}}},"private":false,
               "content_attributes":{"activity":{"type":"conversation_status_changed","status":"resolved"} } },
              {"id":8,"content":"Ana added billing","message_type":2,"created_at":{{{Created + 3000}}},"private":false}]}
            """);
        Messages(32, $$$"""
            {"meta":{},"payload":[
              {"id":1,"content":"hi","message_type":0,"created_at":{{{Created}}},"private":false,"sender":{"id":5,"type":"contact"}},
              {"id":2,"content":"agent","message_type":1,"created_at":{{{Created + 30}}},"private":false,"sender":{"id":9,"type":"user"}},
              {"id":3,"content":"Conversation was marked resolved by Ana","message_type":2,"created_at":{{{Created + 300}}},"private":false},
              {"id":4,"content":"Assigned to Bob by Ana","message_type":2,"created_at":{{{Created + 900}}},"private":false}]}
            """);
        Messages(33, $$$"""
            {"meta":{},"payload":[
              {"id":1,"content":"agent","message_type":1,"created_at":{{{Created + 30}}},"private":false,"sender":{"id":9,"type":"user"}},
              {"id":2,"content":"Conversazione risolta da Ana","message_type":2,"created_at":{{{Created + 400}}},"private":false}]}
            """);
        using var source = Source(readMessages: true);

        var c = (await Drain(source, null)).SelectMany(b => b.Conversations).GroupBy(x => x.ExternalId).ToDictionary(g => g.Key, g => g.Last());

        var reopened = c["31"];
        Assert.Equal((2, 1), (reopened.AgentPublicReplies, reopened.Reopens)); // the echo is an agent reply; resolved, reopened, resolved
        Assert.Equal((At(Created + 300), At(Created + 1500)), (reopened.FirstResolvedAt, reopened.ResolvedAt)); // not the label added afterwards
        Assert.Equal((At(Created + 60), ResponderKind.Human), (reopened.FirstHumanResponseAt, reopened.FirstResponderKind));
        Assert.Equal((At(Created + 300), 0, 1), (c["32"].ResolvedAt, c["32"].Reopens, c["32"].AgentPublicReplies)); // not the assignment after the resolve
        Assert.Equal(At(Created + 400), c["33"].ResolvedAt); // no status change it can read (another language): the last activity
        Assert.Null(c["33"].Reopens); // and the reopens are unknown, so FCR leaves it out
    }

    [Fact]
    public async Task CsatResponses_AreAskedForWithSinceAndUntil_SoOnePollReadsOnlyTheNewOnes()
    {
        Conversations();
        On($"{Account}/csat_survey_responses", $$$"""[{"id":5,"rating":4,"conversation_id":99,"created_at":{{{T0.AddMinutes(-5).ToUnixTimeSeconds()}}}}]""");
        On($"{Account}/conversations/99", Conversation(99, 1, "resolved", firstReply: Created + 60, waitingSince: 0));
        using var source = Source(readMessages: false, csat: true);

        var survey = Assert.Single((await Drain(source, null)).SelectMany(b => b.Surveys));

        Assert.Equal(("5", 4.0, Channels.WhatsApp), (survey.ExternalId, survey.Score, survey.Channel));
        var query = Assert.Single(_platform.Requests($"{Account}/csat_survey_responses")).RequestMessage!.Query!;
        Assert.Equal(T0.AddDays(-1).AddHours(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), query["since"].Single()); // the backfill, less the overlap
        Assert.Equal((T0.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture), query["until"].Single()); // Chatwoot ignores since without until
    }

    [Fact]
    public async Task AnInboxCreatedAfterStart_IsReadAgain()
    {
        Conversations(Conversation(21, 9, "open", firstReply: 0, waitingSince: Created));
        using var source = Source(readMessages: false);

        var c = (await Drain(source, null)).SelectMany(b => b.Conversations).Last();

        Assert.Equal(Channels.Other, c.Channel); // inbox 9 is unknown even after reading them again; meta.channel is empty
        Assert.True(_platform.Count($"{Account}/inboxes") >= 2);
    }

    [Fact]
    public async Task AMissingVersionEndpoint_IsAWarningNotAFailedPoll()
    {
        _platform.Server.Given(Request.Create().WithPath("/api").UsingGet()).AtPriority(0).RespondWith(FakePlatform.Status(404));
        Conversations();
        using var source = Source(readMessages: false);

        await Drain(source, null);

        Assert.Null(source.Status.PlatformVersion);
        Assert.Contains(_logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not read the Chatwoot version", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARefusedToken_FailsWithAuth_NamingTheKeys()
    {
        _platform.Server.Given(Request.Create().WithPath($"{Account}/inboxes").UsingGet()).AtPriority(0)
            .RespondWith(FakePlatform.Json("""{"error":"You need to sign in or sign up before continuing."}""", 401));
        using var source = Source(readMessages: false);

        var ex = await Assert.ThrowsAsync<SourceException>(() => Drain(source, null));

        Assert.Equal(ErrorReasons.Auth, ex.Reason);
        Assert.Contains("a Chatwoot access token for account KpiCollector:Sources:0:Chatwoot:AccountId", Assert.Single(_logs.Entries, e => e.Level == LogLevel.Error).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, _logs.AllText + ex, StringComparison.Ordinal);
    }

    private static DateTimeOffset At(long epoch) => DateTimeOffset.FromUnixTimeSeconds(epoch);

    private ChatwootSource Source(bool readMessages, bool csat = false) => new(new SourceOptions
    {
        Name = "cw",
        Platform = ChatwootPlatform.Id,
        BaseUrl = _platform.Url.ToString(),
        ApiToken = Token,
        Backfill = "1d",
        Timeout = "5s",
        MaxRetries = 0,
        Settings = new ChatwootSettings { AccountId = 3, ReadMessages = readMessages, Csat = csat },
    }, 0, _clock, _logs.For<ChatwootSource>(), new Random(1));

    private static string Conversation(long id, long inbox, string status, long firstReply, long waitingSince) => $$$"""
        {"id":{{{id}}},"account_id":3,"inbox_id":{{{inbox}}},"status":"{{{status}}}","priority":null,"created_at":{{{Created}}},"updated_at":{{{Created + 600}}}.25,
         "timestamp":{{{Created + 600}}},"first_reply_created_at":{{{firstReply}}},"waiting_since":{{{waitingSince}}},"can_reply":true,"labels":["billing"],
         "unread_count":1,"meta":{"channel":"","sender":{"id":77,"name":"Ana"},"assignee":{"id":5,"name":"Bob"},"assignee_type":"User"}}
        """;

    private void Conversations(params string[] conversations)
    {
        var body = $$$"""{"data":{"meta":{"mine_count":0,"assigned_count":0,"unassigned_count":0,"all_count":{{{conversations.Length}}}},"payload":[{{{string.Join(",", conversations)}}}]}}""";
        On($"{Account}/conversations", body);
        _platform.Server.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher($"{Account}/conversations/*/messages")).UsingGet())
            .AtPriority(10).RespondWith(FakePlatform.Json("""{"meta":{},"payload":[]}"""));
    }

    private void Messages(long conversation, string body) =>
        _platform.Server.Given(Request.Create().WithPath($"{Account}/conversations/{conversation}/messages").UsingGet()).AtPriority(1).RespondWith(FakePlatform.Json(body));

    private void On(string path, string body) =>
        _platform.Server.Given(Request.Create().WithPath(path).UsingGet()).AtPriority(5).RespondWith(FakePlatform.Json(body));

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
