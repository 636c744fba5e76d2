namespace KpiCollector.Core.Sla;

/// <summary>
/// A decided SLA outcome: met at the reply (or resolution), or breached at the deadline. Identified by policy, source,
/// conversation and the start of its clock; the store records each identity once, so nothing is decided twice.
/// </summary>
public sealed record SlaOutcome
{
    public required string Policy { get; init; }
    public required string Source { get; init; }
    public required string ConversationId { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required bool Met { get; init; }

    /// <summary>The event time of the decision: the stop time when met, the deadline when breached.</summary>
    public required DateTimeOffset DecidedAt { get; init; }

    public required string Channel { get; init; }
    public string? Team { get; init; }
}
