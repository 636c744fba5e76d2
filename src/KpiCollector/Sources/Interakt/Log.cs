namespace KpiCollector.Sources.Interakt;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: rebuilt the state of {Threads} threads and {Messages} outbound messages from {Deliveries} Interakt webhook deliveries")]
    public static partial void Restored(ILogger logger, string source, int threads, int messages, int deliveries);

    [LoggerMessage(LogLevel.Warning, "{Source}: webhook inbox delivery {Seq}: {Skipped} events left out of the threads (a damaged row, or times outside the plausible window around its arrival)")]
    public static partial void InboxEventsSkipped(ILogger logger, string source, long seq, int skipped);

    [LoggerMessage(LogLevel.Information, "{Source}: first poll; Interakt has no history to read, the source counts what its webhooks deliver from now on (POST /webhooks/interakt/{Source})")]
    public static partial void FirstPoll(ILogger logger, string source);
}
