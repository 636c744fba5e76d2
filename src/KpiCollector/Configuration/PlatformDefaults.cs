namespace KpiCollector.Configuration;

/// <summary>
/// Per-platform defaults that configuration may override (platform-apis.md section 0): the account request budget of
/// the smallest plan, which is what an account without a configured <c>RequestsPerMinute</c> is assumed to have.
/// </summary>
public static class PlatformDefaults
{
    /// <summary>Requests per minute: Zendesk Team 200, Freshdesk Growth 200, Chatwoot's Rack::Attack 3000 per IP, WhatsApp 200 an hour.</summary>
    public static int RequestsPerMinute(string platform) => platform switch
    {
        Platforms.Zendesk => 200,
        Platforms.Freshdesk => 200,
        Platforms.Chatwoot => 3000,
        Platforms.WhatsApp => 3,
        _ => 60,
    };
}
