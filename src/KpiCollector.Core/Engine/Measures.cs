namespace KpiCollector.Core.Engine;

/// <summary>
/// Additive counts kept per time bucket. Adding a KPI that is a count or a ratio of counts means adding a member
/// here and its contribution in <see cref="Contributions"/>; the buckets, windows and snapshots follow.
/// </summary>
public enum Counter
{
    TicketsCreated,
    TicketsResolved,
    CsatResponses,
    CsatSatisfied,
}

/// <summary>Durations kept per time bucket as exact count and sum plus a mergeable quantile sketch.</summary>
public enum Dist
{
    FirstResponseAll,
    FirstResponseBot,
    FirstResponseHuman,
    Resolution,
}

internal static class Measures
{
    public static readonly int CounterCount = Enum.GetValues<Counter>().Length;
    public static readonly int DistCount = Enum.GetValues<Dist>().Length;
}
