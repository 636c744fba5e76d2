namespace KpiCollector.Core.Records;

/// <summary>Normalized conversation status (docs/metrics.md, "Normalized records").</summary>
public enum ConversationStatus
{
    New = 0,
    Open = 1,
    Pending = 2,
    OnHold = 3,
    Solved = 4,
    Closed = 5,
}

public static class ConversationStatuses
{
    /// <summary>The <c>status</c> label values, in enum order.</summary>
    public static IReadOnlyList<string> LabelValues { get; } = ["new", "open", "pending", "on_hold", "solved", "closed"];

    /// <summary>The statuses that count towards the backlog.</summary>
    public static IReadOnlyList<ConversationStatus> Backlog { get; } =
        [ConversationStatus.New, ConversationStatus.Open, ConversationStatus.Pending, ConversationStatus.OnHold];

    public static string ToLabel(this ConversationStatus status) => LabelValues[(int)status];

    public static bool IsEnded(this ConversationStatus status) =>
        status is ConversationStatus.Solved or ConversationStatus.Closed;
}
