namespace KpiCollector.Simulator.Faces.Interakt;

internal static partial class InteraktLog
{
    [LoggerMessage(LogLevel.Information, "Interakt webhook: posting to {Url} for messages from {From:u}")]
    public static partial void WebhookRegistered(ILogger logger, Uri url, DateTimeOffset from);

    [LoggerMessage(LogLevel.Information, "Interakt webhook: stopped posting")]
    public static partial void WebhookUnregistered(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Interakt webhook: delivery to {Url} failed ({Reason}); retrying in {Seconds} s")]
    public static partial void WebhookDeliveryFailed(ILogger logger, Uri url, string reason, double seconds);

    [LoggerMessage(LogLevel.Error, "Interakt webhook: the poster failed")]
    public static partial void WebhookPumpFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Interakt webhook: fault {Kind} armed ({Count})")]
    public static partial void FaultArmed(ILogger logger, string kind, int count);
}
