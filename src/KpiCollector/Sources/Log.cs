namespace KpiCollector.Sources;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: open set reconciled: {Listed} open conversations listed, {Read} of them new to the store, {Missing} held as open but not listed were looked up, {Gone} of those no longer exist and were closed")]
    public static partial void OpenSetReconciled(ILogger logger, string source, int listed, int read, int missing, int gone);

    [LoggerMessage(LogLevel.Warning, "{Source}: the open set listing stopped after {Listed} conversations ({Reason}); the new ones were stored, nothing was dropped; the next reconciliation tries again")]
    public static partial void OpenSetIncomplete(ILogger logger, string source, int listed, string reason);
}
