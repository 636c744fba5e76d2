namespace KpiCollector.Pipeline;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Debug, "Poll of {Source} done: {Pages} pages, {Changed} records changed, {Milliseconds:F0} ms")]
    public static partial void PollSucceeded(ILogger logger, string source, int pages, int changed, double milliseconds);

    [LoggerMessage(LogLevel.Information, "Poll of {Source} cancelled by shutdown after {Pages} committed pages")]
    public static partial void PollCancelled(ILogger logger, string source, int pages);

    [LoggerMessage(LogLevel.Warning, "Poll of {Source} failed ({Reason}): {Message}; {Pages} pages were committed before the failure, the next poll resumes after them")]
    public static partial void PollFailed(ILogger logger, string source, string reason, string message, int pages);

    [LoggerMessage(LogLevel.Information, "Backfill of {Source}: {Percent}, data read up to {ReachedAt}, {Records} records and {Requests} requests so far, time left {Eta}")]
    public static partial void BackfillProgress(ILogger logger, string source, string percent, string reachedAt, long records, long requests, string eta);

    [LoggerMessage(LogLevel.Information, "Backfill of {Source} complete in {Duration}: {Records} records, {Requests} requests")]
    public static partial void BackfillComplete(ILogger logger, string source, string duration, long records, long requests);

    [LoggerMessage(LogLevel.Warning, "Poll of {Source} stopped: {Message}; {Pages} pages were committed before, the source's new owner goes on from there")]
    public static partial void PollFenced(ILogger logger, string source, string message, int pages);

    [LoggerMessage(LogLevel.Error, "Poll of {Source} failed unexpectedly after {Pages} committed pages")]
    public static partial void PollCrashed(ILogger logger, string source, int pages, Exception exception);
}
