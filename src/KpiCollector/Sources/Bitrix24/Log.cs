namespace KpiCollector.Sources.Bitrix24;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; reading open-line sessions changed since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Debug, "{Source}: activities page after id {AfterId}: {Rows} rows, {Fetched} session histories read, {Pending} sessions waiting")]
    public static partial void ActivitiesPage(ILogger logger, string source, long afterId, int rows, int fetched, int pending);

    [LoggerMessage(LogLevel.Information, "{Source}: {Pending} sessions wait for their history ({Key}:Bitrix24:SessionHistoryPerPoll = {PerPoll} a poll); they are read by the next polls")]
    public static partial void HistoryDeferred(ILogger logger, string source, int pending, string key, int perPoll);

    [LoggerMessage(LogLevel.Warning, "{Source}: the history of session {Session} could not be read ({Error}); the session is kept without its answers and votes")]
    public static partial void HistoryFailed(ILogger logger, string source, long session, string error);

    [LoggerMessage(LogLevel.Warning, "{Source}: open-line connector '{Connector}' is not in the built-in table; mapped as other (set {Key}:Bitrix24:ConnectorChannels:{Connector} to choose)")]
    public static partial void UnknownConnector(ILogger logger, string source, string connector, string key);
}
