namespace KpiCollector.Core.Sla;

public enum SlaMetric
{
    /// <summary>From creation to the first business reply.</summary>
    FirstResponse,

    /// <summary>From each customer message that starts a wait to the business reply that answers it (needs message events).</summary>
    NextResponse,

    /// <summary>From creation to the first resolution.</summary>
    Resolution,
}

/// <summary>One SLA policy (docs/metrics.md, "SLA"): which conversations it covers, the threshold and the objective.</summary>
public sealed record SlaPolicy
{
    /// <summary>The <c>sla</c> label.</summary>
    public required string Name { get; init; }

    public required SlaMetric Metric { get; init; }

    public required TimeSpan Threshold { get; init; }

    /// <summary>Target share of conversations met, e.g. 0.95.</summary>
    public required double Objective { get; init; }

    /// <summary>Only these channels (empty: all).</summary>
    public IReadOnlySet<string> Channels { get; init; } = new HashSet<string>();

    /// <summary>Only these priorities (empty: all).</summary>
    public IReadOnlySet<string> Priorities { get; init; } = new HashSet<string>();

    /// <summary>Only these teams (empty: all).</summary>
    public IReadOnlySet<string> Teams { get; init; } = new HashSet<string>();

    /// <summary>For first responses: whether a bot's reply stops the clock (default) or only a human's does.</summary>
    public bool HumanOnly { get; init; }

    /// <summary>When set, the clock runs only during the calendar's opening hours.</summary>
    public BusinessCalendar? Calendar { get; init; }

    /// <summary>A conversation is at risk when its deadline is this close. Default 20 % of the threshold.</summary>
    public TimeSpan? AtRiskLead { get; init; }

    public TimeSpan AtRisk => AtRiskLead ?? TimeSpan.FromTicks(Threshold.Ticks / 5);

    public DateTimeOffset DeadlineFor(DateTimeOffset start) => Calendar?.Add(start, Threshold) ?? start + Threshold;

    public bool Covers(string channel, string? priority, string? team) =>
        (Channels.Count == 0 || Channels.Contains(channel))
        && (Priorities.Count == 0 || (priority is not null && Priorities.Contains(priority)))
        && (Teams.Count == 0 || (team is not null && Teams.Contains(team)));
}
