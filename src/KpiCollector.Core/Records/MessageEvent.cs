namespace KpiCollector.Core.Records;

public enum MessageDirection
{
    Inbound = 0,
    Outbound = 1,
}

public enum AuthorKind
{
    Customer = 0,
    Bot = 1,
    Human = 2,
}

/// <summary>
/// One message of a conversation (optional: from message-level APIs and webhooks). The source, which sees the thread,
/// links a business reply to the customer message it answers (<see cref="RespondsToAt"/>), so reply times need no
/// per-thread state downstream.
/// </summary>
public sealed record MessageEvent
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public required string ConversationId { get; init; }
    public required DateTimeOffset At { get; init; }
    public required MessageDirection Direction { get; init; }
    public required AuthorKind Author { get; init; }
    public string Channel { get; init; } = Channels.Other;

    /// <summary>For a business reply: when the oldest customer message it answers was sent (the start of that wait).</summary>
    public DateTimeOffset? RespondsToAt { get; init; }

    /// <summary>For a customer message: whether it opens a wait (the first since the last business reply).</summary>
    public bool StartsWait { get; init; }

    /// <summary>For outbound WhatsApp messages: sent, delivered, read or failed (highest seen).</summary>
    public string? DeliveryStatus { get; init; }

    public string? ErrorCode { get; init; }
}
