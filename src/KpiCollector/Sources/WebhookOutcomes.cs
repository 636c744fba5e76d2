namespace KpiCollector.Sources;

/// <summary>What became of one webhook request (the <c>outcome</c> label of <c>kpicollector_webhook_requests_total</c>).</summary>
public static class WebhookOutcomes
{
    public const string Accepted = "accepted";
    public const string BadSignature = "bad_signature";
    public const string Malformed = "malformed";
    public const string Duplicate = "duplicate";
    public const string TooLarge = "too_large";

    /// <summary>The body came slower than the minimum data rate, or not within the read deadline (408).</summary>
    public const string TooSlow = "too_slow";

    /// <summary>Too many bodies were being read at once; refused with 503 and Retry-After, Meta delivers again.</summary>
    public const string Overloaded = "overloaded";

    public static IReadOnlyList<string> All { get; } = [Accepted, BadSignature, Malformed, Duplicate, TooLarge, TooSlow, Overloaded];
}
