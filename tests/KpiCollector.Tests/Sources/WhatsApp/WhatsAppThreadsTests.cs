using KpiCollector.Core.Records;
using KpiCollector.Sources.WhatsApp;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>How webhook events become conversations and message events (docs/sources.md, "WhatsApp Cloud API facts" and WhatsApp's "What is read, and how it maps").</summary>
public sealed class WhatsAppThreadsTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private static readonly string Alice = WebhookPayload.ContactDigest("4915112345678");
    private static readonly string Bob = WebhookPayload.ContactDigest("4915187654321");

    [Fact]
    public void TheFirstBusinessMessageAfterTheWait_IsTheFirstResponse_AndRepliesToTheWait()
    {
        var threads = new WhatsAppThreads("wa", TimeSpan.FromHours(24));

        threads.Apply([In("in-1", Alice, 0), In("in-2", Alice, 30), Status("out-1", Alice, "sent", 120), Status("out-1", Alice, "delivered", 122)]);
        var (conversations, messages) = threads.TakeChanges();

        var c = Assert.Single(conversations);
        Assert.Equal(("in-1", Channels.WhatsApp, ConversationStatus.Pending), (c.ExternalId, c.Channel, c.Status));
        Assert.Equal((T, T.AddSeconds(120), T.AddSeconds(120), ResponderKind.Human), (c.CreatedAt, c.FirstResponseAt, c.FirstHumanResponseAt, c.FirstResponderKind));
        Assert.Equal(Alice, c.RequesterId); // a digest, never the phone number
        Assert.DoesNotContain("4915112345678", c.RequesterId, StringComparison.Ordinal);
        var reply = messages.Single(m => m.ExternalId == "out-1");
        Assert.Equal((MessageDirection.Outbound, "delivered", T, T.AddSeconds(120)), (reply.Direction, reply.DeliveryStatus, reply.RespondsToAt, reply.At));
        Assert.True(messages.Single(m => m.ExternalId == "in-1").StartsWait);
        Assert.False(messages.Single(m => m.ExternalId == "in-2").StartsWait);
    }

    [Fact]
    public void StatusesOutOfOrder_KeepTheHighest_AndTheSendTime_DuplicatesChangeNothing()
    {
        var threads = new WhatsAppThreads("wa", TimeSpan.FromHours(24));
        threads.Apply([In("in-1", Alice, 0)]);
        threads.TakeChanges();

        threads.Apply([Status("out-1", Alice, "read", 200), Status("out-1", Alice, "sent", 100), Status("out-1", Alice, "delivered", 150)]);
        var (conversations, messages) = threads.TakeChanges();
        threads.Apply([Status("out-1", Alice, "delivered", 150), In("in-1", Alice, 0)]);
        var again = threads.TakeChanges();

        var reply = Assert.Single(messages);
        Assert.Equal(("read", T.AddSeconds(100)), (reply.DeliveryStatus, reply.At)); // never downgraded to delivered; sent is the send time
        Assert.Equal(T.AddSeconds(100), Assert.Single(conversations).FirstResponseAt); // corrected when the earlier sent status arrived
        Assert.Empty(again.Conversations);
        Assert.Empty(again.Messages);
    }

    [Fact]
    public void AFailedMessage_CarriesItsErrorCode_AndAnswersNobody()
    {
        var threads = new WhatsAppThreads("wa", TimeSpan.FromHours(24));
        threads.Apply([In("in-1", Alice, 0), Status("out-1", Alice, "failed", 60, "131047")]);

        var (conversations, messages) = threads.TakeChanges();

        var failed = messages.Single(m => m.ExternalId == "out-1");
        Assert.Equal(("failed", "131047", (DateTimeOffset?)null), (failed.DeliveryStatus, failed.ErrorCode, failed.RespondsToAt));
        Assert.Null(Assert.Single(conversations).FirstResponseAt);
    }

    [Fact]
    public void AWindowThatEndsUnanswered_ClosesTheThread_AndALaterMessageOpensANewOne()
    {
        var threads = new WhatsAppThreads("wa", TimeSpan.FromHours(24));
        threads.Apply([In("in-1", Alice, 0), In("in-b", Bob, 0), Status("out-b", Bob, "sent", 60)]);
        threads.TakeChanges();

        threads.Expire(T.AddHours(24));
        var expired = threads.TakeChanges().Conversations.ToDictionary(c => c.ExternalId);
        threads.Apply([In("in-2", Alice, 25 * 3600)]);
        var next = Assert.Single(threads.TakeChanges().Conversations);

        Assert.Equal((ConversationStatus.Closed, T.AddHours(24), (DateTimeOffset?)null), (expired["in-1"].Status, expired["in-1"].ClosedAt, expired["in-1"].FirstResponseAt));
        Assert.Equal((ConversationStatus.Closed, T.AddSeconds(60)), (expired["in-b"].Status, expired["in-b"].FirstResponseAt)); // answered, then over
        Assert.Equal(("in-2", ConversationStatus.New), (next.ExternalId, next.Status));
    }

    [Fact]
    public void ABusinessInitiatedMessage_WithoutAThread_CountsOnlyAsAMessage()
    {
        var threads = new WhatsAppThreads("wa", TimeSpan.FromHours(24));

        threads.Apply([Status("tmpl-1", Bob, "delivered", 10)]);
        var (conversations, messages) = threads.TakeChanges();

        Assert.Empty(conversations);
        Assert.Equal((null, "delivered"), (Assert.Single(messages).RespondsToAt, messages[0].DeliveryStatus));
    }

    private static WebhookEvent In(string id, string contact, long seconds) =>
        new(WebhookEvent.Message, id, WebhookBodies.PhoneNumberId, contact, T.AddSeconds(seconds).ToUnixTimeSeconds());

    private static WebhookEvent Status(string id, string contact, string state, long seconds, string? error = null) =>
        new(WebhookEvent.Status, id, WebhookBodies.PhoneNumberId, contact, T.AddSeconds(seconds).ToUnixTimeSeconds(), state, error);
}
