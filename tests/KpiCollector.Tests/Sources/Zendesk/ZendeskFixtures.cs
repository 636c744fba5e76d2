using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Tests.Sources.Zendesk;

/// <summary>
/// Zendesk response bodies shaped like the documented ones (platform-apis.md 1.2-1.5), built as plain JSON so the
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

    public static string Tickets(params JsonObject[] tickets) => new JsonObject { ["tickets"] = new JsonArray([.. tickets.Select(Clone)]) }.ToJsonString();

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A copy: a JSON node has one parent, and a fixture ticket may appear on several pages.</summary>
    public static JsonObject Clone(JsonObject o) => JsonNode.Parse(o.ToJsonString())!.AsObject();
}
