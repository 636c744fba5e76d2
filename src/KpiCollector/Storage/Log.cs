namespace KpiCollector.Storage;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "Store opened at {Path} (schema {FoundVersion} → {Version})")]
    public static partial void StoreOpened(ILogger logger, string path, int foundVersion, int version);

    [LoggerMessage(LogLevel.Information, "Store closed at {Path}")]
    public static partial void StoreClosed(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "{Path}: the store file is empty: starting from nothing; if it held data, restore it from a backup")]
    public static partial void StoreFileEmpty(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "Quarantined a damaged {Kind} record of source {Source}, id {ExternalId}: {Reason}. It is kept out of the KPIs; see the runbook \"KpiCollectorRecordsQuarantined\" in docs/runbooks.md")]
    public static partial void RecordQuarantined(ILogger logger, string kind, string source, string externalId, string reason);

    [LoggerMessage(LogLevel.Warning, "{Path}: a background WAL checkpoint failed (SQLite error {Code}: {Message}); the next commit asks again")]
    public static partial void CheckpointFailed(ILogger logger, string path, int code, string message);
}
