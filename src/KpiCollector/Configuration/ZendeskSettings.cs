namespace KpiCollector.Configuration;

/// <summary>Settings of a <c>zendesk</c> source: <c>KpiCollector:Sources:N:Zendesk</c>.</summary>
public sealed class ZendeskSettings
{
    public const string CsatLegacy = "legacy";
    public const string CsatNone = "none";

    public static IReadOnlyList<string> CsatModes { get; } = [CsatLegacy, CsatNone];

    /// <summary>
    /// Requests per minute to the incremental ticket export: 10 for every plan, 30 with the High Volume API add-on.
    /// Default 10.
    /// </summary>
    public int ExportRequestsPerMinute { get; set; } = 10;

    /// <summary>Tickets per export page (at most 1000, the default).</summary>
    public int PerPage { get; set; } = 1000;

    /// <summary>
    /// Where CSAT comes from: <c>legacy</c> (default: <c>/api/v2/satisfaction_ratings</c>, good/bad) or <c>none</c>
    /// (accounts on the newer CSAT survey responses, which this connector does not read yet).
    /// </summary>
    public string Csat { get; set; } = CsatLegacy;

    /// <summary>
    /// How far before the newest rating already read each poll asks again for satisfaction ratings, so that ratings
    /// saved late, or changed by the customer, are not missed. Default <c>1h</c>.
    /// </summary>
    public string CsatOverlap { get; set; } = "1h";
}
