namespace KpiCollector.Sources.WhatsApp;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; reading analytics from {Start:u} ({Key}:Backfill, at most one year back)")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Warning, "{Source}: {Key}:Backfill reaches further back than the one year WhatsApp analytics keep; reading from {Start:u}")]
    public static partial void LookbackClamped(ILogger logger, string source, string key, DateTimeOffset start);

    [LoggerMessage(LogLevel.Warning, "{Source}: the account does not offer {Field} (Graph error {Code}); {Consequence}")]
    public static partial void FieldUnavailable(ILogger logger, string source, string field, int? code, string consequence);

    [LoggerMessage(LogLevel.Information, "{Source}: {Points} analytics points ({Field}) from {Start:u}")]
    public static partial void Analytics(ILogger logger, string source, int points, string field, DateTimeOffset start);

    [LoggerMessage(LogLevel.Warning, "{Source}: Meta's rate limit pauses this WABA's API calls until {Until:u}; analytics are read at the first poll after it, webhook deliveries are processed meanwhile")]
    public static partial void AnalyticsDeferred(ILogger logger, string source, DateTimeOffset until);

    [LoggerMessage(LogLevel.Information, "{Source}: the account reports no cost (partner-billed WABA?): whatsapp_cost stays absent, volumes are kept")]
    public static partial void NoCost(ILogger logger, string source);

    [LoggerMessage(LogLevel.Information, "{Source}: rebuilt the state of {Threads} threads and {Messages} outbound messages from {Deliveries} webhook deliveries")]
    public static partial void Restored(ILogger logger, string source, int threads, int messages, int deliveries);

    [LoggerMessage(LogLevel.Warning, "{Source}: webhook rejected ({Outcome}): {Why}; {Unlogged} more rejected as {Outcome} since the last such line (one line a minute per outcome; kpicollector_webhook_requests_total counts them all)")]
    public static partial void WebhookRejected(ILogger logger, string source, string outcome, string why, long unlogged);

    [LoggerMessage(LogLevel.Warning, "{Source}: webhook inbox delivery {Seq}: {Skipped} events left out of the threads (a damaged row, or timestamps outside the plausible window around its arrival)")]
    public static partial void InboxEventsSkipped(ILogger logger, string source, long seq, int skipped);

    [LoggerMessage(LogLevel.Warning, "{Source}: webhook verification refused: {Why}")]
    public static partial void VerificationRefused(ILogger logger, string source, string why);

    [LoggerMessage(LogLevel.Information, "{Source}: webhook verified by Meta (hub.mode=subscribe)")]
    public static partial void Verified(ILogger logger, string source);
}
