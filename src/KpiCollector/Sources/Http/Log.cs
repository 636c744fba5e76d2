namespace KpiCollector.Sources.Http;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Debug, "{Source}: {Request} answered {Code} in {Milliseconds:F0} ms")]
    public static partial void Response(ILogger logger, string source, string request, string code, double milliseconds);

    [LoggerMessage(LogLevel.Debug, "{Source}: pacing: waiting {Seconds:F1} s for the {Budget} budget ({PerMinute} requests a minute, {Key})")]
    public static partial void Pacing(ILogger logger, string source, double seconds, string budget, int perMinute, string key);

    [LoggerMessage(LogLevel.Warning, "{Source}: {Request} failed ({Reason}: {Detail}); retry {Retry} of {MaxRetries} in {Seconds:F1} s ({Why})")]
    public static partial void Retrying(ILogger logger, string source, string request, string reason, string detail, int retry, int maxRetries, double seconds, string why);

    [LoggerMessage(LogLevel.Warning, "{Source}: the platform reports its request budget exhausted; pausing requests for {Seconds:F0} s")]
    public static partial void BudgetExhausted(ILogger logger, string source, double seconds);

    [LoggerMessage(LogLevel.Error, "{Source}: the platform refused the credentials (HTTP {Code}) for {Request}. Check {Credential}. {Permissions}")]
    public static partial void AuthRefused(ILogger logger, string source, int code, string request, string credential, string permissions);

    [LoggerMessage(LogLevel.Warning, "{Source}: the schedule ({Schedule}) allows up to {PollsPerMinute:0.##} polls a minute, each costing at least {RequestsPerPoll} request(s) of the {Budget} budget: {Needed:0.##} a minute, more than the {Allowed} configured ({Key}). Polls will be paced and run late; poll less often, or raise {Key} if the plan allows.")]
    public static partial void ScheduleOverBudget(ILogger logger, string source, string schedule, double pollsPerMinute, int requestsPerPoll, string budget, double needed, int allowed, string key);
}
