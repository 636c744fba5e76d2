using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.EDesk;

/// <summary>
/// A simulated eDesk account under <c>/edesk</c>, written from eDesk's Open API reference (docs/sources.md, "eDesk"),
/// independently of the connector: <c>GET /v1/tickets</c> with <c>filter_last_updated_at_gte</c>/<c>_lte</c> (dates,
/// <c>YYYY-MM-DD</c>, in the account's time zone), <c>filter_status_equals</c>, <c>filter_channel_id_equals</c>,
/// <c>order_by</c> (<c>id</c>, <c>created_at</c>, <c>last_updated_at</c>), <c>order_direction</c>, <c>page</c> and
/// <c>itemsPerPage</c>; <c>GET /v1/tickets/{id}</c>; <c>GET /v1/messages/{id}</c>, one message at a time; <c>GET /v1/channels</c>. Lists come as
/// <c>{ data, paginator{currentPage, itemsPerPage, totalItemsCount} }</c>, a message as <c>{ data }</c>. Bearer token.
/// </summary>
/// <remarks>
/// <para>
/// Timestamps are strings, ISO 8601 in the account's zone with its offset. The simulation has no messages, so each
/// ticket's are derived from it: the customer's first message, an <c>AutoReply</c> when a bot answered first, the
/// agents' replies (outgoing <c>Message</c>s from a user), <c>Status</c> messages at each close (<c>Closed</c>), reopen
/// (<c>Open</c>, after the customer writes again) and archive (<c>Archived</c>), and a <c>Rating</c> message for an
/// answered CSAT survey. <c>last_updated_at</c> is the time of the last message, as eDesk documents it: a change
/// without a message does not move it.
/// </para>
/// <para>
/// Statuses: new is Unread, open Open, pending Pending, on hold Scheduled, solved Closed, closed Archived. Channels:
/// the simulation's web traffic is an Amazon marketplace channel. The rate limit is a token bucket; an empty bucket
/// answers 429 with <c>Retry-After</c>.
/// </para>
/// </remarks>
public sealed partial class EDeskFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>The most tickets a page holds, whatever <c>itemsPerPage</c> asks.</summary>
    public const int MaxItemsPerPage = 100;

    private const int DefaultItemsPerPage = 25;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["code"] = 401, ["message"] = "Unauthorized" },
        new JsonObject { ["code"] = 429, ["message"] = "Too Many Requests" },
        new JsonObject { ["code"] = 500, ["message"] = "Internal Server Error" });

    /// <summary>The account's channels: id, name, type, and the simulated channels each carries.</summary>
    private static readonly (long Id, string Name, string Type, string[] Carries)[] ChannelList =
    [
        (1, "Amazon UK", "amazon", [Channels.Web]),
        (2, "Support Email", "email", [Channels.Email]),
        (3, "Live Chat", "chat", [Channels.Chat]),
        (4, "WhatsApp Business", "whatsapp", [Channels.WhatsApp]),
        (5, "Facebook", "facebook", [Channels.Social]),
        (6, "Phone (Aircall)", "voice", [Channels.Phone]),
        (7, "SMS", "sms", [Channels.Sms]),
        (8, "API", "api", [Channels.Api]),
        (9, "Other", "custom", [Channels.Other]),
    ];

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly EDeskFaceOptions _options;
    private readonly TimeZoneInfo _zone;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _bucketGate = new();
    private double _tokens;
    private DateTimeOffset _refilledAt;

    public EDeskFace(SimulatedHelpdesk helpdesk, EDeskFaceOptions options, TimeProvider time, ILogger<EDeskFace> logger)
    {
        _helpdesk = helpdesk;
        _options = options;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        _time = time;
        _logger = logger;
        _tokens = options.Burst;
        _refilledAt = time.GetUtcNow();
    }

    public string Name => "edesk";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    /// <summary>The account's time zone.</summary>
    public TimeZoneInfo Zone => _zone;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        Get(app, "/edesk/v1/tickets", Tickets);
        Get(app, "/edesk/v1/tickets/{id}", OneTicket);
        Get(app, "/edesk/v1/messages/{id}", Message);
        Get(app, "/edesk/v1/channels", ChannelsList);
    }

    /// <summary>The messages the simulation implies for a ticket, oldest first, as eDesk's message objects.</summary>
    public List<JsonObject> MessagesOf(Conversation c)
    {
        var number = FaceResponses.Number(c.ExternalId)!.Value;
        var events = new List<(DateTimeOffset At, string Type, string Direction, bool Agent, string Body, int? Rating)>
        {
            (c.CreatedAt, "Message", "Incoming", false, "Hello, where is my order?", null),
        };
        if (c.FirstResponderKind == ResponderKind.Bot && c.FirstResponseAt is { } botAt)
        {
            events.Add((botAt, "AutoReply", "Outgoing", false, "Thanks for your message, we will answer shortly.", null));
        }

        if (c.FirstHumanResponseAt is { } human)
        {
            var replies = Math.Max(1, c.AgentPublicReplies ?? 1);
            var end = c.ResolvedAt ?? c.UpdatedAt;
            var step = replies > 1 && end > human ? (end - human) / replies : TimeSpan.Zero;
            for (var i = 0; i < replies; i++)
            {
                events.Add((human + (step * i), "Message", "Outgoing", true, i == 0 ? "Hello, I'm looking into it." : "Following up.", null));
            }
        }

        var resolves = Resolves(c);
        for (var i = 0; i < resolves.Count; i++)
        {
            events.Add((resolves[i], "Status", "Other", false, "Status changed from Open to Closed", null));
            var next = i + 1 < resolves.Count ? resolves[i + 1] : (c.Status.IsEnded() ? (DateTimeOffset?)null : c.UpdatedAt);
            if (next is { } before && before > resolves[i])
            {
                var reopened = resolves[i] + ((before - resolves[i]) / 2);
                events.Add((reopened, "Message", "Incoming", false, "Sorry, it happened again", null));
                events.Add((reopened, "Status", "Other", false, "Status changed from Closed to Open", null));
            }
        }

        if (c.Status == ConversationStatus.Closed && resolves.Count > 0)
        {
            var archived = c.ClosedAt is { } closed && closed > resolves[^1] ? closed : resolves[^1];
            events.Add((archived, "Status", "Other", false, "Status changed from Closed to Archived", null));
        }

        if (_helpdesk.CsatOf(c.ExternalId) is { Score: { } score } csat)
        {
            events.Add((csat.RespondedAt, "Rating", "Incoming", false, $"Rating: {score.ToString(CultureInfo.InvariantCulture)}/5", (int)score));
        }

        return [.. events.Select((e, i) => (Event: e, Order: i)).OrderBy(e => e.Event.At).ThenBy(e => e.Order).Select((x, i) =>
        {
            var e = x.Event;
            return new JsonObject
            {
                ["id"] = (number * 1000) + i + 1,
                ["ticket_id"] = number,
                ["type"] = e.Type,
                ["direction"] = e.Direction,
                ["body"] = e.Body,
                ["from_user"] = e.Agent ? new JsonObject { ["id"] = FaceResponses.Number(c.AssigneeId) ?? 0, ["name"] = c.AssigneeId ?? "Agent", ["role"] = "agent" } : null,
                ["from_consumer_id"] = e.Direction == "Incoming" ? FaceResponses.Number(c.RequesterId) : null,
                ["created_at"] = Time(e.At),
                ["rating"] = e.Rating,
            };
        })];
    }

    /// <summary>An instant as the face writes it: ISO 8601 in the account's zone, with its offset.</summary>
    public string Time(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, _zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>The time of the ticket's last message: its <c>last_updated_at</c>.</summary>
    public DateTimeOffset LastUpdatedAt(Conversation c) =>
        MessagesOf(c).Select(m => DateTimeOffset.Parse(m["created_at"]!.GetValue<string>(), CultureInfo.InvariantCulture)).Max();

    private void Get(IEndpointRouteBuilder app, string path, Func<HttpRequest, FaceReply> handler) =>
        app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers.Authorization.ToString() == $"Bearer {_options.ApiToken}", r => TakeToken() ? handler(r) : RateLimited(), _logger)));

    private FaceReply Tickets(HttpRequest request)
    {
        IEnumerable<(Conversation C, List<JsonObject> Messages, DateTimeOffset Updated)> rows = _helpdesk.Latest()
            .Select(c => (c, MessagesOf(c)))
            .Select(x => (x.c, x.Item2, x.Item2.Select(m => DateTimeOffset.Parse(m["created_at"]!.GetValue<string>(), CultureInfo.InvariantCulture)).Max()));
        foreach (var (name, test) in new (string, Func<DateOnly, DateOnly, bool>)[] { ("filter_last_updated_at_gte", (d, f) => d >= f), ("filter_last_updated_at_lte", (d, f) => d <= f) })
        {
            if (request.Query[name].ToString() is { Length: > 0 } value)
            {
                if (!DateFormat().IsMatch(value) || !DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    return BadRequest($"{name}: '{value}' is not a date (YYYY-MM-DD)");
                }

                rows = rows.Where(r => test(DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(r.Updated, _zone).DateTime), day)).ToList();
            }
        }

        if (request.Query["filter_status_equals"].ToString() is { Length: > 0 } status)
        {
            rows = rows.Where(r => string.Equals(Status(r.C), status, StringComparison.OrdinalIgnoreCase));
        }

        if (request.Query["filter_channel_id_equals"].ToString() is { Length: > 0 } channel)
        {
            rows = rows.Where(r => ChannelOf(r.C).ToString(CultureInfo.InvariantCulture) == channel);
        }

        var descending = request.Query["order_direction"].ToString().Equals("desc", StringComparison.OrdinalIgnoreCase);
        Func<(Conversation C, List<JsonObject> Messages, DateTimeOffset Updated), long>? key = (request.Query["order_by"].ToString() is { Length: > 0 } o ? o : "id") switch
        {
            "id" => r => FaceResponses.Number(r.C.ExternalId)!.Value,
            "created_at" => r => r.C.CreatedAt.ToUnixTimeSeconds(),
            "last_updated_at" => r => r.Updated.ToUnixTimeSeconds(),
            _ => null,
        };
        if (key is null)
        {
            return BadRequest($"order_by: '{request.Query["order_by"]}' is not one of id, created_at, last_updated_at");
        }

        var sorted = (descending ? rows.OrderByDescending(key) : rows.OrderBy(key)).ThenBy(r => FaceResponses.Number(r.C.ExternalId)).ToList();
        var page = Math.Max(1, Int(request, "page") ?? 1);
        var perPage = Math.Clamp(Int(request, "itemsPerPage") ?? DefaultItemsPerPage, 1, MaxItemsPerPage);
        var shown = sorted.Skip((page - 1) * perPage).Take(perPage);
        return new FaceReply(new JsonObject
        {
            ["data"] = new JsonArray([.. shown.Select(r => (JsonNode)Ticket(r.C, r.Messages, r.Updated))]),
            ["paginator"] = Paginator(page, perPage, sorted.Count),
        });
    }

    /// <summary><c>GET /v1/tickets/{id}</c>: one ticket as <c>{ data }</c>; 404 for a deleted or unknown one.</summary>
    private FaceReply OneTicket(HttpRequest request)
    {
        if (!long.TryParse(request.RouteValues["id"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || _helpdesk.Get($"sim-{id:D6}") is not { } c)
        {
            return new FaceReply(new JsonObject { ["code"] = 404, ["message"] = "Ticket not found" }, StatusCodes.Status404NotFound);
        }

        var messages = MessagesOf(c);
        return new FaceReply(new JsonObject { ["data"] = Ticket(c, messages, messages.Select(m => DateTimeOffset.Parse(m["created_at"]!.GetValue<string>(), CultureInfo.InvariantCulture)).Max()) });
    }

    private FaceReply Message(HttpRequest request)
    {
        if (!long.TryParse(request.RouteValues["id"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || _helpdesk.Get($"sim-{id / 1000:D6}") is not { } c
            || MessagesOf(c).FirstOrDefault(m => m["id"]!.GetValue<long>() == id) is not { } message)
        {
            return new FaceReply(new JsonObject { ["code"] = 404, ["message"] = "Message not found" }, StatusCodes.Status404NotFound);
        }

        return new FaceReply(new JsonObject { ["data"] = message });
    }

    private FaceReply ChannelsList(HttpRequest request)
    {
        var page = Math.Max(1, Int(request, "page") ?? 1);
        var perPage = Math.Clamp(Int(request, "itemsPerPage") ?? DefaultItemsPerPage, 1, MaxItemsPerPage);
        return new FaceReply(new JsonObject
        {
            ["data"] = new JsonArray([.. ChannelList.Skip((page - 1) * perPage).Take(perPage).Select(ch => (JsonNode)new JsonObject { ["id"] = ch.Id, ["name"] = ch.Name, ["type"] = ch.Type })]),
            ["paginator"] = Paginator(page, perPage, ChannelList.Length),
        });
    }

    private JsonObject Ticket(Conversation c, List<JsonObject> messages, DateTimeOffset updated)
    {
        var replies = messages.Count(m => m["from_user"] is not null);
        var ended = c.Status.IsEnded();
        var bot = c.FirstResponderKind == ResponderKind.Bot && c.FirstHumanResponseAt is null;
        JsonNode timeLeft = replies > 0 || ended ? false : Math.Max(0, (long)(c.CreatedAt.AddHours(24) - _helpdesk.Horizon).TotalSeconds);
        return new JsonObject
        {
            ["id"] = FaceResponses.Number(c.ExternalId),
            ["subject"] = $"Simulated {c.Channel} ticket",
            ["type"] = c.Channel == Channels.Chat ? (bot ? "Chatbot" : "Chat") : "Query",
            ["status"] = Status(c),
            ["channel_id"] = ChannelOf(c),
            ["created_at"] = Time(c.CreatedAt),
            ["last_updated_at"] = Time(updated),
            ["owner_user_id"] = FaceResponses.Number(c.AssigneeId),
            ["contact_id"] = FaceResponses.Number(c.RequesterId),
            ["time_left_to_reply"] = timeLeft,
            ["replies"] = replies,
            ["tags_ids"] = new JsonArray(),
            ["messages_ids"] = new JsonArray([.. messages.Select(m => (JsonNode)m["id"]!.GetValue<long>())]),
            ["ai_classification"] = null,
            ["sales_order"] = null,
        };
    }

    /// <summary>When the ticket was closed, oldest first: the first close, the latest, and as many between as the reopens imply.</summary>
    private static List<DateTimeOffset> Resolves(Conversation c)
    {
        var ended = c.Status.IsEnded();
        if (c.FirstResolvedAt is not { } first)
        {
            return ended && (c.ClosedAt ?? c.ResolvedAt) is { } closed ? [closed] : [];
        }

        var last = c.ResolvedAt ?? first;
        var count = (c.Reopens ?? 0) + (ended ? 1 : 0);
        if (count <= 1)
        {
            return count == 1 ? [ended ? last : first] : [];
        }

        return [.. Enumerable.Range(0, count).Select(i => first + ((last - first) * i / (count - 1)))];
    }

    private static string Status(Conversation c) => c.Status switch
    {
        ConversationStatus.New => "Unread",
        ConversationStatus.Pending => "Pending",
        ConversationStatus.OnHold => "Scheduled",
        ConversationStatus.Solved => "Closed",
        ConversationStatus.Closed => "Archived",
        _ => "Open",
    };

    private static long ChannelOf(Conversation c) => ChannelList.FirstOrDefault(ch => ch.Carries.Contains(c.Channel)).Id is var id and > 0 ? id : 9;

    private static JsonObject Paginator(int page, int perPage, long total) => new()
    {
        ["currentPage"] = page,
        ["itemsPerPage"] = perPage,
        ["totalItemsCount"] = total,
    };

    /// <summary>The token bucket: refilled continuously up to the burst; false when empty.</summary>
    private bool TakeToken()
    {
        lock (_bucketGate)
        {
            var now = _time.GetUtcNow();
            _tokens = Math.Min(_options.Burst, _tokens + ((now - _refilledAt).TotalSeconds * _options.RequestsPerSecond));
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }

    private FaceReply RateLimited()
    {
        var wait = Math.Max(1, (long)Math.Ceiling(1 / _options.RequestsPerSecond));
        return new FaceReply(Errors.RateLimited.DeepClone(), StatusCodes.Status429TooManyRequests, new Dictionary<string, string> { ["Retry-After"] = wait.ToString(CultureInfo.InvariantCulture) });
    }

    private static FaceReply BadRequest(string message) => new(new JsonObject { ["code"] = 400, ["message"] = message }, StatusCodes.Status400BadRequest);

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateFormat();
}
