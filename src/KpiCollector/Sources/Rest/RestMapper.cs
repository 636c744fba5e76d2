using System.Globalization;
using System.Text.Json;
using KpiCollector.Core.Records;

namespace KpiCollector.Sources.Rest;

/// <summary>Maps one selected JSON record onto a normalized record, field by field, as the stream's <c>fields</c> say.</summary>
internal sealed class RestMapper(string source, RestStream stream, IReadOnlyDictionary<string, Dictionary<string, string>> overrides)
{
    /// <summary>The field's value as text, after paths, conditions, maps and defaults; null when it has none.</summary>
    public string? Value(JsonElement record, string name, ConversationStatus? status = null)
    {
        if (!stream.Fields.TryGetValue(name, out var field))
        {
            return null;
        }

        string? raw = null;
        foreach (var (path, when) in field.Paths)
        {
            if (when is not null && (status is not { } s || !when.Contains(s)))
            {
                continue;
            }

            if (path.First(record) is { } e && RestValues.Text(e) is { } t)
            {
                raw = t;
                break;
            }
        }

        if (field.Paths.Count == 0)
        {
            return field.Value;
        }

        if (raw is null)
        {
            return field.Missing;
        }

        var extra = overrides.GetValueOrDefault(name);
        if (extra is not null && extra.TryGetValue(raw, out var over))
        {
            return over;
        }

        if (field.Map is { } map)
        {
            return map.TryGetValue(raw, out var mapped) ? mapped : field.Default;
        }

        return field.Default ?? raw;
    }

    public DateTimeOffset? Time(JsonElement record, string name, ConversationStatus? status = null)
    {
        var at = RestValues.Time(Value(record, name, status));
        if (at is { } a && stream.Fields.GetValueOrDefault(name)?.AddMinutes is { } minutes && minutes.First(record) is { ValueKind: JsonValueKind.Number } m)
        {
            return a.AddMinutes(m.GetDouble());
        }

        return at;
    }

    public int? Int(JsonElement record, string name) =>
        Value(record, name) is { } v && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? (int)n : null;

    public double? Double(JsonElement record, string name) =>
        Value(record, name) is { } v && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;

    public Conversation? Conversation(JsonElement r)
    {
        var id = Value(r, "external_id");
        var created = Time(r, "created_at");
        var updated = Time(r, "updated_at");
        if (id is null || created is null || updated is null)
        {
            return null;
        }

        var status = Value(r, "status") is { } label ? RestValues.Status(label) : ConversationStatus.New;
        return new Conversation
        {
            Source = source,
            ExternalId = id,
            Channel = Channels.Normalize(Value(r, "channel")),
            Status = status,
            Priority = Value(r, "priority"),
            TicketType = Value(r, "ticket_type"),
            Team = Value(r, "team"),
            RequesterId = Value(r, "requester_id"),
            AssigneeId = Value(r, "assignee_id"),
            CreatedAt = created.Value,
            FirstResponseAt = Time(r, "first_response_at", status),
            FirstResponderKind = Value(r, "first_responder_kind", status) switch { "bot" => ResponderKind.Bot, "human" => ResponderKind.Human, _ => null },
            BotHandoffAt = Time(r, "bot_handoff_at", status),
            FirstHumanResponseAt = Time(r, "first_human_response_at", status),
            FirstResolvedAt = Time(r, "first_resolved_at", status),
            ResolvedAt = Time(r, "resolved_at", status),
            ClosedAt = Time(r, "closed_at", status),
            AgentPublicReplies = Int(r, "agent_public_replies"),
            Reopens = Int(r, "reopens"),
            HandleTime = Double(r, "handle_time_seconds") is { } h ? TimeSpan.FromSeconds(h) : null,
            WaitingOnCustomer = Double(r, "waiting_on_customer_seconds") is { } w ? TimeSpan.FromSeconds(w) : null,
            UpdatedAt = updated.Value,
        };
    }

    /// <summary>A survey response; null for a response without a score (skipped).</summary>
    public SurveyResponse? Survey(JsonElement r, string channel)
    {
        var id = Value(r, "external_id");
        var score = Double(r, "score");
        var at = Time(r, "responded_at");
        if (id is null || score is null || at is null)
        {
            return null;
        }

        return new SurveyResponse
        {
            Source = source,
            ExternalId = id,
            ConversationId = Value(r, "conversation_id"),
            Kind = Value(r, "kind") switch { "nps" => SurveyKind.Nps, "ces" => SurveyKind.Ces, _ => SurveyKind.Csat },
            Score = score,
            ScaleMin = Double(r, "scale_min") ?? 1,
            ScaleMax = Double(r, "scale_max") ?? 5,
            RespondedAt = at.Value,
            Channel = channel,
            AgentId = Value(r, "agent_id"),
            Team = Value(r, "team"),
        };
    }

    public MessageEvent? Message(JsonElement r, string channel)
    {
        var id = Value(r, "external_id");
        var conversation = Value(r, "conversation_id");
        var at = Time(r, "at");
        if (id is null || conversation is null || at is null)
        {
            return null;
        }

        return new MessageEvent
        {
            Source = source,
            ExternalId = id,
            ConversationId = conversation,
            At = at.Value,
            Direction = Value(r, "direction") == "outbound" ? MessageDirection.Outbound : MessageDirection.Inbound,
            Author = Value(r, "author") switch { "bot" => AuthorKind.Bot, "human" => AuthorKind.Human, _ => AuthorKind.Customer },
            Channel = channel,
        };
    }
}
