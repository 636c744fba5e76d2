namespace KpiCollector.Sources.Rest;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll with profile {Profile}; reading records updated since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, string profile, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Debug, "{Source}: stream {Stream} page: {Records} records")]
    public static partial void Page(ILogger logger, string source, string stream, int records);

    [LoggerMessage(LogLevel.Information, "{Source}: the API refused the OAuth2 access token ({Request}); fetching a new one and retrying once")]
    public static partial void TokenRefused(ILogger logger, string source, string request);
}
