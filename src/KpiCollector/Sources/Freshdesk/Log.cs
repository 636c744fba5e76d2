namespace KpiCollector.Sources.Freshdesk;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; reading tickets updated since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Information, "{Source}: ticket fields read: {Statuses} statuses, {Sources} sources; WhatsApp source codes: {WhatsApp}")]
    public static partial void FieldsRead(ILogger logger, string source, int statuses, int sources, string whatsApp);

    [LoggerMessage(LogLevel.Warning, "{Source}: ticket status code {Code} is not in the account's ticket fields; mapped as {Status} (set {Key}:Freshdesk:Statuses:{Code} to choose)")]
    public static partial void UnknownStatus(ILogger logger, string source, int code, string status, string key);

    [LoggerMessage(LogLevel.Warning, "{Source}: ticket source code {Code} is not in the account's ticket fields; mapped as other (set {Key}:Freshdesk:SourceChannels:{Code} to choose)")]
    public static partial void UnknownSource(ILogger logger, string source, int code, string key);

    [LoggerMessage(LogLevel.Debug, "{Source}: tickets page {Page} since {Since:u}: {Tickets} tickets")]
    public static partial void TicketsPage(ILogger logger, string source, int page, DateTimeOffset since, int tickets);
}
