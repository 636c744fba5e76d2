namespace KpiCollector.Configuration;

/// <summary><c>KpiCollector:Kpis</c>: how some KPIs are classified and broken down.</summary>
public sealed class KpiOptions
{
    /// <summary>FCR: resolved with at most this many agent public replies and no reopen. Default 1.</summary>
    public int FcrMaxReplies { get; set; } = 1;

    /// <summary>Ticket types exported by name (top N by volume), the rest as <c>other</c>. Default 10.</summary>
    public int TicketTypesTopN { get; set; } = 10;

    /// <summary>Team breakdown allow-list: these teams get their own series (label <c>team</c>), others fold into <c>other</c>. Empty: off.</summary>
    public List<string> Teams { get; set; } = [];

    public QualityOptions Quality { get; set; } = new();
}

/// <summary>Internal quality score weights (0 switches a criterion off).</summary>
public sealed class QualityOptions
{
    public double FirstResponseWeight { get; set; } = 1;
    public double ResolutionWeight { get; set; } = 1;
    public double FirstContactResolutionWeight { get; set; } = 1;
    public double SatisfiedWeight { get; set; } = 1;
}

/// <summary><c>KpiCollector:Staffing</c>: the Erlang C estimate.</summary>
public sealed class StaffingOptions
{
    /// <summary>Conversations an agent handles at once. Default 1.</summary>
    public double Concurrency { get; set; } = 1;
}

/// <summary><c>KpiCollector:Costs</c>: costs added to the platform costs sources report.</summary>
public sealed class CostOptions
{
    /// <summary>Cost of one agent-hour online, from agent activity. Unset: no staff cost (in demo mode the simulator's rate).</summary>
    public decimal? StaffPerAgentHour { get; set; }

    /// <summary>ISO 4217 code of the configured costs. Default EUR.</summary>
    public string Currency { get; set; } = "EUR";

    /// <summary>Fixed monthly costs (licences, tools), prorated over each window.</summary>
    public List<FixedCostOptions> Fixed { get; set; } = [];
}

public sealed class FixedCostOptions
{
    public string Name { get; set; } = "";

    public decimal MonthlyAmount { get; set; }
}
