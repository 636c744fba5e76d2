namespace KpiCollector.Core.Records;

/// <summary>
/// What a messaging platform reports in aggregate for an interval: one data point of the WhatsApp Cloud API's
/// <c>pricing_analytics</c> (messages and cost by pricing category) or <c>conversation_analytics</c> (conversations and
/// cost by conversation category and direction). The source gives each point an id that is stable across polls, so
/// the point of the current, still growing day is replaced each time it is read again.
/// </summary>
public sealed record MessagingUsage
{
    public required string Source { get; init; }

    public required string ExternalId { get; init; }

    /// <summary>The start of the reported period.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>The end of the reported period, or the time it was read for a period still running.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>The platform's category in lower case: <c>service</c>, <c>marketing</c>, <c>utility</c>, <c>authentication</c>, ...</summary>
    public required string Category { get; init; }

    /// <summary>For conversations: <c>user_initiated</c> or <c>business_initiated</c>; null when the platform does not say.</summary>
    public string? Direction { get; init; }

    /// <summary>Conversations opened in the period (conversation analytics); null for message volumes.</summary>
    public long? Conversations { get; init; }

    /// <summary>Messages in the period (pricing analytics volume); null for conversation counts.</summary>
    public long? Messages { get; init; }

    /// <summary>What the period cost; null when the account does not report cost (partner-billed accounts).</summary>
    public decimal? Cost { get; init; }

    public string? Currency { get; init; }
}
