using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.Trengo;

/// <summary>
/// A simulated Trengo account under <c>/trengo</c>, written from what is known of Trengo's API v2 (docs/sources.md,
/// Trengo), independently of any profile: <c>GET /api/v2/tickets</c> with <c>page</c> (25 tickets a page, fixed),
/// <c>sort</c> (<c>-date</c>, the default, or <c>date</c>: the last message date; <c>updated_at</c> and
/// <c>-updated_at</c>), <c>status</c> and <c>updated_at_gt</c>; <c>GET /api/v2/tickets/{id}/messages</c> (oldest
/// first, <c>page</c>, <c>per_page</c> up to 100); both in the <c>{ data, links, meta }</c> carrier; Bearer
/// authentication with a personal access token; and the per-token budget (120 a minute) answered with 429,
/// <c>Retry-After</c> and <c>X-RateLimit-Reset</c> when exceeded, <c>X-RateLimit-Limit</c>/<c>-Remaining</c> on every
/// answer.
/// </summary>
/// <remarks>
/// <para>
/// Tickets: numeric <c>id</c>, <c>status</c> OPEN (new, or not yet assigned), ASSIGNED, CLOSED (solved and closed:
/// Trengo has one end state); <c>user_id</c> the assignee, <c>team</c> and <c>channel</c> objects (channel types
/// EMAIL, CHAT, WA_BUSINESS, VOIP, FACEBOOK, SMS, CUSTOM), timestamps <c>yyyy-MM-dd HH:mm:ss</c> in UTC,
/// <c>closed_at</c> null unless closed. Messages: <c>type</c> INBOUND (the contact's), OUTBOUND (an agent's, with
/// <c>user_id</c>; a chatbot's or flowbot's, with <c>user_id</c> null) and NOTE (internal, an agent's): the contact's
/// first message, the bot's answer and its hand-over on bot-handled chats, on every third ticket a note before the
/// first reply, then the agents' replies.
/// </para>
/// <para>
/// The malformed fault cuts the body short (every page here has timestamps whose corruption a reader could take
/// for an absent value). The fault queue comes before the credential check, the budget after it.
/// </para>
/// </remarks>
public sealed class TrengoFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Tickets a list page holds: fixed, whatever is asked.</summary>
    public const int TicketsPerPage = 25;

    /// <summary>Messages a page holds at most.</summary>
    public const int MaxMessagesPerPage = 100;

    private static readonly JsonObject Unauthenticated = new() { ["message"] = "Unauthenticated." };
    private static readonly JsonObject TooManyAttempts = new() { ["message"] = "Too Many Attempts." };
    private static readonly JsonObject ServerError = new() { ["message"] = "Server Error" };

    private static readonly Dictionary<string, (int Id, string Name)> Teams = new(StringComparer.Ordinal)
    {
        ["billing"] = (1, "Billing"),
        ["tech"] = (2, "Technical support"),
        ["sales"] = (3, "Sales"),
    };

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _bearer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private long _minute = -1;
    private int _used;
    private long _messageRequests;

    public TrengoFace(SimulatedHelpdesk helpdesk, TrengoFaceOptions options, TimeProvider time, ILogger<TrengoFace> logger)
    {
        _helpdesk = helpdesk;
        _bearer = "Bearer " + options.Token;
        Limit = options.RequestsPerMinute;
        _time = time;
        _logger = logger;
    }

    public string Name => "trengo";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    /// <summary>Requests a minute per token.</summary>
    public int Limit { get; }

    /// <summary>Requests answered 429 because the budget was spent (the rate-limit fault not counted).</summary>
    public long Throttled { get; private set; }

    /// <summary>Messages requests served (one ticket's messages, any page).</summary>
    public long MessageRequests => Interlocked.Read(ref _messageRequests);

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/trengo/api/v2/tickets", (Delegate)((HttpContext context) => ServeAsync(context, Tickets)));
        app.MapGet("/trengo/api/v2/tickets/{id}/messages", (Delegate)((HttpContext context) => ServeAsync(context, Messages)));
    }

    /// <summary>The channel type a simulated conversation reaches Trengo by.</summary>
    public static string ChannelType(string channel) => channel switch
    {
        Channels.Email => "EMAIL",
        Channels.Chat => "CHAT",
        Channels.WhatsApp => "WA_BUSINESS",
        Channels.Phone => "VOIP",
        Channels.Social => "FACEBOOK",
        Channels.Sms => "SMS",
        _ => "CUSTOM", // web forms and API tickets: a custom channel
    };

    /// <summary>The ticket status Trengo shows for a simulated conversation.</summary>
    public static string Status(Conversation c) => c.Status switch
    {
        ConversationStatus.Solved or ConversationStatus.Closed => "CLOSED",
        ConversationStatus.New => "OPEN",
        _ => c.AssigneeId is null ? "OPEN" : "ASSIGNED",
    };

    private async Task<IResult> ServeAsync(HttpContext context, Func<HttpRequest, FaceReply> handler)
    {
        var fault = Faults.Take();
        if (fault is not null)
        {
            Log.FaultInjected(_logger, Name, FaultKinds.Name(fault.Kind), context.Request.Method, context.Request.Path + context.Request.QueryString);
            switch (fault.Kind)
            {
                case FaultKind.RateLimit:
                    context.Response.Headers.RetryAfter = ((long)Math.Ceiling(fault.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                    return FaceResponses.Json(TooManyAttempts.DeepClone(), StatusCodes.Status429TooManyRequests);
                case FaultKind.ServerError:
                    return FaceResponses.Json(ServerError.DeepClone(), fault.Status);
                case FaultKind.ExpiredToken:
                    return FaceResponses.Json(Unauthenticated.DeepClone(), StatusCodes.Status401Unauthorized);
                case FaultKind.Slow:
                    await Task.Delay(fault.Delay, context.RequestAborted);
                    break;
            }
        }

        if (context.Request.Headers.Authorization.ToString() != _bearer)
        {
            return FaceResponses.Json(Unauthenticated.DeepClone(), StatusCodes.Status401Unauthorized);
        }

        var (allowed, remaining, reset) = Spend();
        context.Response.Headers["X-RateLimit-Limit"] = Limit.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        if (!allowed)
        {
            context.Response.Headers.RetryAfter = reset.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-RateLimit-Reset"] = (_time.GetUtcNow().ToUnixTimeSeconds() + reset).ToString(CultureInfo.InvariantCulture);
            return FaceResponses.Json(TooManyAttempts.DeepClone(), StatusCodes.Status429TooManyRequests);
        }

        CatchUp();
        var reply = handler(context.Request);
        return fault?.Kind == FaultKind.Malformed && reply.Status == StatusCodes.Status200OK
            ? Results.Content(reply.Body.ToJsonString()[..(reply.Body.ToJsonString().Length / 2)], "application/json; charset=utf-8")
            : FaceResponses.Json(reply.Body, reply.Status);
    }

    /// <summary>Counts a request against this minute's budget: whether it is allowed, what is left, seconds to the next minute.</summary>
    private (bool Allowed, int Remaining, int Reset) Spend()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            if (now / 60 != _minute)
            {
                (_minute, _used) = (now / 60, 0);
            }

            var reset = 60 - (int)(now % 60);
            if (_used >= Limit)
            {
                Throttled++;
                return (false, 0, reset);
            }

            _used++;
            return (true, Limit - _used, reset);
        }
    }

    /// <summary>The ticket list: status, updated_at_gt, sort; 25 a page.</summary>
    private FaceReply Tickets(HttpRequest request)
    {
        IEnumerable<Conversation> rows = _helpdesk.Latest();
        if (request.Query["status"].ToString() is { Length: > 0 } status)
        {
            if (status is not ("OPEN" or "ASSIGNED" or "CLOSED" or "INVALID"))
            {
                return Invalid("status", "The selected status is invalid.");
            }

            rows = rows.Where(c => Status(c) == status);
        }

        if (request.Query["updated_at_gt"].ToString() is { Length: > 0 } since)
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return Invalid("updated_at_gt", "The updated at gt is not a valid date.");
            }

            rows = rows.Where(c => Seconds(c.UpdatedAt) > at);
        }

        Func<Conversation, DateTimeOffset>? key = (request.Query["sort"].ToString() is { Length: > 0 } s ? s : "-date").TrimStart('-') switch
        {
            "date" => c => Seconds(LastMessageAt(c)),
            "updated_at" => c => Seconds(c.UpdatedAt),
            _ => null,
        };
        if (key is null)
        {
            return Invalid("sort", "The selected sort is invalid.");
        }

        var descending = request.Query["sort"].ToString() is not { Length: > 0 } sort || sort.StartsWith('-');
        var all = (descending ? rows.OrderByDescending(key) : rows.OrderBy(key)).ThenBy(c => FaceResponses.Number(c.ExternalId)).ToList();
        return Paged(request, all, TicketsPerPage, Ticket);
    }

    private FaceReply Messages(HttpRequest request)
    {
        Interlocked.Increment(ref _messageRequests);
        var id = request.RouteValues["id"]?.ToString() ?? "";
        var ticket = _helpdesk.Latest().FirstOrDefault(c => (FaceResponses.Number(c.ExternalId) ?? 0).ToString(CultureInfo.InvariantCulture) == id);
        if (ticket is null)
        {
            return new FaceReply(new JsonObject { ["message"] = "No query results for model [App\\Models\\Ticket]." }, StatusCodes.Status404NotFound);
        }

        var size = int.TryParse(request.Query["per_page"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 25;
        if (size is < 1 or > MaxMessagesPerPage)
        {
            return Invalid("per_page", $"The per page must be between 1 and {MaxMessagesPerPage}.");
        }

        return Paged(request, MessagesOf(ticket), size, m => m);
    }

    private static FaceReply Paged<T>(HttpRequest request, List<T> all, int size, Func<T, JsonObject> render)
    {
        var page = Math.Max(1, int.TryParse(request.Query["page"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 1);
        var last = Math.Max(1, (all.Count + size - 1) / size);
        var items = all.Skip((page - 1) * size).Take(size).ToList();
        var path = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
        string Link(int n) => $"{path}?page={n}";
        var from = (page - 1) * size;
        return new FaceReply(new JsonObject
        {
            ["data"] = new JsonArray([.. items.Select(i => (JsonNode)render(i))]),
            ["links"] = new JsonObject
            {
                ["first"] = Link(1),
                ["last"] = Link(last),
                ["prev"] = page > 1 ? Link(page - 1) : null,
                ["next"] = page < last ? Link(page + 1) : null,
            },
            ["meta"] = new JsonObject
            {
                ["current_page"] = page,
                ["from"] = items.Count == 0 ? null : from + 1,
                ["last_page"] = last,
                ["path"] = path,
                ["per_page"] = size,
                ["to"] = items.Count == 0 ? null : from + items.Count,
                ["total"] = all.Count,
            },
        });
    }

    private static JsonObject Ticket(Conversation c)
    {
        var id = FaceResponses.Number(c.ExternalId) ?? 0;
        var closed = Status(c) == "CLOSED";
        var channelId = Array.IndexOf(Channels.Known.ToArray(), c.Channel) + 1;
        return new JsonObject
        {
            ["id"] = id,
            ["status"] = Status(c),
            ["subject"] = $"Simulated {c.Channel} conversation",
            ["contact_id"] = FaceResponses.Number(c.RequesterId),
            ["user_id"] = FaceResponses.Number(c.AssigneeId),
            ["team_id"] = c.Team is { } t && Teams.TryGetValue(t, out var team) ? team.Id : null,
            ["channel_id"] = channelId,
            ["created_at"] = Date(c.CreatedAt),
            ["updated_at"] = Date(c.UpdatedAt),
            ["closed_at"] = closed ? Date(c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt) : null,
            ["channel"] = new JsonObject
            {
                ["id"] = channelId,
                ["type"] = ChannelType(c.Channel),
                ["name"] = $"{c.Channel} channel",
                ["display_name"] = $"Simulated {c.Channel}",
            },
            ["team"] = c.Team is { } name && Teams.TryGetValue(name, out var tm) ? new JsonObject { ["id"] = tm.Id, ["name"] = tm.Name } : null,
            ["contact"] = new JsonObject { ["id"] = FaceResponses.Number(c.RequesterId), ["full_name"] = $"Customer {FaceResponses.Number(c.RequesterId) ?? 0}" },
            ["labels"] = new JsonArray(),
        };
    }

    /// <summary>The ticket's messages, oldest first; each keeps its id however many follow.</summary>
    private static List<JsonObject> MessagesOf(Conversation c)
    {
        var ticket = FaceResponses.Number(c.ExternalId) ?? 0;
        var contact = FaceResponses.Number(c.RequesterId);
        var agent = FaceResponses.Number(c.AssigneeId) ?? 1;
        var messages = new List<(DateTimeOffset At, int Index, JsonObject Message)>();
        void Add(int index, DateTimeOffset at, string type, long? user, string text) => messages.Add((at, index, new JsonObject
        {
            ["id"] = (ticket * 1000) + index,
            ["ticket_id"] = ticket,
            ["type"] = type,
            ["user_id"] = user,
            ["contact_id"] = type == "INBOUND" ? contact : null,
            ["message"] = text,
            ["created_at"] = Date(at),
        }));

        Add(0, c.CreatedAt, "INBOUND", null, "Hello, I need help with my order.");
        if (c.FirstResponderKind == ResponderKind.Bot && c.FirstResponseAt is { } bot)
        {
            Add(1, bot, "OUTBOUND", null, "Hi! I am the virtual assistant. Have you tried our help centre?");
            if (c.BotHandoffAt is { } handoff && handoff > bot)
            {
                Add(2, handoff, "OUTBOUND", null, "Let me connect you with a colleague.");
            }
        }

        if (c.FirstHumanResponseAt is { } first)
        {
            if (ticket % 3 == 0)
            {
                var from = c.BotHandoffAt ?? c.CreatedAt;
                Add(3, from + ((first - from) / 2), "NOTE", agent, "Checking the order with the warehouse.");
            }

            Add(4, first, "OUTBOUND", agent, "Thanks for waiting, here is what I found.");
            var replies = c.AgentPublicReplies ?? 1;
            var end = c.ResolvedAt is { } r && r > first ? r : first;
            for (var i = 1; i < replies && end > first; i++)
            {
                Add(4 + i, first + ((end - first) * i / replies), "OUTBOUND", agent, "A follow-up.");
            }
        }

        return [.. messages.OrderBy(m => m.At).ThenBy(m => m.Index).Select(m => m.Message)];
    }

    /// <summary>The last message: the last agent reply, else the bot's, else the contact's first message.</summary>
    private static DateTimeOffset LastMessageAt(Conversation c)
    {
        if (c.FirstHumanResponseAt is not { } first)
        {
            return c.BotHandoffAt ?? c.FirstResponseAt ?? c.CreatedAt;
        }

        var replies = c.AgentPublicReplies ?? 1;
        var end = c.ResolvedAt is { } r && r > first ? r : first;
        return replies > 1 && end > first ? first + ((end - first) * (replies - 1) / replies) : first;
    }

    private static FaceReply Invalid(string field, string message) => new(
        new JsonObject { ["message"] = "The given data was invalid.", ["errors"] = new JsonObject { [field] = new JsonArray(message) } },
        StatusCodes.Status422UnprocessableEntity);

    private static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());
}
