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

            if ((field.Pick == "last" ? path.Last(record) : path.First(record)) is { } e && RestValues.Text(e) is { } t)
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

    /// <summary>Whether the stream (or join, or fan-out) declares the field.</summary>
    public bool Declares(string name) => stream.Fields.ContainsKey(name);

    public Conversation? Conversation(JsonElement r) => Conversation(r, []);

    /// <summary>
    /// The conversation of <paramref name="r"/>, each field taken from the last of <paramref name="overlays"/> (joined
    /// records, fan-out answers) that declares it and yields a value, else from <paramref name="r"/>.
    /// </summary>
    public Conversation? Conversation(JsonElement r, IReadOnlyList<RestOverlay> overlays)
    {
        string? V(string name, ConversationStatus? status = null)
        {
            for (var i = overlays.Count - 1; i >= 0; i--)
            {
                if (overlays[i].Mapper.Declares(name) && overlays[i].Mapper.Value(overlays[i].Record, name, status) is { } v)
                {
                    return v;
                }
            }

            return Value(r, name, status);
        }

        DateTimeOffset? T(string name, ConversationStatus? status = null)
        {
            for (var i = overlays.Count - 1; i >= 0; i--)
            {
                if (overlays[i].Mapper.Declares(name) && overlays[i].Mapper.Time(overlays[i].Record, name, status) is { } t)
                {
                    return t;
                }
            }

            return Time(r, name, status);
        }

        double? D(string name) => V(name) is { } v && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;

        var id = Value(r, "external_id");
        var created = T("created_at");
        var updated = T("updated_at");
        if (id is null || created is null || updated is null)
        {
            return null;
        }

        var status = V("status") is { } label ? RestValues.Status(label) : ConversationStatus.New;
        return new Conversation
        {
            Source = source,
            ExternalId = id,
            Channel = Channels.Normalize(V("channel")),
            Status = status,
            Priority = V("priority"),
            TicketType = V("ticket_type"),
            Team = V("team"),
            RequesterId = V("requester_id"),
            AssigneeId = V("assignee_id"),
            CreatedAt = created.Value,
            FirstResponseAt = T("first_response_at", status),
            FirstResponderKind = V("first_responder_kind", status) switch { "bot" => ResponderKind.Bot, "human" => ResponderKind.Human, _ => null },
            BotHandoffAt = T("bot_handoff_at", status),
            FirstHumanResponseAt = T("first_human_response_at", status),
            FirstResolvedAt = T("first_resolved_at", status),
            ResolvedAt = T("resolved_at", status),
            ClosedAt = T("closed_at", status),
            AgentPublicReplies = D("agent_public_replies") is { } replies ? (int)replies : null,
            Reopens = D("reopens") is { } reopens ? (int)reopens : null,
            HandleTime = D("handle_time_seconds") is { } h ? TimeSpan.FromSeconds(h) : null,
            WaitingOnCustomer = D("waiting_on_customer_seconds") is { } w ? TimeSpan.FromSeconds(w) : null,
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

/// <summary>A record whose fields override a stream record's for one conversation: a joined record, a fan-out answer.</summary>
internal readonly record struct RestOverlay(RestMapper Mapper, JsonElement Record);
