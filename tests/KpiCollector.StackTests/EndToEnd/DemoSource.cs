namespace KpiCollector.StackTests.EndToEnd;

/// <summary>Collector configuration for the end-to-end runs: one simulated source named demo, polled every 2 s.</summary>
internal static class DemoSource
{
    public const string Name = "demo";

    /// <summary>
    /// An explicit simulator source (demo mode would poll once a minute) with the KPI gauges refreshed every second.
    /// </summary>
    public static IEnumerable<string> Args(string backfill, params string[] scenario) =>
    [
        $"--KpiCollector:Sources:0:Name={Name}",
        "--KpiCollector:Sources:0:Platform=simulator",
        "--KpiCollector:Sources:0:Interval=2s",
        "--KpiCollector:RefreshInterval=1s",
        $"--KpiCollector:Simulator:Backfill={backfill}",
        "--Logging:LogLevel:Default=Warning",
        .. scenario,
    ];
}
