namespace KpiCollector.Core.Engine;

/// <summary>How the engine buckets time and how it classifies what it counts.</summary>
public sealed record EngineOptions
{
    /// <summary>The KPI windows (the <c>window</c> label of <c>helpdesk_*</c> KPIs). Each a whole multiple of <see cref="BucketWidth"/>.</summary>
    public IReadOnlyList<KpiWindow> Windows { get; init; } = KpiWindow.Defaults;

    /// <summary>The SLA windows (the <c>window</c> label of <c>helpdesk_sla_*</c>).</summary>
    public IReadOnlyList<KpiWindow> SlaWindows { get; init; } = KpiWindow.SlaDefaults;

    /// <summary>
    /// The granularity of the windows: an event stays in window W while its bucket is one of the last W/width
    /// buckets, the current one included. Default one minute.
    /// </summary>
    public TimeSpan BucketWidth { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The granularity of windows longer than <see cref="FineHorizon"/>. Default ten minutes.</summary>
    public TimeSpan CoarseBucketWidth { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Windows up to this length use <see cref="BucketWidth"/>, longer ones <see cref="CoarseBucketWidth"/>. Default one day.</summary>
    public TimeSpan FineHorizon { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Configured costs added to the platform costs sources report.</summary>
    public CostSettings Costs { get; init; } = new();

    public SurveyScoring Surveys { get; init; } = new();

    /// <summary>FCR: a resolved conversation with at most this many agent public replies and no reopen. Default 1.</summary>
    public int FcrMaxReplies { get; init; } = 1;

    public QualityWeights Quality { get; init; } = new();

    /// <summary>Team breakdown: these teams get their own series, every other team is folded into <c>other</c>. Empty: off.</summary>
    public IReadOnlySet<string> Teams { get; init; } = new HashSet<string>();

    /// <summary>Ticket types exported by name: the top N by volume in the longest window, the rest folded into <c>other</c>.</summary>
    public int TicketTypesTopN { get; init; } = 10;

    /// <summary>Simultaneous conversations per agent for the Erlang C staffing estimate. Default 1.</summary>
    public double StaffingConcurrency { get; init; } = 1;

    /// <summary>The first-response target the staffing estimate aims at when no first-response SLA policy exists.</summary>
    public (TimeSpan Threshold, double Objective) StaffingTarget { get; init; } = (TimeSpan.FromSeconds(60), 0.8);
}

/// <summary>Costs from configuration: staff time at an hourly rate, and fixed monthly costs prorated over each window.</summary>
public sealed record CostSettings
{
    /// <summary>Cost of one agent-hour online (available or busy), from agent activity. Null: no staff cost.</summary>
    public decimal? StaffPerAgentHour { get; init; }

    public string Currency { get; init; } = "EUR";

    /// <summary>Fixed costs per month (30 days), prorated: a window of W carries amount × W / 30 d. Applied to every source.</summary>
    public IReadOnlyList<(string Name, decimal MonthlyAmount)> FixedMonthly { get; init; } = [];
}

/// <summary>How survey scores are classified.</summary>
public sealed record SurveyScoring
{
    /// <summary>
    /// CSAT scores at or above this count as satisfied. When null, the top two points of the scale (score ≥ max − 1,
    /// which is 4–5 on 1–5 and 102–103 on Freshdesk's −103..103), or the top point on a two-point scale (Zendesk good/bad).
    /// </summary>
    public double? CsatSatisfiedThreshold { get; init; }

    /// <summary>The CES scale scores are reported on (answers on other scales are mapped onto it linearly). Default 1–7.</summary>
    public (double Min, double Max) CesScale { get; init; } = (1, 7);

    /// <summary>True when a low CES score means little effort (the default); false for scales where high means easy.</summary>
    public bool CesLowIsEasy { get; init; } = true;

    public double CsatThreshold(double scaleMin, double scaleMax) =>
        CsatSatisfiedThreshold ?? (scaleMax - scaleMin >= 2 ? scaleMax - 1 : scaleMax);
}

/// <summary>
/// Internal quality score weights: each resolved conversation scores the weighted share of the criteria it meets among
/// those that apply (a criterion applies when its data and target exist). Zero switches a criterion off.
/// </summary>
public sealed record QualityWeights
{
    public double FirstResponse { get; init; } = 1;
    public double Resolution { get; init; } = 1;
    public double FirstContactResolution { get; init; } = 1;
    public double Satisfied { get; init; } = 1;

    /// <summary>First-response target (defaults to the first first-response SLA policy's threshold).</summary>
    public TimeSpan? FirstResponseTarget { get; init; }

    /// <summary>Resolution target (defaults to the first resolution SLA policy's threshold).</summary>
    public TimeSpan? ResolutionTarget { get; init; }
}
