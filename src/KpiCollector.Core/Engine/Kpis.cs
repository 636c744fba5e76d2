namespace KpiCollector.Core.Engine;

/// <summary>The KPI formulas of docs/metrics.md ("KPI gauges", "Worked examples"), on aggregated counts. Null means "not defined" and is never exported as 0.</summary>
public static class Kpis
{
    public static double? Ratio(long part, long whole) => whole <= 0 ? null : (double)part / whole;

    /// <summary>100 × (promoters − detractors) ÷ responses.</summary>
    public static double? Nps(long promoters, long detractors, long responses) =>
        responses <= 0 ? null : 100.0 * (promoters - detractors) / responses;

    /// <summary>Customer retention rate: (E − N) ÷ S.</summary>
    public static double? Retention(long start, long end, long newCustomers) => start <= 0 ? null : (double)(end - newCustomers) / start;

    /// <summary>Churn: L ÷ S.</summary>
    public static double? Churn(long start, long lost) => start <= 0 ? null : (double)lost / start;

    /// <summary>Cost ÷ conversations created.</summary>
    public static decimal? CostPerConversation(decimal cost, long conversations) => conversations <= 0 ? null : cost / conversations;
}
