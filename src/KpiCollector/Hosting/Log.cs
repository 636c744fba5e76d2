namespace KpiCollector.Hosting;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Warning,
        "*** DEMO MODE *** No source is configured (KpiCollector:Sources is empty): every KPI on /metrics comes from the built-in SIMULATOR, not from a real helpdesk. kpicollector_demo_mode is 1. Configure KpiCollector:Sources to collect real data.")]
    public static partial void DemoMode(ILogger logger);

    [LoggerMessage(LogLevel.Information, "Engine rebuilt from the store: {Conversations} conversations and {Others} other records in {Milliseconds:F0} ms")]
    public static partial void EngineRebuilt(ILogger logger, long conversations, long others, double milliseconds);

    [LoggerMessage(LogLevel.Warning, "SLA window {Window} (KpiCollector:Sla:Windows) is shorter than two poll intervals ({Interval}): it only ever sees one poll's data, so burn-rate alerts on it are noise. Poll more often or drop the window.")]
    public static partial void ShortSlaWindow(ILogger logger, string window, TimeSpan interval);

    [LoggerMessage(LogLevel.Critical, "Invalid configuration, not starting:\n{Failures}")]
    public static partial void InvalidConfiguration(ILogger logger, string failures);

    [LoggerMessage(LogLevel.Critical, "Start failed: {Message}")]
    public static partial void StartFailed(ILogger logger, string message, Exception exception);

    [LoggerMessage(LogLevel.Critical, "Start failed: {Message}")]
    public static partial void StoreUnavailable(ILogger logger, string message);

    [LoggerMessage(LogLevel.Information, "KpiCollector {Version} stopped cleanly")]
    public static partial void Stopped(ILogger logger, string version);

    [LoggerMessage(LogLevel.Warning, "Configuration: {Warning}")]
    public static partial void ConfigurationWarning(ILogger logger, string warning);
}
