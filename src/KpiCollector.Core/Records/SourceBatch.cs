namespace KpiCollector.Core.Records;

/// <summary>
/// One page of what a source learned: the records, the cursor to resume after it, and the time up to which
/// the source's data is complete. The store commits the records and the cursor in one transaction.
/// </summary>
public sealed record SourceBatch
{
    public IReadOnlyList<Conversation> Conversations { get; init; } = [];
    public IReadOnlyList<SurveyResponse> Surveys { get; init; } = [];
    public IReadOnlyList<MessageEvent> Messages { get; init; } = [];
    public IReadOnlyList<AgentActivity> AgentActivities { get; init; } = [];
    public IReadOnlyList<CostEntry> Costs { get; init; } = [];
    public IReadOnlyList<CustomerCount> Customers { get; init; } = [];

    public IReadOnlyList<MessagingUsage> Usage { get; init; } = [];

    /// <summary>Opaque to everything but the source that wrote it.</summary>
    public required string Cursor { get; init; }

    /// <summary>The source's data is complete up to this instant (docs/metrics.md, "Windows, event time and watermark").</summary>
    public DateTimeOffset? Watermark { get; init; }

    /// <summary>
    /// How far a long read (the first poll's backfill, a catch-up) has come through the platform's history when it
    /// reads oldest first: the change time of the newest change this page brings. It lets the backfill progress move
    /// while the watermark waits for the read's end (Zendesk's export sets it only at <c>end_of_stream</c>). Null when
    /// the watermark tells as much.
    /// </summary>
    public DateTimeOffset? ReadUpTo { get; init; }

    /// <summary>
    /// The same for a read that goes newest first (Chatwoot's backfill, by last activity): the oldest change time
    /// reached so far.
    /// </summary>
    public DateTimeOffset? ReadBackTo { get; init; }

    public int RecordCount => Conversations.Count + Surveys.Count + Messages.Count + AgentActivities.Count + Costs.Count + Customers.Count + Usage.Count;
}
