using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KpiCollector.Sources.WhatsApp;

/// <summary>
/// One thing a webhook delivery reports, normalized and stripped of content: an inbound customer message, or a
/// status of an outbound business message. The contact is a digest of the WhatsApp id, never the phone number.
/// </summary>
/// <param name="Kind"><see cref="Message"/> or <see cref="Status"/>.</param>
/// <param name="Id">The message's <c>wamid</c>.</param>
/// <param name="PhoneNumberId">The business phone number that received or sent it.</param>
/// <param name="Contact">Digest of the customer's <c>wa_id</c> (<c>from</c> or <c>recipient_id</c>).</param>
/// <param name="Timestamp">Unix seconds, as Meta stamped the event.</param>
/// <param name="State"><c>sent</c>, <c>delivered</c>, <c>read</c> or <c>failed</c> for a status.</param>
/// <param name="ErrorCode">The first error's code of a failed status.</param>
public sealed record WebhookEvent(string Kind, string Id, string PhoneNumberId, string Contact, long Timestamp, string? State = null, string? ErrorCode = null)
{
    public const string Message = "message";
    public const string Status = "status";

    /// <summary>What makes a repeat a duplicate: a message by its id, a status by its message id and state.</summary>
    public string Key => Kind == Message ? "m:" + Id : $"s:{Id}:{State}";
}

/// <summary>
/// Reads a webhook body (docs/sources.md, "WhatsApp") into <see cref="WebhookEvent"/>s, all or nothing: any malformed
/// part rejects the whole delivery, so nothing is half-applied. Changes of other fields (account updates, templates)
/// are acknowledged and carry no events.
/// </summary>
/// <remarks>
/// A timestamp is plausible within <see cref="MaxAge"/> before and <see cref="MaxAhead"/> after the instant the
/// delivery arrived: Meta retries a delivery for up to seven days and stamps events with its own clock, so a month
/// back and a little clock skew ahead cover every honest delivery, while a timestamp in the year 2200 (or one that
/// no date can hold) is refused at the door instead of keeping a conversation open for centuries.
/// </remarks>
public static class WebhookPayload
{
    /// <summary>How far before its arrival an event may be stamped.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    /// <summary>How far after its arrival an event may be stamped (clock skew).</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromHours(1);

    private static readonly HashSet<string> States = ["sent", "delivered", "read", "failed"];

    /// <summary>The events, or null with <paramref name="problem"/> naming the offending path.</summary>
    /// <param name="receivedAt">When the delivery arrived: the plausible window of its timestamps is around it.</param>
    public static IReadOnlyList<WebhookEvent>? Parse(ReadOnlySpan<byte> body, DateTimeOffset receivedAt, out string? problem)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var events = new List<WebhookEvent>();
            problem = Read(doc.RootElement, events);
            if (problem is null && events.FirstOrDefault(e => !IsPlausible(e.Timestamp, receivedAt)) is { } implausible)
            {
                problem = $"timestamp {implausible.Timestamp} of {implausible.Kind} {Short(implausible.Id)} is outside the plausible window ({MaxAge.TotalDays:F0} days before to {MaxAhead.TotalHours:F0} h after its arrival)";
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
            // JsonElement.GetString() on a string whose bytes are not UTF-8.
            problem = "a string is not valid UTF-8";
            return null;
        }
    }

    /// <summary>Whether Unix seconds <paramref name="timestamp"/> lie in the plausible window around <paramref name="receivedAt"/>.</summary>
    public static bool IsPlausible(long timestamp, DateTimeOffset receivedAt)
    {
        var at = receivedAt.ToUnixTimeSeconds();
        return timestamp >= at - (long)MaxAge.TotalSeconds && timestamp <= at + (long)MaxAhead.TotalSeconds;
    }

    /// <summary>A stable digest of a WhatsApp id: the same customer gets the same requester id, and no phone number is stored.</summary>
    public static string ContactDigest(string waId) =>
        "wa-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(waId.Trim())))[..20];

    private static string? Read(JsonElement root, List<WebhookEvent> events)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "$: not an object";
        }

        if (!root.TryGetProperty("object", out var kind) || kind.ValueKind != JsonValueKind.String)
        {
            return "$.object: missing";
        }

        if (kind.GetString() != "whatsapp_business_account")
        {
            return $"$.object: '{Short(kind.GetString())}' is not whatsapp_business_account";
        }

        if (!root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
        {
            return "$.entry: missing or not an array";
        }

        var e = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            var path = $"$.entry[{e++}]";
            if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
            {
                return $"{path}.changes: missing or not an array";
            }

            var c = 0;
            foreach (var change in changes.EnumerateArray())
            {
                if (ReadChange(change, $"{path}.changes[{c++}]", events) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static string? ReadChange(JsonElement change, string path, List<WebhookEvent> events)
    {
        if (change.ValueKind != JsonValueKind.Object || !change.TryGetProperty("field", out var field) || field.ValueKind != JsonValueKind.String)
        {
            return $"{path}.field: missing";
        }

        if (field.GetString() != "messages")
        {
            return null; // other subscriptions (account, templates) are acknowledged and carry nothing for the KPIs
        }

        if (!change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
        {
            return $"{path}.value: missing";
        }

        var hasMessages = value.TryGetProperty("messages", out var messages);
        var hasStatuses = value.TryGetProperty("statuses", out var statuses);
        if (!hasMessages && !hasStatuses)
        {
            return null; // e.g. errors-only notifications
        }

        if (String(value, "metadata", "phone_number_id") is not { } phone)
        {
            return $"{path}.value.metadata.phone_number_id: missing";
        }

        if (hasMessages)
        {
            if (messages.ValueKind != JsonValueKind.Array)
            {
                return $"{path}.value.messages: not an array";
            }

            var i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                var at = $"{path}.value.messages[{i++}]";
                if (m.ValueKind != JsonValueKind.Object || String(m, "id") is not { Length: > 0 } id)
                {
                    return $"{at}.id: missing";
                }

                if (String(m, "from") is not { Length: > 0 } from)
                {
                    return $"{at}.from: missing";
                }

                if (Timestamp(m) is not { } ts)
                {
                    return $"{at}.timestamp: missing or not Unix seconds";
                }

                events.Add(new WebhookEvent(WebhookEvent.Message, id, phone, ContactDigest(from), ts));
            }
        }

        if (hasStatuses)
        {
            if (statuses.ValueKind != JsonValueKind.Array)
            {
                return $"{path}.value.statuses: not an array";
            }

            var i = 0;
            foreach (var s in statuses.EnumerateArray())
            {
                var at = $"{path}.value.statuses[{i++}]";
                if (s.ValueKind != JsonValueKind.Object || String(s, "id") is not { Length: > 0 } id)
                {
                    return $"{at}.id: missing";
                }

                if (String(s, "status") is not { } state)
                {
                    return $"{at}.status: missing";
                }

                if (String(s, "recipient_id") is not { Length: > 0 } recipient)
                {
                    return $"{at}.recipient_id: missing";
                }

                if (Timestamp(s) is not { } ts)
                {
                    return $"{at}.timestamp: missing or not Unix seconds";
                }

                state = state.ToLowerInvariant();
                if (!States.Contains(state))
                {
                    continue; // e.g. "deleted", "warning": not a delivery status
                }

                events.Add(new WebhookEvent(WebhookEvent.Status, id, phone, ContactDigest(recipient), ts, state, state == "failed" ? ErrorCode(s) : null));
            }
        }

        return null;
    }

    private static string? ErrorCode(JsonElement status)
    {
        if (!status.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array || errors.GetArrayLength() == 0)
        {
            return null;
        }

        var code = errors[0].ValueKind == JsonValueKind.Object && errors[0].TryGetProperty("code", out var c) ? c : default;
        return code.ValueKind switch
        {
            JsonValueKind.Number when code.TryGetInt64(out var n) => n.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.String when long.TryParse(code.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>Meta sends a string of Unix seconds; a number is accepted too.</summary>
    private static long? Timestamp(JsonElement e)
    {
        if (!e.TryGetProperty("timestamp", out var t))
        {
            return null;
        }

        return t.ValueKind switch
        {
            JsonValueKind.String when long.TryParse(t.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 => s,
            JsonValueKind.Number when t.TryGetInt64(out var n) && n > 0 => n,
            _ => null,
        };
    }

    private static string? String(JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    private static string Short(string? s) => s is null ? "" : s.Length > 40 ? s[..40] + "…" : s;
}
