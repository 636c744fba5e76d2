using System.Globalization;
using System.Text.Json;
using KpiCollector.Sources.WhatsApp;

namespace KpiCollector.Sources.Interakt;

/// <summary>
/// Reads one Interakt webhook body (docs/sources.md, "Interakt") into the <see cref="WebhookEvent"/>s the WhatsApp
/// threads are built from, all or nothing. A body is one event: <c>{"version","timestamp","type","data":{"customer",
/// "message"}}</c>. <c>message_received</c> from the customer (<c>chat_message_type</c> <c>CustomerMessage</c>) is an
/// inbound message; <c>message_api_sent</c>, <c>_delivered</c>, <c>_read</c> and <c>_failed</c> are statuses of a message
/// the business sent through Interakt's API. Other types (button clicks, campaign statuses, test pings) are
/// acknowledged and carry no events. Contents and customer traits are never kept: the contact is a digest of the
/// customer's WhatsApp number.
/// </summary>
/// <remarks>
/// Interakt writes times as ISO 8601 without an offset (<c>2022-06-03T05:57:57.359000</c>); the field names say UTC,
/// and a time without an offset is read as UTC. Each event's time is the one its field names: <c>received_at_utc</c>
/// for a customer message and a sent status, <c>delivered_at_utc</c>, <c>seen_at_utc</c>, and the envelope's
/// <c>timestamp</c> for a failure or when the field is empty. The plausible window is WhatsApp's
/// (<see cref="WebhookPayload.IsPlausible"/>).
/// </remarks>
public static class InteraktPayload
{
    /// <summary>The <see cref="WebhookEvent.PhoneNumberId"/> of every Interakt event: a body does not name the business number.</summary>
    public const string Number = "interakt";

    private const string CustomerMessage = "CustomerMessage";

    /// <summary>The status types read, with the state each reports and the field that holds its time.</summary>
    private static readonly Dictionary<string, (string State, string? TimeField)> Statuses = new(StringComparer.Ordinal)
    {
        ["message_api_sent"] = ("sent", "received_at_utc"),
        ["message_api_delivered"] = ("delivered", "delivered_at_utc"),
        ["message_api_read"] = ("read", "seen_at_utc"),
        ["message_api_failed"] = ("failed", null),
    };

    /// <summary>The events (none for a type that is not read), or null with <paramref name="problem"/> naming the offending path.</summary>
    public static IReadOnlyList<WebhookEvent>? Parse(ReadOnlySpan<byte> body, DateTimeOffset receivedAt, out string? problem)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var events = new List<WebhookEvent>();
            problem = Read(doc.RootElement, events);
            if (problem is null && events.FirstOrDefault(e => !WebhookPayload.IsPlausible(e.Timestamp, receivedAt)) is { } implausible)
            {
                problem = $"the time of {implausible.Kind} {Short(implausible.Id)} is outside the plausible window ({WebhookPayload.MaxAge.TotalDays:F0} days before to {WebhookPayload.MaxAhead.TotalHours:F0} h after its arrival)";
            }

            return problem is null ? events : null;
        }
        catch (JsonException ex)
        {
            problem = $"not JSON ({ex.Message.Split(". ")[0]})";
            return null;
        }
        catch (InvalidOperationException)
        {
            problem = "a string is not valid UTF-8";
            return null;
        }
    }

    private static string? Read(JsonElement root, List<WebhookEvent> events)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "$: not an object";
        }

        if (String(root, "type") is not { Length: > 0 } type)
        {
            return "$.type: missing";
        }

        var isMessage = type == "message_received";
        if (!isMessage && !Statuses.ContainsKey(type))
        {
            return null; // clicks, campaign statuses, test pings: acknowledged, nothing for the KPIs
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            return "$.data: missing or not an object";
        }

        if (!data.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object || String(message, "id") is not { Length: > 0 } id)
        {
            return "$.data.message.id: missing";
        }

        if (!data.TryGetProperty("customer", out var customer) || customer.ValueKind != JsonValueKind.Object || Phone(customer) is not { } phone)
        {
            return "$.data.customer.channel_phone_number: missing";
        }

        var envelope = Time(root, "timestamp", out var badEnvelope);
        if (badEnvelope)
        {
            return "$.timestamp: not an ISO 8601 time";
        }

        if (isMessage)
        {
            if (String(message, "chat_message_type") is { } kind && kind != CustomerMessage)
            {
                return null; // not from the customer
            }

            var at = Time(message, "received_at_utc", out var bad) ?? envelope;
            if (bad || at is null)
            {
                return "$.data.message.received_at_utc: missing or not an ISO 8601 time";
            }

            events.Add(new WebhookEvent(WebhookEvent.Message, id, Number, WebhookPayload.ContactDigest(phone), at.Value));
            return null;
        }

        var (state, field) = Statuses[type];
        long? time = null;
        if (field is not null)
        {
            time = Time(message, field, out var bad);
            if (bad)
            {
                return $"$.data.message.{field}: not an ISO 8601 time";
            }
        }

        time ??= envelope;
        if (time is null)
        {
            return $"$.timestamp: missing (and $.data.message.{field ?? "received_at_utc"} empty)";
        }

        events.Add(new WebhookEvent(WebhookEvent.Status, id, Number, WebhookPayload.ContactDigest(phone), time.Value, state, state == "failed" ? ErrorCode(message) : null));
        return null;
    }

    /// <summary>The customer's number with its country code: <c>channel_phone_number</c>, else <c>country_code</c> and <c>phone_number</c>.</summary>
    private static string? Phone(JsonElement customer)
    {
        if (String(customer, "channel_phone_number") is { } full && Digits(full) is { Length: > 0 } digits)
        {
            return digits;
        }

        return String(customer, "phone_number") is { } local && Digits((String(customer, "country_code") ?? "") + local) is { Length: > 0 } joined ? joined : null;
    }

    private static string Digits(string s) => string.Concat(s.Where(char.IsAsciiDigit));

    /// <summary><c>channel_error_code</c> of a failed message, digits only (a string or a number).</summary>
    private static string? ErrorCode(JsonElement message)
    {
        if (!message.TryGetProperty("channel_error_code", out var code))
        {
            return null;
        }

        return code.ValueKind switch
        {
            JsonValueKind.Number when code.TryGetInt64(out var n) && n >= 0 => n.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.String when long.TryParse(code.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>
    /// A time field as Unix seconds; null when absent, null or empty. <paramref name="bad"/> when present but not a
    /// time (a number, or text that is not ISO 8601).
    /// </summary>
    private static long? Time(JsonElement e, string name, out bool bad)
    {
        bad = false;
        if (!e.TryGetProperty(name, out var t) || t.ValueKind == JsonValueKind.Null || (t.ValueKind == JsonValueKind.String && t.GetString()!.Length == 0))
        {
            return null;
        }

        if (t.ValueKind == JsonValueKind.String
            && t.GetString() is { } text && text.Length >= 10 && char.IsAsciiDigit(text[0])
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at.ToUnixTimeSeconds();
        }

        bad = true;
        return null;
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Short(string? s) => s is null ? "" : s.Length > 40 ? s[..40] + "…" : s;
}
