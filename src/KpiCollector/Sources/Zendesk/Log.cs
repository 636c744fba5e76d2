namespace KpiCollector.Sources.Zendesk;

internal static partial class Log
{
    [LoggerMessage(LogLevel.Information, "{Source}: first poll; exporting tickets changed since {Start:u} ({Key}:Backfill)")]
    public static partial void FirstPoll(ILogger logger, string source, DateTimeOffset start, string key);

    [LoggerMessage(LogLevel.Warning, "{Source}: ticket status '{Status}' is unknown (custom status {CustomStatusId}); counted as open")]
    public static partial void UnknownStatus(ILogger logger, string source, string status, long? customStatusId);

    [LoggerMessage(LogLevel.Debug, "{Source}: export page of {Tickets} tickets, end of stream: {EndOfStream}")]
    public static partial void ExportPage(ILogger logger, string source, int tickets, bool endOfStream);

    [LoggerMessage(LogLevel.Debug, "{Source}: satisfaction ratings page of {Ratings} ratings, more: {HasMore}")]
    public static partial void RatingsPage(ILogger logger, string source, int ratings, bool hasMore);

    [LoggerMessage(LogLevel.Information, "{Source}: CSAT is read from {Mode} ({Key}:Zendesk:Csat is auto): {Reason}")]
    public static partial void CsatChosen(ILogger logger, string source, string mode, string reason, string key);

    [LoggerMessage(LogLevel.Debug, "{Source}: survey responses page of {Responses} responses, {Ratings} CSAT ratings, more: {HasMore}")]
    public static partial void SurveyResponsesPage(ILogger logger, string source, int responses, int ratings, bool hasMore);

    [LoggerMessage(LogLevel.Debug, "{Source}: {Pending} ratings answered after the ratings position (seen in the export) read one by one, {Read} found")]
    public static partial void LateRatings(ILogger logger, string source, int pending, int read);
}
