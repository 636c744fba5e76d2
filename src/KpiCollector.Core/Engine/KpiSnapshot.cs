using KpiCollector.Core.Records;

namespace KpiCollector.Core.Engine;

/// <summary>Every KPI at one instant: what the exporter turns into gauges.</summary>
public sealed record KpiSnapshot(
    DateTimeOffset At,
    IReadOnlyList<SeriesSnapshot> Series,
    IReadOnlyList<SlaWindowSnapshot> Sla,
    IReadOnlyList<CostSnapshot> Costs,
    IReadOnlyList<SourceSnapshot> Sources,
    IReadOnlyDictionary<(string Source, string Reason), long> Rejections)
{
    /// <summary>The WhatsApp platform metrics (docs/metrics.md, "WhatsApp platform metrics").</summary>
    public WhatsAppSnapshot WhatsApp { get; init; } = WhatsAppSnapshot.Empty;
}

/// <summary>One series' windows and its point-in-time state.</summary>
public sealed record SeriesSnapshot(SeriesKey Key, IReadOnlyList<WindowSnapshot> Windows, IReadOnlyList<long> BacklogByStatus, long Unanswered)
{
    /// <summary>created_at of the oldest open conversation with no business reply; null when none.</summary>
    public DateTimeOffset? OldestUnansweredCreatedAt { get; init; }

    /// <summary>Mean conversations created in the same weekday and hour of the previous weeks (up to 4); null without a full week of history.</summary>
    public double? CreatedBaseline1h { get; init; }
}

/// <summary>Count, exact mean and sketch percentiles (seconds) of a duration KPI within a window.</summary>
public readonly record struct DistSummary(long Count, double MeanSeconds, double P50Seconds, double P90Seconds, double P95Seconds);

/// <summary>The aggregates of one window of one series, and the KPI formulas of docs/metrics.md ("KPI gauges") over them.</summary>
public sealed record WindowSnapshot(KpiWindow Window, IReadOnlyList<long> Counters, IReadOnlyList<DistSummary> Dists)
{
    public long DistinctRequesters { get; init; }

    /// <summary>Created conversations by ticket type: the top N of the series plus <c>other</c>.</summary>
    public IReadOnlyDictionary<string, long> TicketTypes { get; init; } = new Dictionary<string, long>();

    public long this[Counter counter] => Counters[(int)counter];

    public DistSummary this[Dist dist] => Dists[(int)dist];

    public double? CsatRatio => Kpis.Ratio(this[Counter.CsatSatisfied], this[Counter.CsatResponses]);

    public double? NpsScore => Kpis.Nps(this[Counter.NpsPromoters], this[Counter.NpsDetractors], this[Counter.NpsResponses]);

    public double? CesScore => this[Counter.CesResponses] == 0 ? null : this[Counter.CesScoreMilli] / 1000.0 / this[Counter.CesResponses];

    public double? CesLowEffortRatio => Kpis.Ratio(this[Counter.CesLowEffort], this[Counter.CesResponses]);

    public double? FirstContactResolutionRatio => Kpis.Ratio(this[Counter.FcrResolved], this[Counter.FcrEligible]);

    public double? ReopenedRatio => Kpis.Ratio(this[Counter.Reopened], this[Counter.ReopenEligible]);

    public double? AbandonmentRatio => Kpis.Ratio(this[Counter.Abandoned], this[Counter.Ended]);

    public double? TicketsPerCustomer => Kpis.Ratio(this[Counter.CreatedWithRequester], DistinctRequesters);

    public double? AgentUtilizationRatio => Kpis.Ratio(this[Counter.AgentBusyMs], this[Counter.AgentCapacityMs]);

    public double? QualityScoreRatio => this[Counter.QualityScored] == 0 ? null : this[Counter.QualityScoreMilli] / 1000.0 / this[Counter.QualityScored];

    public long SurveyResponses(SurveyKind kind) => this[kind switch { SurveyKind.Csat => Counter.CsatResponses, SurveyKind.Nps => Counter.NpsResponses, _ => Counter.CesResponses }];

    public long SurveysOffered(SurveyKind kind) => this[kind switch { SurveyKind.Csat => Counter.CsatOffered, SurveyKind.Nps => Counter.NpsOffered, _ => Counter.CesOffered }];
}

/// <summary>SLA outcomes decided in one window, for one series and policy.</summary>
public sealed record SlaWindowSnapshot(SeriesKey Key, string Policy, KpiWindow Window, long Met, long Breached)
{
    public long Outcomes => Met + Breached;

    public double? ComplianceRatio => Kpis.Ratio(Met, Outcomes);
}

/// <summary>Cost in a window for one source, currency and category.</summary>
public sealed record CostSnapshot(string Source, string Currency, string Category, KpiWindow Window, decimal Amount);

/// <summary>Per-source state that is not per channel: agents, staffing, customers, survey offers.</summary>
public sealed record SourceSnapshot(string Source)
{
    public long AgentsOnline { get; init; }

    public bool ReportsAgents { get; init; }

    /// <summary>Erlang C estimate; null without an arrival rate and a 24 h handle time.</summary>
    public int? RequiredAgents { get; init; }

    public IReadOnlyList<CustomerWindow> Customers { get; init; } = [];

    /// <summary>Survey kinds for which the source reports unanswered offers, so a response rate is defined.</summary>
    public IReadOnlySet<SurveyKind> OffersReported { get; init; } = new HashSet<SurveyKind>();
}

/// <summary>CRR and churn over the customer-feed periods inside a window.</summary>
public sealed record CustomerWindow(KpiWindow Window, double RetentionRatio, double ChurnRatio);

/// <summary>The WhatsApp platform metrics (docs/metrics.md, "WhatsApp platform metrics") in every window.</summary>
public sealed record WhatsAppSnapshot(
    IReadOnlyList<WhatsAppCount> Messages,
    IReadOnlyList<WhatsAppCount> Failures,
    IReadOnlyList<WhatsAppConversations> Conversations,
    IReadOnlyList<CostSnapshot> Cost)
{
    public static WhatsAppSnapshot Empty { get; } = new([], [], [], []);
}

/// <summary>Outbound messages in a window by one label value: their highest status, or the error code of failed ones.</summary>
public sealed record WhatsAppCount(string Source, string Label, KpiWindow Window, long Count);

/// <summary>Conversations the platform reports in a window, by category and direction.</summary>
public sealed record WhatsAppConversations(string Source, string Category, string Direction, KpiWindow Window, long Count);
