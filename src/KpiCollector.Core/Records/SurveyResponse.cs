namespace KpiCollector.Core.Records;

public enum SurveyKind
{
    Csat = 0,
    Nps = 1,
    Ces = 2,
}

public static class SurveyKinds
{
    public static string ToLabel(this SurveyKind kind) => kind switch
    {
        SurveyKind.Csat => "csat",
        SurveyKind.Nps => "nps",
        _ => "ces",
    };
}

/// <summary>
/// One CSAT, NPS or CES survey: offered, and answered when <see cref="Score"/> is set, with the scale it was given on.
/// Sources that cannot see unanswered offers only emit answered ones.
/// </summary>
public sealed record SurveyResponse
{
    public required string Source { get; init; }
    public required string ExternalId { get; init; }
    public string? ConversationId { get; init; }
    public required SurveyKind Kind { get; init; }

    /// <summary>The answer; null for a survey that was offered and not (yet) answered.</summary>
    public required double? Score { get; init; }

    public required double ScaleMin { get; init; }
    public required double ScaleMax { get; init; }

    /// <summary>When it was answered, or offered when unanswered.</summary>
    public required DateTimeOffset RespondedAt { get; init; }

    public string Channel { get; init; } = Channels.Other;
    public string? AgentId { get; init; }
    public string? Team { get; init; }
}
