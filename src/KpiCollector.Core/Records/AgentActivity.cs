namespace KpiCollector.Core.Records;

public enum AgentState
{
    Available = 0,
    Busy = 1,
    Away = 2,
    Offline = 3,
}

/// <summary>
/// One agent's state over an interval. <see cref="To"/> null means "still in this state". Capacity is how many
/// conversations the agent can hold at once; work items how many were held (busy share = items ÷ capacity).
/// </summary>
public sealed record AgentActivity
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public required string AgentId { get; init; }
    public string? Team { get; init; }
    public required DateTimeOffset From { get; init; }
    public DateTimeOffset? To { get; init; }
    public required AgentState State { get; init; }
    public double? WorkItems { get; init; }
    public double? Capacity { get; init; }
}
