namespace KpiCollector.Sources.Zendesk;

/// <summary>Settings of a <c>zendesk</c> source: <c>KpiCollector:Sources:N:Zendesk</c>.</summary>
public sealed class ZendeskSettings
{
    public const string CsatAuto = "auto";
    public const string CsatLegacy = "legacy";
    public const string CsatSurveyResponses = "survey_responses";
    public const string CsatOff = "off";

    /// <summary>The name <c>off</c> had before survey responses were read; still accepted.</summary>
    public const string CsatNone = "none";

    public static IReadOnlyList<string> CsatModes { get; } = [CsatAuto, CsatLegacy, CsatSurveyResponses, CsatOff, CsatNone];

    /// <summary>
    /// Requests per minute to the incremental ticket export: 10 for every plan, 30 with the High Volume API add-on.
    /// Default 10.
    /// </summary>
    public int ExportRequestsPerMinute { get; set; } = 10;

    /// <summary>Tickets per export page (at most 1000, the default).</summary>
    public int PerPage { get; set; } = 1000;

    /// <summary>
    /// Where CSAT comes from; an account runs either the legacy CSAT or the newer survey responses, never both.
    /// <c>auto</c> (default) asks once per process, on the first poll, for one survey response
    /// (<c>/api/v2/guide/survey_responses?page[size]=1</c>): data means survey responses; a 403, a 404 or an empty list
    /// means legacy. <c>legacy</c>: <c>/api/v2/satisfaction_ratings</c> (good/bad). <c>survey_responses</c>:
    /// <c>/api/v2/guide/survey_responses</c> (rating scales). <c>off</c> (or <c>none</c>): no CSAT, no request.
    /// </summary>
    public string Csat { get; set; } = CsatAuto;

    /// <summary>
    /// How far before the newest rating (or survey response) already read each poll asks again, so that ratings saved
    /// late, or changed by the customer, are not missed. Default <c>1h</c>.
    /// </summary>
    public string CsatOverlap { get; set; } = "1h";

    /// <summary>
    /// How often the open set is reconciled with the platform's list of open tickets (docs/sources.md, "Open set"): at
    /// the first poll, then at the first poll once this long has passed since the last complete reconciliation. It
    /// finds open tickets older than the backfill and drops those the platform no longer lists. Default <c>1h</c>.
    /// </summary>
    public string OpenSetInterval { get; set; } = "1h";
}
