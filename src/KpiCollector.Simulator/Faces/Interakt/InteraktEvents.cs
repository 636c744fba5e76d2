using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.WhatsApp;

namespace KpiCollector.Simulator.Faces.Interakt;

/// <summary>
/// What Interakt posts for the simulation's WhatsApp messages (docs/sources.md, "Interakt"), as deterministic
/// functions of the seed: the customer's number and id, each message's id, the <c>message_received</c> body of an
/// inbound message, and each outbound message's <c>message_api_*</c> statuses with their times (sent at the message,
/// delivered 1-5 s later, read 3 s to 10 min after that; a failed message only <c>message_api_failed</c>, 1-3 s later).
/// Written from Interakt's documented sample bodies: the envelope <c>version</c>, <c>timestamp</c>, <c>type</c>, and
/// <c>data.customer</c> and <c>data.message</c>, times in ISO 8601 UTC without an offset.
/// </summary>
public static class InteraktEvents
{
    /// <summary>One delivery-to-be: when it is due, its type (and so its status), and its body.</summary>
    public readonly record struct Event(DateTimeOffset At, string Type, JsonObject Body);

    /// <summary>An Indian mobile number for a simulated customer: 91, then 9 and nine digits.</summary>
    public static string Phone(int seed, string customerId) =>
        string.Create(CultureInfo.InvariantCulture, $"919{StableHash.Of(seed, customerId, "interakt-phone") % 1_000_000_000:D9}");

    /// <summary>A UUID-shaped message id, as Interakt gives every message.</summary>
    public static string MessageId(int seed, string messageId) => Uuid(seed, messageId, "interakt-message");

    public static Event Inbound(int seed, SimulatedWhatsApp.LoggedMessage logged)
    {
        var m = logged.Message;
        var message = Message(seed, m, "CustomerMessage", "Sent", m.At, null, null);
        message["is_template_message"] = false;
        message["message_content_type"] = "Text";
        message["message"] = "Hi, where is my order?";
        return new Event(m.At, "message_received", Envelope("message_received", m.At, Customer(seed, logged.CustomerId), message));
    }

    /// <summary>An outbound message's status events in the order they happen, by its final delivery status.</summary>
    public static List<Event> Statuses(int seed, SimulatedWhatsApp.LoggedMessage logged)
    {
        var m = logged.Message;
        if (m.DeliveryStatus == "failed")
        {
            var failedAt = m.At + StableHash.Between(seed, m.ExternalId, "interakt-failed", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
            var failed = Message(seed, m, "PublicApiMessage", "Failed", m.At, null, null);
            failed["channel_failure_reason"] = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";
            failed["channel_error_code"] = m.ErrorCode ?? "131026";
            return [Status(seed, logged, "failed", failedAt, failed)];
        }

        var deliveredAt = m.At + StableHash.Between(seed, m.ExternalId, "interakt-delivered", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        var readAt = m.DeliveryStatus == "read" ? deliveredAt + StableHash.Between(seed, m.ExternalId, "interakt-read", TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(10)) : (DateTimeOffset?)null;
        var events = new List<Event>
        {
            Status(seed, logged, "sent", m.At, Message(seed, m, "PublicApiMessage", "Sent", m.At, null, null)),
            Status(seed, logged, "delivered", deliveredAt, Message(seed, m, "PublicApiMessage", "Delivered", m.At, deliveredAt, null)),
        };
        if (readAt is { } read)
        {
            events.Add(Status(seed, logged, "read", read, Message(seed, m, "PublicApiMessage", "Read", m.At, deliveredAt, read)));
        }

        return events;
    }

    /// <summary>Interakt's time format: ISO 8601 in UTC with microseconds and no offset.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private static Event Status(int seed, SimulatedWhatsApp.LoggedMessage logged, string status, DateTimeOffset at, JsonObject message)
    {
        message["is_template_message"] = true;
        message["message_content_type"] = "Template";
        message["message"] = "[{\"type\": \"body\", \"parameters\": []}]";
        message["meta_data"] = new JsonObject { ["source"] = "PublicInterakt", ["source_data"] = new JsonObject { ["callback_data"] = logged.Message.ConversationId } };
        var type = "message_api_" + status;
        return new Event(at, type, Envelope(type, at, Customer(seed, logged.CustomerId), message));
    }

    private static JsonObject Message(int seed, MessageEvent m, string kind, string status, DateTimeOffset receivedAt, DateTimeOffset? deliveredAt, DateTimeOffset? seenAt) => new()
    {
        ["id"] = MessageId(seed, m.ExternalId),
        ["chat_message_type"] = kind,
        ["channel_failure_reason"] = null,
        ["message_status"] = status,
        ["received_at_utc"] = Iso(receivedAt),
        ["delivered_at_utc"] = deliveredAt is { } d ? Iso(d) : null,
        ["seen_at_utc"] = seenAt is { } s ? Iso(s) : null,
        ["campaign_id"] = null,
        ["raw_template"] = null,
        ["channel_error_code"] = null,
        ["media_url"] = null,
        ["meta_data"] = new JsonObject(),
    };

    private static JsonObject Customer(int seed, string customerId)
    {
        var phone = Phone(seed, customerId);
        return new JsonObject
        {
            ["id"] = Uuid(seed, customerId, "interakt-customer"),
            ["channel_phone_number"] = phone,
            ["phone_number"] = phone[2..],
            ["country_code"] = "+91",
            ["traits"] = new JsonObject { ["name"] = WebhookEvents.ProfileName(seed, customerId), ["whatsapp_opted_in"] = true },
        };
    }

    private static JsonObject Envelope(string type, DateTimeOffset at, JsonObject customer, JsonObject message) => new()
    {
        ["version"] = "1.0",
        ["timestamp"] = Iso(at),
        ["type"] = type,
        ["data"] = new JsonObject { ["customer"] = customer, ["message"] = message },
    };

    private static string Uuid(int seed, string key, string salt)
    {
        var a = StableHash.Of(seed, key, salt);
        var b = StableHash.Of(seed, key, salt + "-2");
        return string.Create(CultureInfo.InvariantCulture, $"{a >> 32:x8}-{(a >> 16) & 0xFFFF:x4}-4{a & 0xFFF:x3}-{0x8000 | (b >> 48 & 0x3FFF):x4}-{b & 0xFFFFFFFFFFFF:x12}");
    }
}
