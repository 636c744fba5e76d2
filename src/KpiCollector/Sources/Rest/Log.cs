namespace KpiCollector.Sources.Rest;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll with profile {Profile}; reading records updated since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, string profile, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Debug, "{Source}: stream {Stream} page: {Records} records")]
    public static partial void Page(ILogger logger, string source, string stream, int records);

    [LoggerMessage(LogLevel.Information, "{Source}: the API refused the OAuth2 access token ({Request}); fetching a new one and retrying once")]
    public static partial void TokenRefused(ILogger logger, string source, string request);

    [LoggerMessage(LogLevel.Information, "{Source}: stream {Stream} fan-out: {Calls} of {Budget} calls this poll, {Cached} conversations from the cache")]
    public static partial void FanOutDone(ILogger logger, string source, string stream, int calls, int budget, int cached);

    [LoggerMessage(LogLevel.Information, "{Source}: stream {Stream} fan-out: {Calls} of {Budget} calls this poll, spent ({Cached} from the cache); {Left} records of the page wait for the next poll, which resumes at updates since {ResumeAt:u}")]
    public static partial void FanOutSpent(ILogger logger, string source, string stream, int calls, int budget, int cached, int left, DateTimeOffset resumeAt);
}
