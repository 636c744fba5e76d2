namespace KpiCollector.Metrics;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Warning, "Source {Source} delivered records that contradict themselves ({Reason}); they are kept out of the KPIs they would distort and counted in kpicollector_records_rejected_total. Logged once per source and reason.")]
    public static partial void RecordsRejected(ILogger logger, string source, string reason);
}
