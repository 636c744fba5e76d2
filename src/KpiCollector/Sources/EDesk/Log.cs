namespace KpiCollector.Sources.EDesk;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; reading tickets last updated since {Start:u} ({Key}:Backfill), from the day {Day} in {TimeZone}")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key, string day, string timeZone);

    [LoggerMessage(LogLevel.Information, "{Source}: {Channels} channels read; WhatsApp channels: {WhatsApp}")]
    public static partial void ChannelsRead(ILogger logger, string source, int channels, string whatsApp);

    [LoggerMessage(LogLevel.Debug, "{Source}: tickets page {Page} from {Day}: {Tickets} tickets, {Changed} changed, {Fetched} messages fetched")]
    public static partial void TicketsPage(ILogger logger, string source, int page, string day, int tickets, int changed, int fetched);

    [LoggerMessage(LogLevel.Information, "{Source}: the message budget of this poll ({Budget}, {Key}:EDesk:MessagesPerPoll) is spent at page {Page}; the next poll resumes there")]
    public static partial void BudgetSpent(ILogger logger, string source, int budget, string key, int page);

    [LoggerMessage(LogLevel.Warning, "{Source}: ticket status '{Status}' is not one eDesk documents; mapped as {Mapped} (set {Key}:EDesk:Statuses:{Status} to choose)")]
    public static partial void UnknownStatus(ILogger logger, string source, string status, string mapped, string key);

    [LoggerMessage(LogLevel.Warning, "{Source}: channel {Channel} is not in /v1/channels; mapped as other (set {Key}:EDesk:Channels:{Channel} to choose)")]
    public static partial void UnknownChannel(ILogger logger, string source, long channel, string key);
}
