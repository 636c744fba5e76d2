namespace KpiCollector.Sources.Freshdesk;

/// <summary>Settings of a <c>freshdesk</c> source: <c>KpiCollector:Sources:N:Freshdesk</c>.</summary>
public sealed class FreshdeskSettings
{
    /// <summary>
    /// Requests per minute to the tickets list, which Freshdesk limits far below the account (Growth 20, Pro 100,
    /// Enterprise 200). Default 20.
    /// </summary>
    public int TicketsRequestsPerMinute { get; set; } = 20;

    /// <summary>Tickets per page (at most 100, the default).</summary>
    public int PerPage { get; set; } = 100;

    /// <summary>Read satisfaction ratings (<c>/api/v2/surveys/satisfaction_ratings</c>). Default true.</summary>
    public bool Csat { get; set; } = true;

    /// <summary>
    /// Channels for ticket source codes, overriding what the names in <c>/api/v2/ticket_fields</c> suggest, e.g.
    /// <c>{ "101": "sms" }</c> for a custom source. Values: whatsapp, email, chat, phone, web, social, sms, api, other.
    /// </summary>
    public Dictionary<string, string> SourceChannels { get; set; } = [];

    /// <summary>
    /// Normalized statuses for status codes, overriding what the labels in <c>/api/v2/ticket_fields</c> suggest,
    /// e.g. <c>{ "7": "on_hold" }</c>. Values: new, open, pending, on_hold, solved, closed.
    /// </summary>
    public Dictionary<string, string> Statuses { get; set; } = [];

    /// <summary>
    /// How often the open set is reconciled with the platform's list of open tickets (docs/sources.md, "Open set"): at
    /// the first poll, then at the first poll once this long has passed since the last complete reconciliation. It
    /// finds open tickets older than the backfill and drops those the platform no longer lists. Default <c>1h</c>.
    /// </summary>
    public string OpenSetInterval { get; set; } = "1h";
}
