using KpiCollector.Core.Records;

namespace KpiCollector.Tests.Support;

/// <summary>Small builders for test records.</summary>
internal static class Records
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public static Conversation Conversation(string id, DateTimeOffset created, string channel = Channels.WhatsApp, string source = "src") => new()
    {
        Source = source,
        ExternalId = id,
        Channel = channel,
        Status = ConversationStatus.New,
        CreatedAt = created,
        UpdatedAt = created,
    };

    public static Conversation Replied(this Conversation c, TimeSpan after, ResponderKind kind = ResponderKind.Human) => c with
    {
        Status = ConversationStatus.Open,
        FirstResponseAt = c.CreatedAt + after,
        FirstResponderKind = kind,
        FirstHumanResponseAt = kind == ResponderKind.Human ? c.CreatedAt + after : c.FirstHumanResponseAt,
        UpdatedAt = Max(c.UpdatedAt, c.CreatedAt + after),
    };

    public static Conversation Solved(this Conversation c, TimeSpan after) => c with
    {
        Status = ConversationStatus.Solved,
        ResolvedAt = c.CreatedAt + after,
        FirstResolvedAt = c.FirstResolvedAt ?? c.CreatedAt + after,
        UpdatedAt = Max(c.UpdatedAt, c.CreatedAt + after),
    };

    public static SurveyResponse Csat(string id, double score, DateTimeOffset at, string channel = Channels.WhatsApp, double min = 1, double max = 5) => new()
    {
        Source = "src",
        ExternalId = id,
        Kind = SurveyKind.Csat,
        Score = score,
        ScaleMin = min,
        ScaleMax = max,
        RespondedAt = at,
        Channel = channel,
    };

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
