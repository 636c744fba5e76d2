using System.Text.Json;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// What Chatwoot's activity messages (<c>message_type</c> 2) and content attributes say. A status change is written as
/// an activity message: newer installs add <c>content_attributes.activity</c> (<c>type</c>
/// <c>conversation_status_changed</c>, <c>status</c>); every install writes an English sentence, one per kind of change
/// ("Conversation was marked resolved by Ana", "Conversation was reopened by Ana", "System reopened the conversation due
/// to a new incoming message.", ...). Labels, assignments, priority and the like are activities too, and are not
/// status changes. An install whose activity messages are in another language has no recognizable status change.
/// </summary>
internal static class ChatwootActivities
{
    public const string Resolved = "resolved";
    public const string Open = "open";
    public const string Pending = "pending";
    public const string Snoozed = "snoozed";

    /// <summary>The sentences' beginnings, by the status they change to (Chatwoot's English <c>conversations.activity</c> texts).</summary>
    private static readonly (string Prefix, string Status)[] Sentences =
    [
        ("Conversation was marked resolved", Resolved), // by an agent, by the system or by Captain after inactivity
        ("Conversation was resolved by", Resolved), // by the contact
        ("Conversation was reopened", Open),
        ("System reopened the conversation", Open), // a new incoming message
        ("Conversation was marked open", Open), // Captain, or the agent bot failing
        ("Conversation was marked as pending", Pending),
        ("Conversation was snoozed", Snoozed),
    ];

    /// <summary>The status an activity message changes the conversation to; null for any other activity.</summary>
    public static string? StatusChange(string? content, JsonElement attributes)
    {
        if (attributes.ValueKind == JsonValueKind.Object
            && attributes.TryGetProperty("activity", out var activity) && activity.ValueKind == JsonValueKind.Object
            && activity.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            && type.GetString() == "conversation_status_changed"
            && activity.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String)
        {
            return status.GetString()?.Trim().ToLowerInvariant();
        }

        var text = content?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (var (prefix, to) in Sentences)
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return to;
            }
        }

        return null;
    }

    /// <summary>A reply sent from the WhatsApp Business app and echoed into Chatwoot: <c>content_attributes.external_echo</c> true.</summary>
    public static bool IsExternalEcho(JsonElement attributes) =>
        attributes.ValueKind == JsonValueKind.Object
        && attributes.TryGetProperty("external_echo", out var echo)
        && (echo.ValueKind == JsonValueKind.True || (echo.ValueKind == JsonValueKind.String && string.Equals(echo.GetString(), "true", StringComparison.OrdinalIgnoreCase)));
}
