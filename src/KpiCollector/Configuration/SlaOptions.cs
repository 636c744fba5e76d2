namespace KpiCollector.Configuration;

/// <summary><c>KpiCollector:Sla</c>: the SLA windows and policies (docs/metrics.md, "SLA").</summary>
public sealed class SlaOptions
{
    /// <summary>Windows of the SLA metrics. Default 5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d (the burn-rate alert pairs).</summary>
    public List<string> Windows { get; set; } = [];

    /// <summary>The policies. Absent: <see cref="Defaults"/>.</summary>
    public List<SlaPolicyOptions> Policies { get; set; } = [];

    public static List<SlaPolicyOptions> Defaults =>
    [
        new() { Name = "first_response", Metric = "first_response", Threshold = "10m", Objective = 0.9 },
        new() { Name = "whatsapp_first_human_response", Metric = "first_response", Threshold = "60s", Objective = 0.8, Channels = ["whatsapp"], HumanOnly = true },
        new() { Name = "next_response", Metric = "next_response", Threshold = "30m", Objective = 0.9 },
        new() { Name = "resolution", Metric = "resolution", Threshold = "24h", Objective = 0.9 },
    ];
}

/// <summary>One policy: <c>KpiCollector:Sla:Policies:N</c>.</summary>
public sealed class SlaPolicyOptions
{
    /// <summary>The <c>sla</c> label: lower-case letters, digits and <c>_</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>first_response</c>, <c>next_response</c> or <c>resolution</c>.</summary>
    public string Metric { get; set; } = "";

    public string Threshold { get; set; } = "";

    /// <summary>Target share met, more than 0 and less than 1 (e.g. 0.95).</summary>
    public double Objective { get; set; }

    public List<string> Channels { get; set; } = [];

    public List<string> Priorities { get; set; } = [];

    public List<string> Teams { get; set; } = [];

    /// <summary>First response: only a human reply stops the clock.</summary>
    public bool HumanOnly { get; set; }

    /// <summary>At-risk lead time; default 20 % of the threshold.</summary>
    public string? AtRiskLead { get; set; }

    public BusinessCalendarOptions? Calendar { get; set; }
}

/// <summary>Business hours: the SLA clock runs only while open.</summary>
public sealed class BusinessCalendarOptions
{
    /// <summary>IANA time zone, e.g. <c>Europe/Rome</c>.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Per weekday (<c>Monday</c> ... <c>Sunday</c>): <c>09:00-18:00</c>, several separated by commas. Missing days are closed.</summary>
    public Dictionary<string, string> Hours { get; set; } = [];

    /// <summary>Closed days, <c>yyyy-MM-dd</c>.</summary>
    public List<string> Holidays { get; set; } = [];
}
