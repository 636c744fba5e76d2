namespace KpiCollector.Core.Records;

public enum SurveyKind
{
    Csat = 0,
    Nps = 1,
    Ces = 2,
}

/// <summary>One answer to a CSAT, NPS or CES survey, with the scale it was given on.</summary>
public sealed record SurveyResponse
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public string? ConversationId { get; init; }
    public required SurveyKind Kind { get; init; }
    public required double Score { get; init; }
    public required double ScaleMin { get; init; }
    public required double ScaleMax { get; init; }
    public required DateTimeOffset RespondedAt { get; init; }
    public string Channel { get; init; } = Channels.Other;
    public string? AgentId { get; init; }
    public string? Team { get; init; }
}
