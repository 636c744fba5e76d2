using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KpiCollector.Tests.Sources.WhatsApp;

/// <summary>Webhook bodies shaped like Meta's (docs/sources.md, "Webhook payload"), and their signatures.</summary>
internal static class WebhookBodies
{
    public const string AppSecret = "test-app-secret-5e1f";
    public const string VerifyToken = "verify-token-42";
    public const string PhoneNumberId = "106540352242922";

    public static string Sign(string body, string secret = AppSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public static string Inbound(string waId, string wamid, DateTimeOffset at) => Envelope(
        "\"contacts\":[{\"profile\":{\"name\":\"Sheena\"},\"wa_id\":\"" + waId + "\"}],"
        + "\"messages\":[{\"from\":\"" + waId + "\",\"id\":\"" + wamid + "\",\"timestamp\":\"" + Unix(at) + "\",\"type\":\"text\",\"text\":{\"body\":\"Hi, my order?\"}}]");

    public static string Status(string waId, string wamid, string status, DateTimeOffset at, int? errorCode = null) =>
        Envelope("\"statuses\":[" + StatusItem(waId, wamid, status, at, errorCode) + "]");

    public static string StatusItem(string waId, string wamid, string status, DateTimeOffset at, int? errorCode = null) =>
        "{\"id\":\"" + wamid + "\",\"status\":\"" + status + "\",\"timestamp\":\"" + Unix(at) + "\",\"recipient_id\":\"" + waId + "\","
        + "\"pricing\":{\"billable\":false,\"pricing_model\":\"PMP\",\"type\":\"free_customer_service\",\"category\":\"service\"}"
        + (errorCode is { } code
            ? ",\"errors\":[{\"code\":" + code.ToString(CultureInfo.InvariantCulture) + ",\"title\":\"Re-engagement message\",\"message\":\"Re-engagement message\",\"error_data\":{\"details\":\"More than 24 hours have passed since the customer last replied.\"}}]"
            : "")
        + "}";

    public static string Envelope(string value) =>
        "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\",\"changes\":[{\"field\":\"messages\",\"value\":{"
        + "\"messaging_product\":\"whatsapp\",\"metadata\":{\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"" + PhoneNumberId + "\"},"
        + value + "}}]}]}";

    private static string Unix(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
