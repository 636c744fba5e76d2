namespace KpiCollector.Sources.Chatwoot;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; backfilling conversations active since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Information, "{Source}: Chatwoot version {Version}")]
    public static partial void Version(ILogger logger, string source, string version);

    [LoggerMessage(LogLevel.Warning, "{Source}: could not read the Chatwoot version from GET /api ({Reason}); kpicollector_source_info stays absent")]
    public static partial void NoVersion(ILogger logger, string source, string reason);

    [LoggerMessage(LogLevel.Information, "{Source}: {Inboxes} inboxes; WhatsApp inboxes: {WhatsApp}")]
    public static partial void Inboxes(ILogger logger, string source, int inboxes, string whatsApp);

    [LoggerMessage(LogLevel.Debug, "{Source}: {Conversations} conversations {What}")]
    public static partial void Conversations(ILogger logger, string source, int conversations, string what);
}
