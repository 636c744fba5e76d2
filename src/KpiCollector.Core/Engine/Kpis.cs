namespace KpiCollector.Core.Engine;

/// <summary>The KPI formulas of kpis.md, on aggregated counts. Null means "not defined" and is never exported as 0.</summary>
public static class Kpis
{
    public static double? Ratio(long part, long whole) => whole <= 0 ? null : (double)part / whole;

    public static double? MeanSeconds(long sumMilliseconds, long count) => count <= 0 ? null : sumMilliseconds / 1000.0 / count;
}
