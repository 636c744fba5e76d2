namespace KpiCollector.Core.Engine;

/// <summary>How many counters and distributions a family of bucketed aggregates keeps.</summary>
internal sealed record MeasureLayout(int Counters, int Dists)
{
    public static readonly MeasureLayout Kpis = new(Enum.GetValues<Counter>().Length, Enum.GetValues<Dist>().Length);

    /// <summary>One additive amount (ticket types, costs).</summary>
    public static readonly MeasureLayout SingleCounter = new(1, 0);
}
