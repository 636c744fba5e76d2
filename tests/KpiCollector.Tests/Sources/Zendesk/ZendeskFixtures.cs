using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Tests.Sources.Zendesk;

/// <summary>
/// Zendesk response bodies shaped like the documented ones (docs/sources.md, "Zendesk facts"), built as plain JSON so the
/// tests never share a type with the connector.
/// </summary>
internal static class ZendeskFixtures
{
    public static JsonObject Ticket(long id, string status, object channel, DateTimeOffset created, DateTimeOffset updated, long? customStatusId = null) => new()
    {
        ["id"] = id,
        ["url"] = $"https://acme.zendesk.com/api/v2/tickets/{id}.json",
        ["status"] = status,
        ["type"] = "question",
        ["priority"] = "high",
        ["created_at"] = Iso(created),
        ["updated_at"] = Iso(updated),
        ["generated_timestamp"] = updated.ToUnixTimeSeconds(),
        ["requester_id"] = 901,
        ["assignee_id"] = 55,
        ["group_id"] = 7,
        ["custom_status_id"] = customStatusId,
        ["via"] = new JsonObject { ["channel"] = JsonValue.Create(channel), ["source"] = new JsonObject { ["from"] = new JsonObject(), ["to"] = new JsonObject(), ["rel"] = null } },
        ["satisfaction_rating"] = new JsonObject { ["score"] = "unoffered" },
        ["tags"] = new JsonArray("billing"),
        ["custom_fields"] = new JsonArray(new JsonObject { ["id"] = 27642, ["value"] = "745" }),
    };

    public static JsonObject MetricSet(long ticketId, double? replyMinutes = null, double? replySeconds = null, double? firstResolutionMinutes = null,
        DateTimeOffset? solvedAt = null, int replies = 1, int reopens = 0, double? agentWaitMinutes = null) => new()
    {
        ["id"] = ticketId * 10,
        ["ticket_id"] = ticketId,
        ["reply_time_in_minutes"] = new JsonObject { ["calendar"] = replyMinutes, ["business"] = replyMinutes },
        ["reply_time_in_seconds"] = replySeconds is null ? null : new JsonObject { ["calendar"] = replySeconds },
        ["first_resolution_time_in_minutes"] = new JsonObject { ["calendar"] = firstResolutionMinutes, ["business"] = firstResolutionMinutes },
        ["full_resolution_time_in_minutes"] = new JsonObject { ["calendar"] = firstResolutionMinutes, ["business"] = firstResolutionMinutes },
        ["agent_wait_time_in_minutes"] = new JsonObject { ["calendar"] = agentWaitMinutes, ["business"] = agentWaitMinutes },
        ["requester_wait_time_in_minutes"] = new JsonObject { ["calendar"] = 3, ["business"] = 3 },
        ["on_hold_time_in_minutes"] = new JsonObject { ["calendar"] = 0, ["business"] = 0 },
        ["reopens"] = reopens,
        ["replies"] = replies,
        ["assignee_stations"] = 1,
        ["group_stations"] = 1,
        ["solved_at"] = solvedAt is { } s ? Iso(s) : null,
    };

    public static string ExportPage(IEnumerable<JsonObject> tickets, IEnumerable<JsonObject>? metricSets, string? after, bool endOfStream) => new JsonObject
    {
        ["tickets"] = new JsonArray([.. tickets.Select(Clone)]),
        ["metric_sets"] = new JsonArray([.. (metricSets ?? []).Select(Clone)]),
        ["after_cursor"] = after,
        ["after_url"] = after is null ? null : $"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={after}",
        ["before_cursor"] = null,
        ["before_url"] = null,
        ["end_of_stream"] = endOfStream,
    }.ToJsonString();

    public static JsonObject Rating(long id, long ticketId, string score, DateTimeOffset at) => new()
    {
        ["id"] = id,
        ["ticket_id"] = ticketId,
        ["score"] = score,
        ["assignee_id"] = 55,
        ["group_id"] = 7,
        ["requester_id"] = 901,
        ["comment"] = "quick!",
        ["created_at"] = Iso(at),
        ["updated_at"] = Iso(at),
    };

    public static string RatingsPage(IEnumerable<JsonObject> ratings, string? after = null) => new JsonObject
    {
        ["satisfaction_ratings"] = new JsonArray([.. ratings.Select(Clone)]),
        ["meta"] = new JsonObject { ["has_more"] = after is not null, ["after_cursor"] = after, ["before_cursor"] = null },
        ["links"] = new JsonObject { ["next"] = after is null ? null : "https://acme.zendesk.com/api/v2/satisfaction_ratings.json?page[after]=" + after, ["prev"] = null },
    }.ToJsonString();

    /// <summary>
    /// A CSAT survey response as Zendesk documents it (no created_at of its own: the answers carry the times). A
    /// <paramref name="rating"/> of null gives a skipped rating question; <paramref name="scale"/> the question's options.
    /// </summary>
    public static JsonObject SurveyResponse(string id, string zrn, int? rating, DateTimeOffset at, int[]? scale = null, string subjectType = "ticket")
    {
        var question = new JsonObject { ["id"] = "01J1WBE8QR0YQVE373K2JDJR0F", ["sub_type"] = "customer_satisfaction", ["type"] = "rating_scale_numeric" };
        if (scale is not null)
        {
            question["options"] = new JsonArray([.. scale.Select(v => (JsonNode)new JsonObject { ["rating"] = v, ["label"] = new JsonObject { ["type"] = "static", ["value"] = $"{v}" } })]);
        }

        var answers = new JsonArray(rating is { } value
            ? new JsonObject { ["type"] = "rating_scale", ["rating"] = value, ["rating_category"] = value >= 4 ? "good" : "bad", ["question"] = question, ["created_at"] = IsoMs(at.AddMinutes(-1)), ["updated_at"] = IsoMs(at) }
            : new JsonObject { ["type"] = "skipped", ["question"] = question, ["created_at"] = IsoMs(at), ["updated_at"] = IsoMs(at) });
        answers.Add(new JsonObject { ["type"] = "open_ended", ["value"] = "I had to repeatedly answer the same questions.", ["question"] = new JsonObject { ["id"] = "01J1WBNS76ZC4TTFWP9RCNQ1S8", ["type"] = "open_ended" }, ["created_at"] = IsoMs(at), ["updated_at"] = IsoMs(at) });
        answers.Add(new JsonObject { ["type"] = "closed_ended", ["selections"] = new JsonArray(new JsonObject { ["option_id"] = "01J1WBKRG57E6M8C1145EXJ535", ["type"] = "predefined" }), ["question"] = new JsonObject { ["id"] = "01J1WBGX1BR4ECKTS87CRJTXSF", ["type"] = "closed_ended" }, ["created_at"] = IsoMs(at), ["updated_at"] = IsoMs(at) });
        var subjectId = zrn[(zrn.LastIndexOf(':') + 1)..];
        return new JsonObject
        {
            ["answers"] = answers,
            ["expires_at"] = IsoMs(at.AddDays(7)),
            ["id"] = id,
            ["responder_id"] = 4398080151295,
            ["subject_zrns"] = new JsonArray(zrn),
            ["subjects"] = new JsonArray(new JsonObject { ["id"] = subjectId, ["type"] = subjectType, ["zrn"] = zrn }),
            ["survey"] = new JsonObject { ["id"] = "01J58KJ9RAE0D2EK7HRVM7Z8F2", ["state"] = "enabled", ["version"] = 3 },
        };
    }

    public static string SurveyResponsesPage(IEnumerable<JsonObject> responses, string? after = null) => new JsonObject
    {
        ["meta"] = new JsonObject { ["after_cursor"] = after, ["before_cursor"] = null, ["has_more"] = after is not null },
        ["links"] = new JsonObject { ["next"] = after is null ? null : "https://acme.zendesk.com/api/v2/guide/survey_responses?page[after]=" + after, ["prev"] = null },
        ["survey_responses"] = new JsonArray([.. responses.Select(Clone)]),
    }.ToJsonString();

    public static string IsoMs(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Tickets(params JsonObject[] tickets) => new JsonObject { ["tickets"] = new JsonArray([.. tickets.Select(Clone)]) }.ToJsonString();

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A copy: a JSON node has one parent, and a fixture ticket may appear on several pages.</summary>
    public static JsonObject Clone(JsonObject o) => JsonNode.Parse(o.ToJsonString())!.AsObject();
}
