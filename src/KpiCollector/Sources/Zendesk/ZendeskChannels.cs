using System.Globalization;
using System.Text.Json;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// The one table that maps Zendesk's <c>via.channel</c> onto the normalized channels (docs/metrics.md, "Normalized records"). The via
/// types come from Zendesk's via-types reference and, for the messaging and social ones, from third-party code that
/// reads live accounts (docs/sources.md, "Zendesk facts"); anything not listed is <c>other</c>.
/// </summary>
public static class ZendeskChannels
{
    private static readonly Dictionary<string, string> ByViaType = new(StringComparer.OrdinalIgnoreCase)
    {
        ["whatsapp"] = Channels.WhatsApp,
        ["email"] = Channels.Email,
        ["mail"] = Channels.Email,
        ["web"] = Channels.Web,
        ["web_form"] = Channels.Web,
        ["web_widget"] = Channels.Web,
        ["help_center"] = Channels.Web,
        ["dropbox"] = Channels.Web, // the feedback tab
        ["batch"] = Channels.Web,
        ["chat"] = Channels.Chat,
        ["chat_transcript"] = Channels.Chat,
        ["native_messaging"] = Channels.Chat,
        ["messaging"] = Channels.Chat,
        ["mobile_sdk"] = Channels.Chat,
        ["sunshine_conversations_api"] = Channels.Chat,
        ["voice"] = Channels.Phone,
        ["phone"] = Channels.Phone,
        ["phone_call_inbound"] = Channels.Phone,
        ["phone_call_outbound"] = Channels.Phone,
        ["voicemail"] = Channels.Phone,
        ["sms"] = Channels.Sms,
        ["text"] = Channels.Sms,
        ["twitter"] = Channels.Social,
        ["twitter_dm"] = Channels.Social,
        ["twitter_favorite"] = Channels.Social,
        ["facebook"] = Channels.Social,
        ["facebook_post"] = Channels.Social,
        ["facebook_message"] = Channels.Social,
        ["instagram_dm"] = Channels.Social,
        ["line"] = Channels.Social,
        ["wechat"] = Channels.Social,
        ["telegram"] = Channels.Social,
        ["viber"] = Channels.Social,
        ["sunshine_conversations_facebook_messenger"] = Channels.Social,
        ["sunshine_conversations_twitter_dm"] = Channels.Social,
        ["api"] = Channels.Api,
        ["web_service"] = Channels.Api,
    };

    /// <summary>
    /// Integer via ids seen in some payloads, turned into via types first. 0, 4, 5, 8, 17 and 20 are in Zendesk's
    /// table; the chat, voice and social ids are from third-party code [2nd]; an unknown id is <c>other</c>.
    /// </summary>
    private static readonly Dictionary<long, string> ViaTypeById = new()
    {
        [0] = "web_form",
        [4] = "mail",
        [5] = "web_service",
        [8] = "rule",
        [17] = "dropbox",
        [20] = "batch",
        [29] = "chat",
        [30] = "twitter",
        [33] = "voicemail",
        [34] = "phone_call_inbound",
        [35] = "phone_call_outbound",
        [38] = "facebook_post",
        [41] = "facebook_message",
    };

    /// <summary>The normalized channel of a via type.</summary>
    public static string Normalize(string? viaType) =>
        viaType is not null && ByViaType.TryGetValue(viaType.Trim(), out var channel) ? channel : Channels.Other;

    /// <summary>The normalized channel of a <c>via.channel</c> value, string or integer.</summary>
    public static string Normalize(JsonElement channel) => channel.ValueKind switch
    {
        JsonValueKind.String => Normalize(channel.GetString()),
        JsonValueKind.Number when channel.TryGetInt64(out var id) => Normalize(ViaTypeById.GetValueOrDefault(id)),
        _ => Channels.Other,
    };

    /// <summary>The via id's type name, for the simulator and docs (null when unknown).</summary>
    public static string? ViaTypeOf(long id) => ViaTypeById.GetValueOrDefault(id);

    internal static string Describe(JsonElement channel) => channel.ValueKind switch
    {
        JsonValueKind.String => channel.GetString() ?? "",
        JsonValueKind.Number => channel.GetRawText(),
        _ => channel.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
