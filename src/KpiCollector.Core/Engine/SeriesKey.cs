namespace KpiCollector.Core.Engine;

/// <summary>
/// Identifies one exported series family: a source, a channel (or <c>all</c>) and, when the team breakdown is on,
/// a team. Never an id of a ticket, customer or agent.
/// </summary>
public readonly record struct SeriesKey(string Source, string Channel, string? Team = null);
