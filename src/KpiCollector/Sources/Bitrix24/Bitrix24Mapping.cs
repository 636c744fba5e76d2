using System.Globalization;
using KpiCollector.Core.Records;
using KpiCollector.Sources.Http;

namespace KpiCollector.Sources.Bitrix24;

/// <summary>
/// Maps an open-line session (its CRM activity and its history) onto a normalized conversation and its customer
/// vote (docs/sources.md, "Bitrix24 Open Channels", "What maps to what").
/// </summary>
internal static class Bitrix24Mapping
{
    /// <summary>The customer's vote: like and dislike, as Bitrix24 stores them.</summary>
    public const int Like = 5;

    public const int Dislike = 1;

    /// <summary>The channel of each open-line connector Bitrix24 ships, by the id it gives the connector.</summary>
    private static readonly Dictionary<string, string> Connectors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["livechat"] = Channels.Chat,
        ["network"] = Channels.Chat,
        ["imessage"] = Channels.Chat,
        ["whatsappbytwilio"] = Channels.WhatsApp,
        ["whatsappbyedna"] = Channels.WhatsApp,
        ["whatsappbyzenvia"] = Channels.WhatsApp,
        ["telegrambot"] = Channels.Social,
        ["viber"] = Channels.Social,
        ["facebook"] = Channels.Social,
        ["facebookcomments"] = Channels.Social,
        ["fbinstagramdirect"] = Channels.Social,
        ["fbinstagram"] = Channels.Social,
        ["instagram"] = Channels.Social,
        ["vkgroup"] = Channels.Social,
        ["ok"] = Channels.Social,
        ["wechat"] = Channels.Social,
        ["avito"] = Channels.Social,
        ["olx"] = Channels.Social,
        ["notifications"] = Channels.Sms,
        ["twilio"] = Channels.Sms,
    };

    /// <summary>Whether the built-in table knows the connector.</summary>
    public static bool KnowsConnector(string? connector) =>
        connector is not null && (Connectors.ContainsKey(connector) || connector.Contains("whatsapp", StringComparison.OrdinalIgnoreCase));

    /// <summary>The channel of a connector: the configured override, the built-in table, else other.</summary>
    public static string Channel(string? connector, IReadOnlyDictionary<string, string> overrides)
    {
        if (connector is null)
        {
            return Channels.Other;
        }

        if (overrides.TryGetValue(connector, out var configured))
        {
            return configured;
        }

        return Connectors.TryGetValue(connector, out var known) ? known
            : connector.Contains("whatsapp", StringComparison.OrdinalIgnoreCase) ? Channels.WhatsApp
            : Channels.Other;
    }

    /// <summary>What a row of <c>crm.activity.list</c> says of its session; a row without a session or dates is malformed.</summary>
    public static Bitrix24Pending Read(Bitrix24Activity a, int index)
    {
        const string What = "activities list";
        var at = $"$.result[{index}]";
        var session = a.AssociatedEntityId is > 0 ? a.AssociatedEntityId.Value : throw SourceJson.Malformed(What, $"{at}.ASSOCIATED_ENTITY_ID", "missing: the activity names no open-line session");
        var created = Bitrix24Json.Date(a.Created, What, $"{at}.CREATED") ?? Bitrix24Json.Date(a.StartTime, What, $"{at}.START_TIME")
            ?? throw SourceJson.Malformed(What, $"{at}.CREATED", "missing");
        var updated = Bitrix24Json.Date(a.LastUpdated, What, $"{at}.LAST_UPDATED") ?? created;
        DateTimeOffset? closed = null;
        if (a.Completed == "Y")
        {
            closed = Bitrix24Json.Date(a.EndTime, What, $"{at}.END_TIME") ?? updated;
        }

        return new Bitrix24Pending
        {
            ActivityId = a.Id,
            SessionId = session,
            Created = created.ToUnixTimeSeconds(),
            Closed = closed?.ToUnixTimeSeconds(),
            Updated = updated.ToUnixTimeSeconds(),
            Operator = a.ResponsibleId is > 0 ? a.ResponsibleId : null,
            Connector = string.IsNullOrWhiteSpace(a.ProviderTypeId) ? null : a.ProviderTypeId.Trim(),
        };
    }

    /// <summary>
    /// The conversation of a session. Without its history (not read yet, or unreadable) the answers are unknown; with
    /// it, the first answer after the customer's first message is the first response, by a bot or an operator.
    /// </summary>
    public static Conversation Conversation(string source, Bitrix24Pending p, Bitrix24History? history, string channel)
    {
        var created = At(p.Created);
        var closed = p.Closed is { } c ? At(c) : (DateTimeOffset?)null;
        DateTimeOffset? first = null, firstHuman = null;
        ResponderKind? kind = null;
        int? replies = null;
        if (history is not null)
        {
            var answers = history.Messages.Where(m => m.Author is Bitrix24Author.Bot or Bitrix24Author.Operator).ToList();
            var firstAnswer = answers.FirstOrDefault();
            first = firstAnswer?.At;
            kind = firstAnswer is null ? null : firstAnswer.Author == Bitrix24Author.Bot ? ResponderKind.Bot : ResponderKind.Human;
            firstHuman = answers.FirstOrDefault(m => m.Author == Bitrix24Author.Operator)?.At;
            replies = answers.Count(m => m.Author == Bitrix24Author.Operator);
        }

        return new Conversation
        {
            Source = source,
            ExternalId = Id(p.SessionId)!,
            Channel = channel,
            Status = closed is not null ? ConversationStatus.Closed : firstHuman is not null || p.Operator is not null && history is null ? ConversationStatus.Open : ConversationStatus.New,
            AssigneeId = Id(p.Operator),
            CreatedAt = created,
            FirstResponseAt = first,
            FirstResponderKind = kind,
            FirstHumanResponseAt = firstHuman,
            FirstResolvedAt = closed,
            ResolvedAt = closed,
            ClosedAt = closed,
            AgentPublicReplies = replies,
            UpdatedAt = At(p.Updated),
        };
    }

    /// <summary>The customer's vote as a CSAT answer (like 5, dislike 1 on a 1-5 scale); null when the customer did not vote.</summary>
    public static SurveyResponse? Vote(string source, Bitrix24Pending p, Bitrix24History history, string channel) =>
        history.Vote is Like or Dislike
            ? new SurveyResponse
            {
                Source = source,
                ExternalId = "vote-" + Id(p.SessionId),
                ConversationId = Id(p.SessionId),
                Kind = SurveyKind.Csat,
                Score = history.Vote.Value,
                ScaleMin = Dislike,
                ScaleMax = Like,
                RespondedAt = At(p.Updated),
                Channel = channel,
                AgentId = Id(p.Operator),
            }
            : null;

    private static DateTimeOffset At(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);

    private static string? Id(long? id) => id?.ToString(CultureInfo.InvariantCulture);
}
