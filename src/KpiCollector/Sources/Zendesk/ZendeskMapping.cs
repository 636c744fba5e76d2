using System.Globalization;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Zendesk;

/// <summary>
/// Zendesk tickets with their <c>metric_sets</c>, and satisfaction ratings, as normalized records (docs/metrics.md,
/// "Normalized records"; docs/sources.md, "Zendesk facts"). Zendesk's metrics count only public agent comments as replies, so the first response
/// is a human one; bot replies are not visible here.
/// </summary>
internal static class ZendeskMapping
{
    /// <summary>The survey's scale when the answer does not declare one: Zendesk's default CSAT scale, 1-5.</summary>
    public static readonly (double Min, double Max) DefaultSurveyScale = (1, 5);

    /// <summary>The status of a ticket; null when <c>status</c> is unknown (the caller may look up the custom status).</summary>
    public static ConversationStatus? Status(string? status) => status?.Trim().ToLowerInvariant() switch
    {
        "new" => ConversationStatus.New,
        "open" => ConversationStatus.Open,
        "pending" => ConversationStatus.Pending,
        "hold" => ConversationStatus.OnHold,
        "solved" => ConversationStatus.Solved,
        "closed" => ConversationStatus.Closed,
        "deleted" => ConversationStatus.Closed, // a deleted ticket leaves the backlog instead of haunting it
        _ => null,
    };

    public static Conversation Conversation(string source, ZendeskTicket t, ZendeskMetricSet? m, ConversationStatus status)
    {
        var created = t.CreatedAt;
        var firstReply = m?.ReplyTimeInSeconds?.Calendar is { } seconds
            ? created + TimeSpan.FromSeconds(seconds) // messaging tickets: to the second
            : m?.ReplyTimeInMinutes?.Calendar is { } minutes ? created + TimeSpan.FromMinutes(minutes) : (DateTimeOffset?)null;
        var ended = status.IsEnded();
        DateTimeOffset? resolved = m?.SolvedAt
            ?? (ended && m?.FullResolutionTimeInMinutes?.Calendar is { } full ? created + TimeSpan.FromMinutes(full) : null);
        DateTimeOffset? firstResolved = m?.FirstResolutionTimeInMinutes?.Calendar is { } first ? created + TimeSpan.FromMinutes(first) : resolved;
        return new Conversation
        {
            Source = source,
            ExternalId = Id(t.Id),
            Channel = t.Via is { } via ? ZendeskChannels.Normalize(via.Channel) : Channels.Other,
            Status = status,
            Priority = t.Priority,
            TicketType = t.Type,
            Team = Id(t.GroupId),
            RequesterId = Id(t.RequesterId),
            AssigneeId = Id(t.AssigneeId),
            CreatedAt = created,
            FirstResponseAt = firstReply,
            FirstResponderKind = firstReply is null ? null : ResponderKind.Human,
            FirstHumanResponseAt = firstReply,
            FirstResolvedAt = firstResolved,
            ResolvedAt = resolved,
            // Zendesk has no closed_at: a closed ticket cannot change any more, so its last update is its closing.
            ClosedAt = status == ConversationStatus.Closed ? t.UpdatedAt : null,
            AgentPublicReplies = m?.Replies,
            Reopens = m?.Reopens,
            WaitingOnCustomer = m?.AgentWaitTimeInMinutes?.Calendar is { } pending ? TimeSpan.FromMinutes(pending) : null,
            UpdatedAt = t.UpdatedAt,
        };
    }

    /// <summary>A legacy rating as a CSAT response on the 0..1 scale (bad 0, good 1: only good is satisfied); null for offered/unoffered.</summary>
    public static SurveyResponse? Survey(string source, ZendeskRating r, string channel, DateTimeOffset respondedAt)
    {
        double? score = r.Score.Trim().ToLowerInvariant() switch
        {
            "good" => 1,
            "bad" => 0,
            _ => null,
        };
        return score is null ? null : new SurveyResponse
        {
            Source = source,
            ExternalId = Id(r.Id),
            ConversationId = Id(r.TicketId),
            Kind = SurveyKind.Csat,
            Score = score.Value,
            ScaleMin = 0,
            ScaleMax = 1,
            RespondedAt = respondedAt,
            Channel = channel,
            AgentId = Id(r.AssigneeId),
            Team = Id(r.GroupId),
        };
    }

    /// <summary>
    /// The CSAT rating of a survey response as a response on its scale (the options the question declares, else 1-5);
    /// null when the response has no rating (an offer not answered, a skipped rating question) or is not about a ticket.
    /// </summary>
    public static SurveyResponse? Survey(string source, ZendeskSurveyResponse r, long ticket, DateTimeOffset respondedAt, string channel, string? agent, string? team)
    {
        if (CsatAnswer(r) is not { Rating: { } rating } answer)
        {
            return null;
        }

        var scale = answer.Question?.Options?.Select(o => o.Rating).OfType<double>().ToList() is { Count: >= 2 } options
            ? (Min: options.Min(), Max: options.Max())
            : DefaultSurveyScale;
        return new SurveyResponse
        {
            Source = source,
            ExternalId = r.Id,
            ConversationId = Id(ticket),
            Kind = SurveyKind.Csat,
            Score = rating,
            ScaleMin = scale.Min,
            ScaleMax = scale.Max,
            RespondedAt = respondedAt,
            Channel = channel,
            AgentId = agent,
            Team = team,
        };
    }

    /// <summary>The rating-scale answer to the customer-satisfaction question (or, when none says, the first rating-scale answer).</summary>
    public static ZendeskAnswer? CsatAnswer(ZendeskSurveyResponse r)
    {
        var scales = (r.Answers ?? []).Where(a => string.Equals(a.Type, "rating_scale", StringComparison.OrdinalIgnoreCase)).ToList();
        return scales.FirstOrDefault(a => string.Equals(a.Question?.SubType, "customer_satisfaction", StringComparison.OrdinalIgnoreCase))
            ?? scales.FirstOrDefault(a => a.Question?.SubType is null);
    }

    /// <summary>The ticket a survey response is about (<c>zen:ticket:123</c>); null for other subjects (conversations, requests).</summary>
    public static long? Ticket(ZendeskSurveyResponse r)
    {
        foreach (var zrn in (r.Subjects ?? []).Where(s => s.Type is null or "ticket").Select(s => s.Zrn).Concat(r.SubjectZrns ?? []))
        {
            // zen:ticket:123 (an example in Zendesk's docs writes zrn:ticket:123)
            if (zrn?.Split(':') is [_, "ticket", var number] && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var ticket))
            {
                return ticket;
            }
        }

        return null;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private static string? Id(long? id) => id is { } v ? Id(v) : null;
}
