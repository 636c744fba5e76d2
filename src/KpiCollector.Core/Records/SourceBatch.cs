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

    /// <summary>The source's data is complete up to this instant (kpis.md section 2).</summary>
    public DateTimeOffset? Watermark { get; init; }

    public int RecordCount => Conversations.Count + Surveys.Count + Messages.Count + AgentActivities.Count + Costs.Count + Customers.Count + Usage.Count;
}
