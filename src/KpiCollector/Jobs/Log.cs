namespace KpiCollector.Jobs;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "Source {Source} ({Platform}) polls {Schedule}")]
    public static partial void SourceScheduled(ILogger logger, string source, string platform, string schedule);
}
