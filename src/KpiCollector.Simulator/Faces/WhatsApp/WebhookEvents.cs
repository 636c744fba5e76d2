using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.WhatsApp;

/// <summary>
/// What Meta posts for the simulation's WhatsApp messages (docs/sources.md, WhatsApp: "Webhook payload"), as
/// deterministic functions of the seed: the contact's <c>wa_id</c> and profile name, each message's <c>wamid</c>, the
/// inbound <c>messages[]</c> entry, and each outbound message's statuses with their timestamps (sent at the message,
/// delivered 1-5 s later, read 3 s to 10 min after that; a failed message only its <c>failed</c> status, 1-3 s later).
/// </summary>
public static class WebhookEvents
{
    private static readonly string[] Names = ["Sheena", "Jonas", "Lea", "Mehmet", "Anna", "Lukas", "Sofia", "Paul", "Mia", "Elias", "Emma", "Noah", "Hannah", "Ben", "Marie", "Finn"];

    private static readonly string[] Texts =
    [
        "Hi, I need help with my order", "Hello, my payment did not go through", "Can you check my invoice?",
        "The app keeps logging me out", "When will my parcel arrive?", "Thanks, that worked", "Still not working, sorry",
        "Could you call me back?", "I would like to change my plan", "Ok, I sent the screenshot",
    ];

    private static readonly JsonObject ServicePricing = new()
    {
        ["billable"] = false,
        ["pricing_model"] = "PMP",
        ["type"] = "free_customer_service",
        ["category"] = "service",
    };

    /// <summary>One status of an outbound message, and when Meta sends it (its timestamp, to the tick).</summary>
    public readonly record struct Status(DateTimeOffset At, string Name, JsonObject Body);

    /// <summary>A German mobile number for a simulated customer: 4915 and nine digits.</summary>
    public static string WaId(int seed, string customerId) =>
        string.Create(CultureInfo.InvariantCulture, $"4915{StableHash.Of(seed, customerId, "wa_id") % 1_000_000_000:D9}");

    public static string ProfileName(int seed, string customerId) => Names[StableHash.Of(seed, customerId, "name") % (ulong)Names.Length];

    /// <summary>A wamid shaped like Meta's (<c>wamid.HBg…</c>, base64 of the number and a message key).</summary>
    public static string Wamid(int seed, string waId, string messageId) =>
        "wamid.HBgN" + Convert.ToBase64String(Encoding.ASCII.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{waId}FQIAEhgU{StableHash.Of(seed, messageId, "wamid"):X16}{StableHash.Of(seed, messageId, "wamid2") % 0xFFFF:X4}")));

    /// <summary>The <c>contacts</c> and <c>messages</c> of an inbound message's webhook value.</summary>
    public static (JsonObject Contact, JsonObject Message) Inbound(int seed, SimulatedWhatsApp.LoggedMessage logged)
    {
        var m = logged.Message;
        var waId = WaId(seed, logged.CustomerId);
        return (
            new JsonObject { ["profile"] = new JsonObject { ["name"] = ProfileName(seed, logged.CustomerId) }, ["wa_id"] = waId },
            new JsonObject
            {
                ["from"] = waId,
                ["id"] = Wamid(seed, waId, m.ExternalId),
                ["timestamp"] = Timestamp(m.At),
                ["type"] = "text",
                ["text"] = new JsonObject { ["body"] = Texts[StableHash.Of(seed, m.ExternalId, "text") % (ulong)Texts.Length] },
            });
    }

    /// <summary>An outbound message's statuses in the order they happen, by its final delivery status.</summary>
    public static List<Status> Statuses(int seed, SimulatedWhatsApp.LoggedMessage logged)
    {
        var m = logged.Message;
        var waId = WaId(seed, logged.CustomerId);
        var wamid = Wamid(seed, waId, m.ExternalId);
        if (m.DeliveryStatus == "failed")
        {
            var failedAt = m.At + StableHash.Between(seed, m.ExternalId, "failed", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
            var status = StatusBody(wamid, "failed", failedAt, waId, pricing: false);
            status["errors"] = new JsonArray(Error(m.ErrorCode));
            return [new Status(failedAt, "failed", status)];
        }

        var statuses = new List<Status> { new(m.At, "sent", StatusBody(wamid, "sent", m.At, waId, pricing: false)) };
        var deliveredAt = m.At + StableHash.Between(seed, m.ExternalId, "delivered", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        statuses.Add(new Status(deliveredAt, "delivered", StatusBody(wamid, "delivered", deliveredAt, waId, pricing: true)));
        if (m.DeliveryStatus == "read")
        {
            var readAt = deliveredAt + StableHash.Between(seed, m.ExternalId, "read", TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(10));
            statuses.Add(new Status(readAt, "read", StatusBody(wamid, "read", readAt, waId, pricing: true)));
        }

        return statuses;
    }

    /// <summary>Unix seconds as a string, as the webhooks write every timestamp.</summary>
    public static string Timestamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static JsonObject StatusBody(string wamid, string status, DateTimeOffset at, string waId, bool pricing)
    {
        var body = new JsonObject { ["id"] = wamid, ["status"] = status, ["timestamp"] = Timestamp(at), ["recipient_id"] = waId };
        if (pricing)
        {
            body["pricing"] = ServicePricing.DeepClone();
        }

        return body;
    }

    private static JsonObject Error(string? code)
    {
        var (number, title, details) = code switch
        {
            "131047" => (131047, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
            "130429" => (130429, "Rate limit hit", "Cloud API message throughput has been reached."),
            _ => (131026, "Message undeliverable", "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number, or the recipient has not accepted the new Terms of Service."),
        };
        return new JsonObject
        {
            ["code"] = number,
            ["title"] = title,
            ["message"] = title,
            ["error_data"] = new JsonObject { ["details"] = details },
        };
    }
}
