using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KpiCollector.Tests.Sources.Interakt;

/// <summary>Webhook bodies shaped like Interakt's (docs/sources.md, "Interakt"), and their signatures.</summary>
internal static class InteraktBodies
{
    public const string SecretKey = "test-interakt-secret-9d2c";

    public static string Sign(string body, string secret = SecretKey) => Sign(Encoding.UTF8.GetBytes(body), secret);

    public static string Sign(byte[] body, string secret = SecretKey) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A customer's message (<c>message_received</c>).</summary>
    public static string Inbound(string phone, string id, DateTimeOffset at, string kind = "CustomerMessage") =>
        Envelope("message_received", at, phone, "{\"id\":\"" + id + "\",\"chat_message_type\":\"" + kind + "\",\"channel_failure_reason\":null,\"message_status\":\"Sent\","
            + "\"received_at_utc\":\"" + Iso(at) + "\",\"delivered_at_utc\":null,\"seen_at_utc\":null,\"campaign_id\":null,\"is_template_message\":false,"
            + "\"raw_template\":null,\"channel_error_code\":null,\"message_content_type\":\"Text\",\"media_url\":null,\"message\":\"Where is my order?\",\"meta_data\":{}}");

    /// <summary>
    /// A status of a message sent through the API (<c>message_api_{status}</c>), sent at <paramref name="sentAt"/>; the
    /// delivered and seen times are filled as far as the status goes, each <paramref name="step"/> after the one before.
    /// </summary>
    public static string Status(string phone, string id, string status, DateTimeOffset sentAt, TimeSpan? step = null, string? errorCode = null, string prefix = "message_api_")
    {
        var gap = step ?? TimeSpan.FromSeconds(2);
        var delivered = status is "delivered" or "read" ? "\"" + Iso(sentAt + gap) + "\"" : "null";
        var seen = status == "read" ? "\"" + Iso(sentAt + gap + gap) + "\"" : "null";
        var envelopeAt = status switch { "read" => sentAt + gap + gap, "delivered" => sentAt + gap, "failed" => sentAt.AddSeconds(1), _ => sentAt };
        var failed = status == "failed";
        return Envelope(prefix + status, envelopeAt, phone, "{\"id\":\"" + id + "\",\"chat_message_type\":\"PublicApiMessage\","
            + "\"channel_failure_reason\":" + (failed ? "\"Recipient is not a valid WhatsApp user\"" : "null") + ","
            + "\"message_status\":\"" + char.ToUpperInvariant(status[0]) + status[1..] + "\",\"received_at_utc\":\"" + Iso(sentAt) + "\","
            + "\"delivered_at_utc\":" + delivered + ",\"seen_at_utc\":" + seen + ",\"campaign_id\":null,\"is_template_message\":true,"
            + "\"channel_error_code\":" + (errorCode is null ? "null" : "\"" + errorCode + "\"") + ",\"message_content_type\":\"Template\",\"media_url\":null,"
            + "\"message\":\"[]\",\"meta_data\":{\"source\":\"PublicInterakt\",\"source_data\":{\"callback_data\":\"order-42\"}}}");
    }

    public static string Envelope(string type, DateTimeOffset at, string phone, string message) =>
        "{\"version\":\"1.0\",\"timestamp\":\"" + Iso(at) + "\",\"type\":\"" + type + "\",\"data\":{\"customer\":{\"id\":\"52918eb3-bd00-4331-a51d-c4dcffee48d6\","
        + "\"channel_phone_number\":\"" + phone + "\",\"traits\":{\"name\":\"Asha\",\"whatsapp_opted_in\":true}},\"message\":" + message + "}}";

    /// <summary>Interakt's time format: ISO 8601 in UTC, microseconds, no offset.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}
