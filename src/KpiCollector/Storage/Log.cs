namespace KpiCollector.Storage;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "Store opened at {Path} (schema {FoundVersion} → {Version})")]
    public static partial void StoreOpened(ILogger logger, string path, int foundVersion, int version);

    [LoggerMessage(LogLevel.Information, "Store closed at {Path}")]
    public static partial void StoreClosed(ILogger logger, string path);
}
