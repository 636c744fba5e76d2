namespace KpiCollector.Sources.EDesk;

/// <summary>Settings of an <c>edesk</c> source: <c>KpiCollector:Sources:N:EDesk</c> (docs/sources.md, "eDesk").</summary>
public sealed class EDeskSettings
{
    /// <summary>
    /// The account's time zone, an IANA id such as <c>Europe/London</c>: eDesk's <c>filter_last_updated_at_gte</c> is a
    /// date in it, and timestamps written without an offset are read in it. Default <c>UTC</c>.
    /// </summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Tickets per page of the tickets list (<c>itemsPerPage</c>), 1 to 100. Default 100.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>
    /// The most <c>GET /v1/messages/{id}</c> requests one poll makes. When it runs out, the poll ends and the next one
    /// resumes at the ticket it stopped at (also after a restart: the saved cursor holds the place). Default 100.
    /// </summary>
    public int MessagesPerPoll { get; set; } = 100;

    /// <summary>Read <c>Rating</c> messages as CSAT answers. Default true.</summary>
    public bool Ratings { get; set; } = true;

    /// <summary>The top of the rating scale (the bottom is 1). Default 5.</summary>
    public int RatingScaleMax { get; set; } = 5;

    /// <summary>
    /// Channels for eDesk channel ids, overriding what the channel's name and type in <c>/v1/channels</c> suggest,
    /// e.g. <c>{ "12": "email" }</c>. Values: whatsapp, email, chat, phone, web, social, sms, api, other.
    /// </summary>
    public Dictionary<string, string> Channels { get; set; } = [];

    /// <summary>
    /// Normalized statuses for eDesk ticket statuses, overriding the built-in map, e.g. <c>{ "Scheduled": "pending" }</c>.
    /// Values: new, open, pending, on_hold, solved, closed.
    /// </summary>
    public Dictionary<string, string> Statuses { get; set; } = [];

    /// <summary>
    /// How often the open set is reconciled with eDesk's lists of open tickets (docs/sources.md, "Open set"): at the
    /// first poll whose pass ends, then once this long has passed since the last complete reconciliation. It finds
    /// open tickets with no message since the backfill and drops those eDesk no longer has. Default <c>1h</c>.
    /// </summary>
    public string OpenSetInterval { get; set; } = "1h";
}
