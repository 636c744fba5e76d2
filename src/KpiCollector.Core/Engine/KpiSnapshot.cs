namespace KpiCollector.Core.Engine;

/// <summary>Every series' KPIs at one instant: what the exporter turns into gauges.</summary>
public sealed record KpiSnapshot(DateTimeOffset At, IReadOnlyList<SeriesSnapshot> Series);

/// <summary>One series' windows and its point-in-time state.</summary>
public sealed record SeriesSnapshot(SeriesKey Key, IReadOnlyList<WindowSnapshot> Windows, IReadOnlyList<long> BacklogByStatus, long Unanswered);

/// <summary>Count, exact mean and sketch percentiles (seconds) of a duration KPI within a window.</summary>
public readonly record struct DistSummary(long Count, double MeanSeconds, double P50Seconds, double P90Seconds, double P95Seconds);

/// <summary>The aggregates of one window of one series.</summary>
public sealed record WindowSnapshot(KpiWindow Window, IReadOnlyList<long> Counters, IReadOnlyList<DistSummary> Dists)
{
    public long this[Counter counter] => Counters[(int)counter];

    public DistSummary this[Dist dist] => Dists[(int)dist];

    /// <summary>CSAT: satisfied ÷ responses, or null without responses.</summary>
    public double? CsatRatio => Kpis.Ratio(this[Counter.CsatSatisfied], this[Counter.CsatResponses]);
}
