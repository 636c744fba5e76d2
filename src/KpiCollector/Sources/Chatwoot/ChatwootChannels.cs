using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Chatwoot;

/// <summary>
/// The one table that maps Chatwoot inbox types onto the normalized channels (docs/sources.md, "Chatwoot facts"): WhatsApp inboxes
/// are <c>Channel::Whatsapp</c> (Cloud API or 360dialog) or Twilio inboxes whose medium is whatsapp.
/// </summary>
public static class ChatwootChannels
{
    public static string Normalize(string? channelType, string? medium = null) => channelType switch
    {
        "Channel::Whatsapp" => Channels.WhatsApp,
        "Channel::TwilioSms" => string.Equals(medium, "whatsapp", StringComparison.OrdinalIgnoreCase) ? Channels.WhatsApp : Channels.Sms,
        "Channel::Sms" => Channels.Sms,
        "Channel::Email" => Channels.Email,
        "Channel::WebWidget" => Channels.Chat,
        "Channel::Api" => Channels.Api,
        "Channel::Voice" => Channels.Phone,
        "Channel::FacebookPage" or "Channel::TwitterProfile" or "Channel::Instagram" or "Channel::Telegram" or "Channel::Line" or "Channel::Tiktok" => Channels.Social,
        _ => Channels.Other,
    };
}
