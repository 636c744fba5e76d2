namespace KpiCollector.Simulator.Faces;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Face}: injecting {Fault} into {Method} {Path}")]
    public static partial void FaultInjected(ILogger logger, string face, string fault, string method, string path);

    [LoggerMessage(LogLevel.Information, "{Face}: fault armed: {Fault} for {Count} request(s)")]
    public static partial void FaultArmed(ILogger logger, string face, string fault, int count);

    [LoggerMessage(LogLevel.Information, "{Face}: faults cleared")]
    public static partial void FaultsCleared(ILogger logger, string face);

    [LoggerMessage(LogLevel.Information, "KpiCollector simulator: traffic from {Epoch:u} (seed {Seed}); faces: {Faces}")]
    public static partial void Started(ILogger logger, DateTimeOffset epoch, int seed, string faces);

    [LoggerMessage(LogLevel.Information, "whatsapp: webhook registered at {Url}; posting events from {From:u}")]
    public static partial void WebhookRegistered(ILogger logger, Uri url, DateTimeOffset from);

    [LoggerMessage(LogLevel.Information, "whatsapp: webhook unregistered; posting stopped")]
    public static partial void WebhookUnregistered(ILogger logger);

    [LoggerMessage(LogLevel.Error, "whatsapp: webhook verification of {Url} failed: {Reason}")]
    public static partial void WebhookVerificationFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(LogLevel.Warning, "whatsapp: webhook delivery to {Url} failed ({Reason}); retrying in {Seconds} s")]
    public static partial void WebhookDeliveryFailed(ILogger logger, Uri url, string reason, double seconds);

    [LoggerMessage(LogLevel.Error, "whatsapp: webhook poster failed; it carries on at the next interval")]
    public static partial void WebhookPumpFailed(ILogger logger, Exception exception);
}
