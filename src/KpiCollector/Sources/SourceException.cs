namespace KpiCollector.Sources;

/// <summary>The bounded <c>reason</c> label values of <c>kpicollector_source_errors_total</c>.</summary>
public static class ErrorReasons
{
    public const string Timeout = "timeout";
    public const string Http5xx = "http_5xx";
    public const string RateLimited = "rate_limited";
    public const string Auth = "auth";
    public const string Parse = "parse";
    public const string Other = "other";

    public static IReadOnlyList<string> All { get; } = [Timeout, Http5xx, RateLimited, Auth, Parse, Other];
}

/// <summary>A poll failure a source understood: carries the bounded reason and a message safe to log (no credentials).</summary>
public sealed class SourceException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = ErrorReasons.All.Contains(reason) ? reason : ErrorReasons.Other;
}
