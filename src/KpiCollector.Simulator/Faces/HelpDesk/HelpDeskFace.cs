using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.HelpDesk;

/// <summary>
/// A simulated HelpDesk.com account under <c>/helpdesk</c>, written from what is known of HelpDesk's API v1
/// (docs/sources.md, HelpDesk.com), independently of any profile: <c>GET /v1/tickets</c> with <c>silo</c>,
/// <c>sortBy</c> (<c>updatedAt</c>, <c>createdAt</c>, <c>lastMessageAt</c>), <c>order</c> (<c>desc</c> by default),
/// <c>status</c>, <c>page</c> (from 1) and <c>pageSize</c> (at most 100), the page as a bare JSON array with the
/// <c>x-total-count</c> and <c>x-total-pages</c> headers; one ticket as <c>GET /v1/tickets/{id}</c>; and Basic
/// authentication with the account id and a personal access token.
/// </summary>
/// <remarks>
/// <para>
/// Tickets are camelCase with an <c>ID</c> key, timestamps ISO 8601 in UTC with milliseconds, and their history
/// embedded as <c>events[]</c>, oldest first: <c>message</c> events (the customer's first message, the agents'
/// replies; each with <c>actor.type</c> customer or agent), <c>statusChanged</c> events (<c>status</c> solved at each
/// resolution, open at a reopen, closed at the close; actor agent, customer or system) and an
/// <c>assignmentChanged</c> event at the first reply. Status: open (new, open), pending, onhold, solved, closed.
/// The team and agent are in <c>assignment</c>; the channel in <c>source.type</c> (mail, chat, form, api, facebook,
/// phone, other). The simulated traffic's bot answers do not reach HelpDesk: no event of them.
/// </para>
/// <para>
/// Only the <c>tickets</c> silo holds tickets; <c>archive</c>, <c>spam</c> and <c>trash</c> are served empty. No rate
/// limit is documented: the face advertises none (429 comes only from the fault).
/// </para>
/// </remarks>
public sealed class HelpDeskFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Tickets a page holds at most, whatever <c>pageSize</c> asks.</summary>
    public const int MaxPageSize = 100;

    private static readonly string[] Silos = ["tickets", "archive", "spam", "trash"];

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["error"] = "unauthorized", ["message"] = "Invalid credentials." },
        new JsonObject { ["error"] = "too_many_requests", ["message"] = "Rate limit exceeded." },
        new JsonObject { ["error"] = "internal_error", ["message"] = "Internal server error." });

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _basic;
    private readonly ILogger _logger;

    public HelpDeskFace(SimulatedHelpdesk helpdesk, HelpDeskFaceOptions options, ILogger<HelpDeskFace> logger)
    {
        _helpdesk = helpdesk;
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AccountId}:{options.Token}"));
        _logger = logger;
    }

    public string Name => "helpdesk";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        Get(app, "/helpdesk/v1/tickets", Tickets);
        Get(app, "/helpdesk/v1/tickets/{id}", One);
    }

    /// <summary>The ticket id HelpDesk would show for a simulated conversation: a stable UUID.</summary>
    public static string TicketId(string externalId) =>
        string.Create(CultureInfo.InvariantCulture, $"7d1c0a5e-0000-4000-8000-{FaceResponses.Number(externalId) ?? 0:x12}");

    /// <summary>The channel a simulated conversation reaches HelpDesk by, as <c>source.type</c>.</summary>
    public static string SourceType(string channel) => channel switch
    {
        Channels.Email => "mail",
        Channels.Chat or Channels.WhatsApp => "chat", // chats (WhatsApp too) come in through the LiveChat integration
        Channels.Web => "form",
        Channels.Api => "api",
        Channels.Social => "facebook",
        Channels.Phone => "phone",
        _ => "other",
    };

    private void Get(IEndpointRouteBuilder app, string path, Func<HttpRequest, FaceReply> handler) =>
        app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers.Authorization.ToString() == _basic, handler, _logger)));

    /// <summary>The ticket list: silo, status, sort, order, page.</summary>
    private FaceReply Tickets(HttpRequest request)
    {
        var silo = request.Query["silo"].ToString() is { Length: > 0 } s ? s : "tickets";
        if (!Silos.Contains(silo, StringComparer.Ordinal))
        {
            return Error($"silo: '{silo}' is not one of {string.Join(", ", Silos)}");
        }

        Func<Conversation, DateTimeOffset>? key = (request.Query["sortBy"].ToString() is { Length: > 0 } by ? by : "updatedAt") switch
        {
            "updatedAt" => c => Milliseconds(c.UpdatedAt),
            "createdAt" => c => Milliseconds(c.CreatedAt),
            "lastMessageAt" => c => Milliseconds(LastMessageAt(c)),
            _ => null,
        };
        if (key is null)
        {
            return Error($"sortBy: '{request.Query["sortBy"]}' is not one of updatedAt, createdAt, lastMessageAt");
        }

        var order = request.Query["order"].ToString() is { Length: > 0 } o ? o : "desc";
        if (order is not ("asc" or "desc"))
        {
            return Error($"order: '{order}' is not asc or desc");
        }

        var page = Int(request, "page") ?? 1;
        var size = Int(request, "pageSize") ?? 25;
        if (page < 1 || size < 1 || size > MaxPageSize)
        {
            return Error($"page must be 1 or more and pageSize 1 to {MaxPageSize}");
        }

        IEnumerable<Conversation> rows = silo == "tickets" ? _helpdesk.Latest() : [];
        if (request.Query["status"].ToString() is { Length: > 0 } status)
        {
            rows = rows.Where(c => Status(c.Status) == status);
        }

        var all = (order == "desc" ? rows.OrderByDescending(key) : rows.OrderBy(key))
            .ThenBy(c => FaceResponses.Number(c.ExternalId)).ToList();
        var pages = Math.Max(1, (all.Count + size - 1) / size);
        var body = new JsonArray([.. all.Skip((page - 1) * size).Take(size).Select(c => (JsonNode)Ticket(c))]);
        return new FaceReply(body, Headers: new Dictionary<string, string>
        {
            ["x-total-count"] = all.Count.ToString(CultureInfo.InvariantCulture),
            ["x-total-pages"] = pages.ToString(CultureInfo.InvariantCulture),
        });
    }

    private FaceReply One(HttpRequest request)
    {
        var id = request.RouteValues["id"]?.ToString() ?? "";
        return _helpdesk.Latest().FirstOrDefault(c => TicketId(c.ExternalId) == id) is { } c
            ? new FaceReply(Ticket(c))
            : new FaceReply(new JsonObject { ["error"] = "not_found", ["message"] = "Ticket not found." }, StatusCodes.Status404NotFound);
    }

    private static JsonObject Ticket(Conversation c)
    {
        var events = Events(c);
        return new JsonObject
        {
            ["ID"] = TicketId(c.ExternalId),
            ["shortID"] = (FaceResponses.Number(c.ExternalId) ?? 0).ToString("x6", CultureInfo.InvariantCulture),
            ["status"] = Status(c.Status),
            ["subject"] = $"Simulated {c.Channel} request",
            ["createdAt"] = Date(c.CreatedAt),
            ["updatedAt"] = Date(c.UpdatedAt),
            ["lastMessageAt"] = Date(LastMessageAt(c)),
            ["requester"] = new JsonObject
            {
                ["email"] = $"customer-{FaceResponses.Number(c.RequesterId) ?? 0}@example.test",
                ["name"] = $"Customer {FaceResponses.Number(c.RequesterId) ?? 0}",
            },
            ["assignment"] = new JsonObject
            {
                ["team"] = c.Team is { } team ? new JsonObject { ["ID"] = $"team-{team}", ["name"] = char.ToUpperInvariant(team[0]) + team[1..] } : null,
                ["agent"] = c.AssigneeId is { } a ? Agent(a) : null,
            },
            ["source"] = new JsonObject { ["type"] = SourceType(c.Channel) },
            ["tags"] = new JsonArray(),
            ["events"] = new JsonArray([.. events.Select(e => (JsonNode)e)]),
        };
    }

    /// <summary>The ticket's history, oldest first; each event keeps its id however many follow.</summary>
    private static List<JsonObject> Events(Conversation c)
    {
        var events = new List<(DateTimeOffset At, int Order, JsonObject Event)>();
        var customer = new JsonObject { ["type"] = "customer", ["email"] = $"customer-{FaceResponses.Number(c.RequesterId) ?? 0}@example.test" };
        void Add(DateTimeOffset at, int index, string type, JsonNode actor, string key, JsonNode? value)
        {
            events.Add((at, index, new JsonObject
            {
                ["ID"] = string.Create(CultureInfo.InvariantCulture, $"7d1c0a5e-{index:x4}-4000-8001-{FaceResponses.Number(c.ExternalId) ?? 0:x12}"),
                ["type"] = type,
                ["createdAt"] = Date(at),
                ["actor"] = actor.DeepClone(),
                [key] = value,
            }));
        }

        Add(c.CreatedAt, 0, "message", customer, "message", new JsonObject { ["text"] = "Hello, I need help with my order." });
        var agent = c.AssigneeId is { } a ? Agent(a, "agent") : new JsonObject { ["type"] = "agent", ["ID"] = "agent-0" };
        if (c.FirstHumanResponseAt is { } first)
        {
            if (c.AssigneeId is not null)
            {
                Add(first, 1, "assignmentChanged", agent, "assignment", new JsonObject { ["agent"] = Agent(c.AssigneeId) });
            }

            Add(first, 2, "message", agent, "message", new JsonObject { ["text"] = "Thanks for waiting, here is what I found." });
            var replies = c.AgentPublicReplies ?? 1;
            var end = c.ResolvedAt is { } r && r > first ? r : first;
            for (var i = 1; i < replies && end > first; i++)
            {
                Add(first + ((end - first) * i / replies), 2 + i, "message", agent, "message", new JsonObject { ["text"] = "A follow-up." });
            }
        }

        var resolver = c.FirstHumanResponseAt is null ? new JsonObject { ["type"] = "system" } : agent;
        if (c.FirstResolvedAt is { } resolved)
        {
            Add(resolved, 0x100, "statusChanged", resolver, "status", "solved");
            if (c.ResolvedAt is { } last && last > resolved)
            {
                Add(resolved + ((last - resolved) / 2), 0x101, "statusChanged", customer, "status", "open");
                if (c.Status is ConversationStatus.Solved or ConversationStatus.Closed)
                {
                    Add(last, 0x102, "statusChanged", resolver, "status", "solved");
                }
            }
        }
        else if (c.Status is ConversationStatus.Solved or ConversationStatus.Closed)
        {
            Add(c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt, 0x100, "statusChanged", resolver, "status", "solved");
        }

        if (c.Status == ConversationStatus.Closed && c.ClosedAt is { } closed)
        {
            Add(closed, 0x1ff, "statusChanged", new JsonObject { ["type"] = "system" }, "status", "closed");
        }

        return [.. events.OrderBy(e => e.At).ThenBy(e => e.Order).Select(e => e.Event)];
    }

    private static JsonObject Agent(string assignee, string? type = null)
    {
        var agent = new JsonObject();
        if (type is not null)
        {
            agent["type"] = type;
        }

        agent["ID"] = assignee;
        agent["name"] = $"Agent {FaceResponses.Number(assignee)}";
        agent["email"] = $"{assignee}@simulator.test";
        return agent;
    }

    private static string Status(ConversationStatus status) => status switch
    {
        ConversationStatus.Pending => "pending",
        ConversationStatus.OnHold => "onhold",
        ConversationStatus.Solved => "solved",
        ConversationStatus.Closed => "closed",
        _ => "open",
    };

    /// <summary>The last message: the last agent reply, else the customer's first message.</summary>
    private static DateTimeOffset LastMessageAt(Conversation c)
    {
        if (c.FirstHumanResponseAt is not { } first)
        {
            return c.CreatedAt;
        }

        var replies = c.AgentPublicReplies ?? 1;
        var end = c.ResolvedAt is { } r && r > first ? r : first;
        return replies > 1 && end > first ? first + ((end - first) * (replies - 1) / replies) : first;
    }

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Milliseconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static FaceReply Error(string message) =>
        new(new JsonObject { ["error"] = "invalid_request", ["message"] = message }, StatusCodes.Status400BadRequest);

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
