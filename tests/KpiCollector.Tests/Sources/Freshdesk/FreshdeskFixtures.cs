using System.Globalization;
using System.Text.Json.Nodes;

namespace KpiCollector.Tests.Sources.Freshdesk;

/// <summary>Freshdesk API v2 bodies shaped like the documented ones (docs/sources.md, "Freshdesk facts"), as plain JSON.</summary>
internal static class FreshdeskFixtures
{
    public static string Fields(string extraSources = "") => $$"""
        [
          { "id": 1, "name": "requester", "label": "Search a requester", "type": "default_requester" },
          { "id": 3, "name": "status", "label": "Status", "type": "default_status",
            "choices": { "2": ["Open", "Being Processed"], "3": ["Pending", "Awaiting your Reply"], "4": ["Resolved", "This ticket has been Resolved"],
                         "5": ["Closed", "This ticket has been Closed"], "6": ["Waiting on Customer", "Awaiting your Reply"], "7": ["Waiting on Third Party", "Being Processed"] } },
          { "id": 4, "name": "priority", "label": "Priority", "type": "default_priority", "choices": { "Low": 1, "Medium": 2, "High": 3, "Urgent": 4 } },
          { "id": 5, "name": "source", "label": "Source", "type": "default_source",
            "choices": { "Email": 1, "Portal": 2, "Phone": 3, "Forum": 4, "Twitter": 5, "Facebook": 6, "Chat": 7, "MobiHelp": 8, "Feedback Widget": 9,
                         "Outbound Email": 10, "Ecommerce": 11, "Bot": 12, "Whatsapp": 13, "Web Chat": 15{{extraSources}} } }
        ]
        """;

    public static JsonObject Ticket(long id, int status, int source, DateTimeOffset created, DateTimeOffset updated,
        DateTimeOffset? firstResponded = null, DateTimeOffset? resolved = null, DateTimeOffset? closed = null, DateTimeOffset? reopened = null) => new()
    {
        ["id"] = id,
        ["subject"] = "Where is my order?",
        ["status"] = status,
        ["priority"] = 3,
        ["source"] = source,
        ["type"] = "Question",
        ["requester_id"] = 2043036539987,
        ["responder_id"] = 15,
        ["group_id"] = 4,
        ["company_id"] = null,
        ["created_at"] = Iso(created),
        ["updated_at"] = Iso(updated),
        ["due_by"] = Iso(created.AddDays(1)),
        ["fr_due_by"] = Iso(created.AddHours(1)),
        ["nr_due_by"] = null,
        ["fr_escalated"] = false,
        ["nr_escalated"] = false,
        ["is_escalated"] = false,
        ["tags"] = new JsonArray(),
        ["custom_fields"] = new JsonObject { ["cf_region"] = "EU" },
        ["stats"] = new JsonObject
        {
            ["agent_responded_at"] = Iso(firstResponded),
            ["requester_responded_at"] = null,
            ["first_responded_at"] = Iso(firstResponded),
            ["status_updated_at"] = Iso(updated),
            ["reopened_at"] = Iso(reopened),
            ["resolved_at"] = Iso(resolved),
            ["closed_at"] = Iso(closed),
            ["pending_since"] = null,
        },
    };

    public static string List(params JsonObject[] tickets) => new JsonArray([.. tickets.Select(t => JsonNode.Parse(t.ToJsonString()))]).ToJsonString();

    public static JsonObject Rating(long id, long ticketId, int? score, DateTimeOffset at) => new()
    {
        ["id"] = id,
        ["survey_id"] = 1,
        ["user_id"] = 2043036539987,
        ["agent_id"] = 15,
        ["group_id"] = 4,
        ["ticket_id"] = ticketId,
        ["feedback"] = "ok",
        ["ratings"] = score is { } s ? new JsonObject { ["default_question"] = s, ["question_2"] = -102 } : new JsonObject { ["question_2"] = 101 },
        ["created_at"] = Iso(at),
        ["updated_at"] = Iso(at),
    };

    public static string? Iso(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
