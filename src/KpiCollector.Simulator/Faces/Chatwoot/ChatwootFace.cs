using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.Chatwoot;

/// <summary>
/// A simulated Chatwoot install under <c>/chatwoot</c>, written from Chatwoot's jbuilder views and finders
/// (docs/sources.md, Chatwoot: "Endpoints called" and "What is read, and how it maps"), independently of the connector:
/// <c>GET /api</c> (the version), inboxes, conversations (25 a page, <c>status</c>, <c>sort_by</c>,
/// <c>updated_within</c> unpaginated), one conversation, its messages (<c>after</c>: oldest first, 100; <c>before</c>:
/// the 20 before) and CSAT survey responses.
/// </summary>
/// <remarks>
/// Timestamps are epoch seconds (<c>updated_at</c> a float), and <c>first_reply_created_at</c> and <c>waiting_since</c>
/// are 0 when unset, as Chatwoot's <c>to_i</c> of nil gives. The simulation has no messages, so each conversation's
/// are derived from it: the customer's first message, the bot's reply, the agents' public replies, and an activity
/// message at resolution. Inboxes: WhatsApp (Cloud API), email, the website widget (chat and web), Twilio SMS,
/// Facebook, and an API inbox that carries phone conversations (Chatwoot has no voice inbox here).
/// </remarks>
public sealed class ChatwootFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);
    private const int ConversationsPerPage = 25;
    private const int CsatPerPage = 25;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["error"] = "You need to sign in or sign up before continuing." },
        new JsonObject { ["error"] = "Throttled" },
        new JsonObject { ["status"] = 500, ["error"] = "Internal Server Error" });

    private static readonly (long Id, string Name, string Type, string? Medium, string[] Channels)[] Inboxes =
    [
        (1, "WhatsApp Support", "Channel::Whatsapp", null, [Channels.WhatsApp]),
        (2, "Support Email", "Channel::Email", null, [Channels.Email]),
        (3, "Website", "Channel::WebWidget", null, [Channels.Chat, Channels.Web]),
        (4, "SMS", "Channel::TwilioSms", "sms", [Channels.Sms]),
        (5, "Facebook", "Channel::FacebookPage", null, [Channels.Social]),
        (6, "Phone (API)", "Channel::Api", null, [Channels.Phone, Channels.Api, Channels.Other]),
    ];

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly ChatwootFaceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ChatwootFace(SimulatedHelpdesk helpdesk, ChatwootFaceOptions options, TimeProvider time, ILogger<ChatwootFace> logger)
    {
        _helpdesk = helpdesk;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public string Name => "chatwoot";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face, for tests that change it the way an agent would (delete a ticket).</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/chatwoot/api", () => FaceResponses.Json(new JsonObject
        {
            ["version"] = _options.Version,
            ["timestamp"] = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        }));
        app.MapGet("/chatwoot/api/v1/profile", (Delegate)((HttpContext context) => FaceServer.ServeAsync(context, this, Errors, Authorized, Profile, _logger)));
        var api = app.MapGroup("/chatwoot/api/v1/accounts/{account}");
        Get(api, "/inboxes", _ => new FaceReply(new JsonObject { ["payload"] = new JsonArray([.. Inboxes.Select(i => (JsonNode)Inbox(i))]) }));
        Get(api, "/conversations", List);
        Get(api, "/conversations/{id}", r => Find(r) is { } c ? new FaceReply(Conversation(c)) : NotFound());
        Get(api, "/conversations/{id}/messages", Messages);
        Get(api, "/csat_survey_responses", Csat, adminOnly: true);
    }

    /// <param name="adminOnly">Chatwoot's policy lets administrators only: the agent token gets 401, as Pundit's refusal renders.</param>
    private void Get(RouteGroupBuilder api, string path, Func<HttpRequest, FaceReply> handler, bool adminOnly = false) =>
        api.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, Authorized,
            r => r.RouteValues["account"]?.ToString() != _options.AccountId.ToString(CultureInfo.InvariantCulture) ? NotFound()
                : adminOnly && IsAgent(r) ? new FaceReply(new JsonObject { ["error"] = "You are not authorized to do this action" }, StatusCodes.Status401Unauthorized)
                : handler(r),
            _logger)));

    private bool Authorized(HttpRequest request) =>
        request.Headers["api_access_token"].ToString() is var token && (token == _options.ApiToken || token == _options.AgentApiToken);

    private bool IsAgent(HttpRequest request) => request.Headers["api_access_token"].ToString() == _options.AgentApiToken;

    /// <summary><c>GET /api/v1/profile</c>: the token's user and its role in each account (the tokens themselves are left out).</summary>
    private FaceReply Profile(HttpRequest request)
    {
        var agent = IsAgent(request);
        var role = agent ? "agent" : "administrator";
        return new FaceReply(new JsonObject
        {
            ["id"] = agent ? 2 : 1,
            ["name"] = agent ? "Simulated Agent" : "Simulated Admin",
            ["display_name"] = agent ? "Agent" : "Admin",
            ["available_name"] = agent ? "Agent" : "Admin",
            ["email"] = agent ? "agent@simulator.test" : "admin@simulator.test",
            ["confirmed"] = true,
            ["account_id"] = _options.AccountId,
            ["role"] = role,
            ["type"] = "user",
            ["accounts"] = new JsonArray(new JsonObject
            {
                ["id"] = _options.AccountId,
                ["name"] = "Simulated Support",
                ["status"] = "active",
                ["role"] = role,
                ["availability"] = "online",
                ["auto_offline"] = true,
                ["permissions"] = new JsonArray(),
            }),
        });
    }

    /// <summary><c>status</c> (open by default, or all), <c>sort_by</c>, <c>page</c>; <c>updated_within</c> returns everything updated in that many seconds, unpaginated.</summary>
    private FaceReply List(HttpRequest request)
    {
        IEnumerable<Conversation> conversations = _helpdesk.Latest();
        var paginate = true;
        if (long.TryParse(request.Query["updated_within"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var within))
        {
            var from = _time.GetUtcNow().AddSeconds(-within);
            conversations = conversations.Where(c => c.UpdatedAt >= from);
            paginate = false;
        }

        var status = request.Query["status"].ToString() is { Length: > 0 } s ? s : "open";
        if (status != "all")
        {
            conversations = conversations.Where(c => Status(c) == status);
        }

        var sorted = (request.Query["sort_by"].ToString() switch
        {
            "created_at_asc" => conversations.OrderBy(c => c.CreatedAt),
            "created_at_desc" => conversations.OrderByDescending(c => c.CreatedAt),
            "last_activity_at_asc" => conversations.OrderBy(c => c.UpdatedAt),
            _ => conversations.OrderByDescending(c => c.UpdatedAt),
        }).ThenByDescending(c => c.ExternalId, StringComparer.Ordinal).ToList();
        var page = Math.Max(1, int.TryParse(request.Query["page"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 1);
        var shown = paginate ? sorted.Skip((page - 1) * ConversationsPerPage).Take(ConversationsPerPage) : sorted;
        return new FaceReply(new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["meta"] = new JsonObject
                {
                    ["mine_count"] = 0,
                    ["assigned_count"] = sorted.Count(c => c.AssigneeId is not null),
                    ["unassigned_count"] = sorted.Count(c => c.AssigneeId is null),
                    ["all_count"] = sorted.Count,
                },
                ["payload"] = new JsonArray([.. shown.Select(c => (JsonNode)Conversation(c))]),
            },
        });
    }

    /// <summary><c>after=ID</c>: up to 100 messages with a larger id, oldest first; <c>before=ID</c>: the 20 before; neither: the latest 20.</summary>
    private FaceReply Messages(HttpRequest request)
    {
        if (Find(request) is not { } c)
        {
            return NotFound();
        }

        var messages = MessagesOf(c);
        IEnumerable<JsonObject> page = long.TryParse(request.Query["after"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var after)
            ? messages.Where(m => m["id"]!.GetValue<long>() > after).Take(100)
            : long.TryParse(request.Query["before"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var before)
                ? messages.Where(m => m["id"]!.GetValue<long>() < before).TakeLast(20)
                : messages.TakeLast(20);
        return new FaceReply(new JsonObject
        {
            ["meta"] = new JsonObject { ["labels"] = Labels(c), ["additional_attributes"] = new JsonObject(), ["contact_id"] = FaceResponses.Number(c.RequesterId) },
            ["payload"] = new JsonArray([.. page]),
        });
    }

    /// <summary>
    /// 25 a page, a bare array, oldest first. As in Chatwoot (its <c>DateRangeHelper</c>), the date range applies only
    /// when both <c>since</c> and <c>until</c> (epoch seconds) are given, as <c>since ≤ created_at &lt; until</c>; with
    /// only one of them, every response ever given is listed.
    /// </summary>
    private FaceReply Csat(HttpRequest request)
    {
        var ranged = long.TryParse(request.Query["since"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var since)
            & long.TryParse(request.Query["until"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var until);
        var page = Math.Max(1, int.TryParse(request.Query["page"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 1);
        var responses = _helpdesk.Surveys()
            .Where(r => r.Kind == SurveyKind.Csat && r.Score is not null && (!ranged || (r.RespondedAt.ToUnixTimeSeconds() >= since && r.RespondedAt.ToUnixTimeSeconds() < until)))
            .Skip((page - 1) * CsatPerPage).Take(CsatPerPage);
        return new FaceReply(new JsonArray([.. responses.Select(r => (JsonNode)new JsonObject
        {
            ["id"] = 900_000 + FaceResponses.Number(r.ConversationId),
            ["rating"] = (int)r.Score!.Value,
            ["feedback_message"] = r.Score >= 4 ? "Thanks!" : "Slow answer",
            ["contact"] = new JsonObject { ["id"] = null, ["name"] = "Customer" },
            ["conversation_id"] = FaceResponses.Number(r.ConversationId),
            ["assigned_agent"] = r.AgentId is null ? null : new JsonObject { ["id"] = FaceResponses.Number(r.AgentId), ["name"] = r.AgentId },
            ["message_id"] = null,
            ["created_at"] = r.RespondedAt.ToUnixTimeSeconds(),
            ["csat_review_notes"] = null,
        })]));
    }

    private Conversation? Find(HttpRequest request) =>
        long.TryParse(request.RouteValues["id"]?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? _helpdesk.Get($"sim-{id:D6}") : null;

    private static FaceReply NotFound() => new(new JsonObject { ["error"] = "Resource could not be found" }, StatusCodes.Status404NotFound);

    private JsonObject Conversation(Conversation c)
    {
        var inbox = InboxOf(c.Channel);
        var status = Status(c);
        var waiting = status is "open" or "pending" && c.Status != ConversationStatus.Pending ? c.UpdatedAt.ToUnixTimeSeconds() : 0;
        return new JsonObject
        {
            ["id"] = FaceResponses.Number(c.ExternalId),
            ["account_id"] = _options.AccountId,
            ["inbox_id"] = inbox.Id,
            ["status"] = status,
            ["priority"] = c.Priority switch { "normal" => "medium", var p => p },
            ["created_at"] = c.CreatedAt.ToUnixTimeSeconds(),
            ["updated_at"] = c.UpdatedAt.ToUnixTimeMilliseconds() / 1000.0,
            ["timestamp"] = c.UpdatedAt.ToUnixTimeSeconds(),
            ["first_reply_created_at"] = c.FirstHumanResponseAt?.ToUnixTimeSeconds() ?? 0,
            ["waiting_since"] = waiting,
            ["can_reply"] = true,
            ["labels"] = Labels(c),
            ["unread_count"] = 0,
            ["sla_policy_id"] = null,
            ["team_id"] = TeamId(c.Team),
            ["meta"] = new JsonObject
            {
                ["channel"] = inbox.Type,
                ["sender"] = new JsonObject { ["id"] = FaceResponses.Number(c.RequesterId), ["name"] = c.RequesterId },
                ["assignee"] = c.AssigneeId is null ? null : new JsonObject { ["id"] = FaceResponses.Number(c.AssigneeId), ["name"] = c.AssigneeId },
                ["team"] = c.Team is null ? null : new JsonObject { ["id"] = TeamId(c.Team), ["name"] = c.Team },
                ["assignee_type"] = "User",
            },
        };
    }

    /// <summary>
    /// The messages the conversation implies, oldest first: the customer's, the bot's reply, every public agent reply
    /// (the first at the first human reply, the rest spread until resolution or the last update), and the status-change
    /// activity messages Chatwoot writes: each resolve ("Conversation was marked resolved by ..."), each reopen (the
    /// customer writes again: "System reopened the conversation due to a new incoming message."), and, on a
    /// conversation the simulation closed after resolving it, a wrap-up label added at the close, after the resolve.
    /// On every fourth WhatsApp conversation the agent answers from the WhatsApp Business app: the replies are
    /// external echoes (no sender, <c>content_attributes.external_echo</c>), which Chatwoot counts as human responses.
    /// </summary>
    private static List<JsonObject> MessagesOf(Conversation c)
    {
        var number = FaceResponses.Number(c.ExternalId)!.Value;
        var inbox = InboxOf(c.Channel).Id;
        var events = new List<(DateTimeOffset At, int Type, string? Sender, string Content)> { (c.CreatedAt, 0, "contact", "Hello, I need help") };
        if (c.FirstResponderKind == ResponderKind.Bot && c.FirstResponseAt is { } botAt)
        {
            events.Add((botAt, 1, "agent_bot", "Hi! I'm the assistant. Let me look into it."));
        }

        if (c.FirstHumanResponseAt is { } human && c.AgentPublicReplies is > 0 and var replies)
        {
            var end = c.ResolvedAt ?? c.UpdatedAt;
            var step = replies > 1 && end > human ? (end - human) / replies : TimeSpan.Zero;
            var echo = c.Channel == Channels.WhatsApp && number % 4 == 0;
            for (var i = 0; i < replies; i++)
            {
                events.Add((human + step * i, 1, echo ? "echo" : "user", i == 0 ? "Hello, I'm on it." : "Following up."));
            }
        }

        var resolves = Resolves(c);
        for (var i = 0; i < resolves.Count; i++)
        {
            events.Add((resolves[i], 2, null, c.FirstResponderKind == ResponderKind.Bot && c.FirstHumanResponseAt is null
                ? "Conversation was marked resolved by Assistant"
                : "Conversation was marked resolved by Agent"));
            var next = i + 1 < resolves.Count ? resolves[i + 1] : (c.Status is ConversationStatus.Solved or ConversationStatus.Closed ? (DateTimeOffset?)null : c.UpdatedAt);
            if (next is { } before && before > resolves[i])
            {
                var reopened = resolves[i] + ((before - resolves[i]) / 2);
                events.Add((reopened, 0, "contact", "Sorry, it happened again"));
                events.Add((reopened, 2, null, "System reopened the conversation due to a new incoming message."));
            }
        }

        if (c.Status == ConversationStatus.Closed && c.ResolvedAt is { } resolvedAt && c.ClosedAt is { } closedAt && closedAt > resolvedAt && c.TicketType is { } label)
        {
            events.Add((closedAt, 2, null, $"Supervisor added {label}")); // after the resolve: not the resolution time
        }

        return events.Select((e, i) => (Event: e, Order: i)).OrderBy(e => e.Event.At).ThenBy(e => e.Order).Select((x, i) =>
        {
            var e = x.Event;
            var message = new JsonObject
            {
                ["id"] = number * 1000 + i + 1,
                ["content"] = e.Content,
                ["inbox_id"] = inbox,
                ["conversation_id"] = number,
                ["message_type"] = e.Type,
                ["created_at"] = e.At.ToUnixTimeSeconds(),
                ["private"] = false,
                ["source_id"] = e.Sender == "echo" ? $"wamid.sim{number}x{i}" : null,
                ["content_attributes"] = e.Sender == "echo" ? new JsonObject { ["external_echo"] = true } : new JsonObject(),
                ["sender"] = e.Sender switch
                {
                    "contact" => new JsonObject { ["id"] = FaceResponses.Number(c.RequesterId), ["name"] = c.RequesterId, ["type"] = "contact" },
                    "agent_bot" => new JsonObject { ["id"] = 1, ["name"] = "Assistant", ["type"] = "agent_bot" },
                    "user" => new JsonObject { ["id"] = FaceResponses.Number(c.AssigneeId) ?? 0, ["name"] = c.AssigneeId, ["type"] = "user" },
                    _ => null,
                },
            };
            return message;
        }).ToList();
    }

    /// <summary>
    /// When the conversation was resolved, oldest first: the first resolution, the latest, and as many in between
    /// (evenly spread) as the reopens imply. Chatwoot has no closed: a conversation closed as stale (never answered) was
    /// resolved when it was closed.
    /// </summary>
    private static List<DateTimeOffset> Resolves(Conversation c)
    {
        var ended = c.Status is ConversationStatus.Solved or ConversationStatus.Closed;
        if (c.FirstResolvedAt is not { } first)
        {
            return ended && c.ClosedAt is { } closed ? [closed] : [];
        }

        var last = c.ResolvedAt ?? first;
        var count = (c.Reopens ?? 0) + (ended ? 1 : 0);
        if (count <= 1)
        {
            return count == 1 ? [ended ? last : first] : [];
        }

        return [.. Enumerable.Range(0, count).Select(i => first + ((last - first) * i / (count - 1)))];
    }

    /// <summary>Chatwoot's statuses: <c>pending</c> before anyone took it, <c>snoozed</c> on hold, <c>resolved</c> when solved or closed.</summary>
    private static string Status(Conversation c) => c.Status switch
    {
        ConversationStatus.New => "pending",
        ConversationStatus.OnHold => "snoozed",
        ConversationStatus.Solved or ConversationStatus.Closed => "resolved",
        _ => "open",
    };

    private static JsonObject Inbox((long Id, string Name, string Type, string? Medium, string[] Channels) i) => new()
    {
        ["id"] = i.Id,
        ["name"] = i.Name,
        ["channel_type"] = i.Type,
        ["medium"] = i.Medium,
        ["provider"] = i.Type == "Channel::Whatsapp" ? "whatsapp_cloud" : null,
        ["working_hours_enabled"] = false,
    };

    private static (long Id, string Type) InboxOf(string channel)
    {
        var inbox = Inboxes.FirstOrDefault(i => i.Channels.Contains(channel));
        return inbox.Type is null ? (6, "Channel::Api") : (inbox.Id, inbox.Type);
    }

    private static JsonArray Labels(Conversation c) => c.TicketType is { } t ? new JsonArray(t) : [];

    private static long? TeamId(string? team) => team switch { null => null, "billing" => 1, "tech" => 2, "sales" => 3, _ => 9 };
}
