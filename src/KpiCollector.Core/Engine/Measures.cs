namespace KpiCollector.Core.Engine;

/// <summary>
/// Additive counts kept per time bucket. Adding a KPI that is a count or a ratio of counts means adding a member
/// here and its contribution in <see cref="Contributions"/>; the buckets, windows and snapshots follow.
/// </summary>
public enum Counter
{
    TicketsCreated,
    TicketsResolved,

    /// <summary>Resolved conversations whose public-reply count is known (the FCR denominator).</summary>
    FcrEligible,
    FcrResolved,

    /// <summary>Resolved conversations whose reopen count is known (the reopen-rate denominator).</summary>
    ReopenEligible,
    Reopened,

    Ended,
    Abandoned,

    CsatOffered,
    CsatResponses,
    CsatSatisfied,
    NpsOffered,
    NpsResponses,
    NpsPromoters,
    NpsDetractors,
    CesOffered,
    CesResponses,

    /// <summary>Sum of CES scores on the configured scale, in thousandths (exact means).</summary>
    CesScoreMilli,
    CesLowEffort,

    MessagesIn,
    MessagesOut,

    /// <summary>Capacity-weighted agent time (ms × slots): busy, and available + busy.</summary>
    AgentBusyMs,
    AgentCapacityMs,

    /// <summary>Agent time online (available or busy), for staff cost.</summary>
    AgentStaffedMs,

    /// <summary>Internal quality score: sum of per-conversation scores in thousandths, and how many were scored.</summary>
    QualityScoreMilli,
    QualityScored,

    /// <summary>Created conversations with a known requester (the tickets-per-customer numerator).</summary>
    CreatedWithRequester,
}

/// <summary>Durations kept per time bucket as exact count and sum plus a mergeable quantile sketch.</summary>
public enum Dist
{
    FirstResponseAll,
    FirstResponseBot,
    FirstResponseHuman,
    Wait,
    Response,
    Resolution,
    Handle,
}
