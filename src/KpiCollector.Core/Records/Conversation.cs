namespace KpiCollector.Core.Records;

/// <summary>
/// A ticket or a messaging conversation, normalized (docs/metrics.md, "Normalized records"). Immutable: a source that learns more
/// about a conversation emits a new version, and the engine retracts the old version's events before adding the new one.
/// Fields a platform does not have stay null.
/// </summary>
public sealed record Conversation
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public string Channel { get; init; } = Channels.Other;
    public ConversationStatus Status { get; init; } = ConversationStatus.New;
    public string? Priority { get; init; }
    public string? TicketType { get; init; }
    public string? Team { get; init; }
    public string? RequesterId { get; init; }
    public string? AssigneeId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FirstResponseAt { get; init; }
    public ResponderKind? FirstResponderKind { get; init; }

    /// <summary>When a bot handed the conversation to the human queue: the start of the customer's wait for a live agent.</summary>
    public DateTimeOffset? BotHandoffAt { get; init; }

    public DateTimeOffset? FirstHumanResponseAt { get; init; }
    public DateTimeOffset? FirstResolvedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public int? AgentPublicReplies { get; init; }
    public int? Reopens { get; init; }
    public TimeSpan? HandleTime { get; init; }
    public TimeSpan? WaitingOnCustomer { get; init; }

    /// <summary>The conversation's CSAT answer, joined in by the store from survey responses (for the quality score).</summary>
    public SurveyScore? Csat { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A survey score with the scale it was given on.</summary>
public readonly record struct SurveyScore(double Score, double ScaleMin, double ScaleMax);
