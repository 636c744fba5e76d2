using System.Globalization;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace KpiCollector.Simulator.Faces.Bitrix24;

/// <summary>
/// A simulated Bitrix24 portal under <c>/bitrix24</c>, written from Bitrix24's REST reference (docs/sources.md,
/// "Bitrix24 Open Channels"), independently of the connector: REST methods called through an inbound webhook,
/// <c>/rest/{user}/{code}/{method}</c> (with or without <c>.json</c>), by GET or POST (query or form), answering
/// <c>{"result": ..., "time": {...}}</c> or <c>{"error", "error_description"}</c>:
/// <list type="bullet">
/// <item><c>crm.activity.list</c>: one CRM activity of the open-line provider (<c>PROVIDER_ID</c>
/// <c>IMOPENLINES_SESSION</c>, <c>PROVIDER_TYPE_ID</c> the line's connector, <c>ASSOCIATED_ENTITY_ID</c> the session)
/// per session; <c>filter[…]</c> with the prefixes <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c> on
/// <c>ID</c> and <c>LAST_UPDATED</c> and equality on <c>PROVIDER_ID</c>, <c>order[ID]</c>, <c>select[]</c>, and
/// pages of 50 by <c>start</c> (with <c>total</c>/<c>next</c>), or without counting for <c>start=-1</c>;</item>
/// <item><c>imopenlines.session.history.get</c> by <c>SESSION_ID</c>: <c>message</c> and <c>users</c> keyed by id
/// (users flag <c>bot</c> and <c>connector</c>, the customer), <c>sessionVoteHead</c> and the customer's vote;</item>
/// <item><c>batch</c>: up to 50 <c>cmd[key]=method?query</c>, answering <c>result</c>, <c>result_error</c>,
/// <c>result_total</c>, <c>result_next</c>, <c>result_time</c>, each an empty array when empty (PHP);</item>
/// <item><c>scope</c>: the webhook's scopes.</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// Open lines carry messaging only: e-mail, phone and API conversations of the simulation are not sessions here.
/// WhatsApp comes through Edna, chat and web through the live chat widget, social through Telegram, SMS through
/// the notifications connector. The activity's <c>LAST_UPDATED</c> moves with every change of the session, the
/// customer's vote included (an assumption: docs/sources.md lists it as unconfirmed). Dates are written in the
/// portal's time zone, here +03:00.
/// </para>
/// <para>
/// Rate limit: a leaky bucket that drains <see cref="Bitrix24FaceOptions.DrainPerSecond"/> requests a second and holds
/// <see cref="Bitrix24FaceOptions.Burst"/>; over it, 503 <c>QUERY_LIMIT_EXCEEDED</c> (the rate-limit fault answers the
/// same). A batch is one request of the bucket.
/// </para>
/// </remarks>
public sealed class Bitrix24Face : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    public const int PageSize = 50;

    public const int BotUser = 9000;

    public const long CustomerUserBase = 1_000_000;

    private static readonly TimeSpan PortalOffset = TimeSpan.FromHours(3);

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["error"] = "INVALID_CREDENTIALS", ["error_description"] = "Invalid request credentials" },
        new JsonObject { ["error"] = "QUERY_LIMIT_EXCEEDED", ["error_description"] = "Too many requests" },
        new JsonObject { ["error"] = "INTERNAL_SERVER_ERROR", ["error_description"] = "Internal server error" },
        StatusCodes.Status503ServiceUnavailable);

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly Bitrix24FaceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _bucketGate = new();
    private double _level;
    private DateTimeOffset _leakedAt;

    public Bitrix24Face(SimulatedHelpdesk helpdesk, Bitrix24FaceOptions options, TimeProvider time, ILogger<Bitrix24Face> logger)
    {
        _helpdesk = helpdesk;
        _options = options;
        _time = time;
        _logger = logger;
        _leakedAt = time.GetUtcNow();
    }

    public string Name => "bitrix24";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated portal behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    /// <summary>Whether a simulated conversation is an open-line session of the portal (messaging channels only).</summary>
    public static bool IsSession(Conversation c) => Connector(c.Channel) is not null;

    /// <summary>The open-line connector a channel reaches the portal through; null for what open lines do not carry.</summary>
    public static string? Connector(string channel) => channel switch
    {
        Channels.WhatsApp => "whatsappbyedna",
        Channels.Chat or Channels.Web => "livechat",
        Channels.Social => "telegrambot",
        Channels.Sms => "notifications",
        _ => null,
    };

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/bitrix24/rest/{user}/{code}/{method}", ["GET", "POST"], async (HttpContext context, string user, string code, string method) =>
        {
            if (context.Request.HasFormContentType)
            {
                await context.Request.ReadFormAsync(context.RequestAborted);
            }

            return await FaceServer.ServeAsync(
                context, this, Errors, _ => user == _options.UserId.ToString(CultureInfo.InvariantCulture) && code == _options.WebhookCode, r => Serve(r, method), _logger);
        });
    }

    private FaceReply Serve(HttpRequest request, string method)
    {
        if (!Drip())
        {
            return new FaceReply(Errors.RateLimited.DeepClone(), StatusCodes.Status503ServiceUnavailable);
        }

        var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var (k, v) in request.Query)
        {
            parameters[k] = v;
        }

        if (request.HasFormContentType)
        {
            foreach (var (k, v) in request.Form)
            {
                parameters[k] = v;
            }
        }

        var name = method.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? method[..^5] : method;
        if (name == "batch")
        {
            return Batch(parameters);
        }

        var (result, error, status, extra) = Call(name, parameters);
        if (error is not null)
        {
            return new FaceReply(error, status);
        }

        var body = new JsonObject { ["result"] = result };
        foreach (var (k, v) in extra)
        {
            body[k] = v;
        }

        body["time"] = Time();
        return new FaceReply(body);
    }

    /// <summary>One method call: its result, or its error with the HTTP status; extra top-level fields (<c>total</c>, <c>next</c>).</summary>
    private (JsonNode? Result, JsonObject? Error, int Status, Dictionary<string, JsonNode?> Extra) Call(string method, IReadOnlyDictionary<string, StringValues> p)
    {
        return method switch
        {
            "crm.activity.list" => Activities(p),
            "imopenlines.session.history.get" => History(p),
            "scope" => (new JsonArray([.. _options.Scopes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode)s)]), null, 200, []),
            _ => (null, Error("ERROR_METHOD_NOT_FOUND", "Method not found!"), StatusCodes.Status404NotFound, []),
        };
    }

    private (JsonNode?, JsonObject?, int, Dictionary<string, JsonNode?>) Activities(IReadOnlyDictionary<string, StringValues> p)
    {
        IEnumerable<Conversation> rows = _helpdesk.Latest().Where(IsSession);
        foreach (var (key, value) in p.Where(kv => kv.Key.StartsWith("filter[", StringComparison.Ordinal) && kv.Key.EndsWith(']')))
        {
            var term = key[7..^1];
            var op = new string([.. term.TakeWhile(ch => ch is '>' or '<' or '=' or '!' or '@')]);
            var field = term[op.Length..];
            var text = value.ToString();
            Func<Conversation, bool>? test = field switch
            {
                "PROVIDER_ID" when op is "" or "=" => _ => text == "IMOPENLINES_SESSION",
                "ID" when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) => c => Compare(ActivityId(c).CompareTo(id), op),
                "LAST_UPDATED" when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => c => Compare(Seconds(c.UpdatedAt).CompareTo(Seconds(at)), op),
                _ => null,
            };
            if (test is null)
            {
                return (null, Error("INVALID_ARG_VALUE", $"Invalid filter: {term}"), StatusCodes.Status400BadRequest, []);
            }

            rows = rows.Where(test);
        }

        var descending = p.TryGetValue("order[ID]", out var order) && order.ToString().Equals("DESC", StringComparison.OrdinalIgnoreCase);
        var ordered = (descending ? rows.OrderByDescending(ActivityId) : rows.OrderBy(ActivityId)).ToList();
        var start = p.TryGetValue("start", out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var select = p.TryGetValue("select[]", out var sel) && sel.Count > 0 ? sel.Select(x => x!).ToHashSet(StringComparer.Ordinal) : null;
        var page = ordered.Skip(Math.Max(0, start)).Take(PageSize).Select(c => (JsonNode)Activity(c, select)).ToList();
        var extra = new Dictionary<string, JsonNode?>();
        if (start >= 0)
        {
            if (start + page.Count < ordered.Count)
            {
                extra["next"] = start + page.Count;
            }

            extra["total"] = ordered.Count;
        }

        return (new JsonArray([.. page]), null, 200, extra);
    }

    private static JsonObject Activity(Conversation c, IReadOnlySet<string>? select)
    {
        var closed = ClosedAt(c);
        var all = new JsonObject
        {
            ["ID"] = Text(ActivityId(c)),
            ["OWNER_ID"] = Text(FaceResponses.Number(c.RequesterId) ?? 0),
            ["OWNER_TYPE_ID"] = "3",
            ["TYPE_ID"] = "6",
            ["PROVIDER_ID"] = "IMOPENLINES_SESSION",
            ["PROVIDER_TYPE_ID"] = Connector(c.Channel),
            ["ASSOCIATED_ENTITY_ID"] = Text(SessionId(c)),
            ["SUBJECT"] = $"Open line session #{SessionId(c)}",
            ["CREATED"] = Date(c.CreatedAt),
            ["START_TIME"] = Date(c.CreatedAt),
            ["END_TIME"] = Date(closed ?? c.CreatedAt.AddDays(1)), // an open session's deadline
            ["LAST_UPDATED"] = Date(c.UpdatedAt),
            ["COMPLETED"] = closed is null ? "N" : "Y",
            ["RESPONSIBLE_ID"] = Text(FaceResponses.Number(c.AssigneeId) ?? 1),
            ["DIRECTION"] = "1",
        };
        if (select is null)
        {
            return all;
        }

        var row = new JsonObject();
        foreach (var (k, v) in all.Where(kv => select.Contains(kv.Key)).ToList())
        {
            row[k] = v?.DeepClone();
        }

        return row;
    }

    private (JsonNode?, JsonObject?, int, Dictionary<string, JsonNode?>) History(IReadOnlyDictionary<string, StringValues> p)
    {
        if (!p.TryGetValue("SESSION_ID", out var sid) || !long.TryParse(sid, NumberStyles.Integer, CultureInfo.InvariantCulture, out var session))
        {
            return (null, Error("SESSION_ID_EMPTY", "Session id is not specified"), StatusCodes.Status400BadRequest, []);
        }

        var c = _helpdesk.Get(string.Create(CultureInfo.InvariantCulture, $"sim-{session:D6}"));
        if (c is null || !IsSession(c))
        {
            return (null, Error("SESSION_ERROR", "Session not found"), StatusCodes.Status400BadRequest, []);
        }

        var customer = CustomerUserBase + session;
        var operatorId = FaceResponses.Number(c.AssigneeId) ?? 1;
        var messages = new List<(DateTimeOffset At, long Author)> { (c.CreatedAt, customer) };
        if (c.FirstResponderKind == ResponderKind.Bot && c.FirstResponseAt is { } bot)
        {
            messages.Add((bot, BotUser));
        }

        if (c.FirstHumanResponseAt is { } human)
        {
            var replies = Math.Max(1, c.AgentPublicReplies ?? 1);
            messages.AddRange(Enumerable.Range(0, replies).Select(i => (human.AddMinutes(i), operatorId)));
        }

        if (ClosedAt(c) is { } closed)
        {
            messages.Add((closed, 0L)); // "the session is closed"
        }

        var message = new JsonObject();
        var k = 0;
        foreach (var (at, author) in messages)
        {
            var id = (session * 100) + ++k;
            message[Text(id)] = new JsonObject
            {
                ["id"] = id,
                ["chat_id"] = 10_000 + session,
                ["author_id"] = author,
                ["date"] = Date(at),
                ["text"] = author == 0 ? "The session is closed" : "…",
                ["params"] = new JsonArray(),
            };
        }

        JsonObject User(long id, string name, bool isBot, bool connector) => new() { ["id"] = id, ["name"] = name, ["bot"] = isBot, ["connector"] = connector, ["extranet"] = connector };
        var users = new JsonObject
        {
            [Text(customer)] = User(customer, $"Customer {session}", false, true),
            [Text(BotUser)] = User(BotUser, "Open line bot", true, false),
            [Text(operatorId)] = User(operatorId, $"Operator {operatorId}", false, false),
        };
        return (new JsonObject
        {
            ["chatId"] = 10_000 + session,
            ["canJoin"] = "N",
            ["canVoteAsHead"] = "Y",
            ["sessionId"] = session,
            ["sessionVoteHead"] = 0,
            ["sessionCommentHead"] = "",
            ["sessionVote"] = Vote(c),
            ["userId"] = customer,
            ["message"] = message,
            ["usersMessage"] = new JsonObject { [Text(10_000 + session)] = new JsonArray([.. message.Select(m => (JsonNode)long.Parse(m.Key, CultureInfo.InvariantCulture))]) },
            ["users"] = users,
        }, null, 200, []);
    }

    /// <summary>The customer's like (5) or dislike (1): the simulated CSAT answer in the upper or lower half of its scale; 0 without an answer.</summary>
    private int Vote(Conversation c) => _helpdesk.CsatOf(c.ExternalId) is { Score: { } score } s
        ? (score - s.ScaleMin) / (s.ScaleMax - s.ScaleMin) >= 0.5 ? 5 : 1
        : 0;

    private FaceReply Batch(IReadOnlyDictionary<string, StringValues> p)
    {
        var commands = p.Where(kv => kv.Key.StartsWith("cmd[", StringComparison.Ordinal) && kv.Key.EndsWith(']')).ToList();
        if (commands.Count > PageSize)
        {
            return new FaceReply(Error("ERROR_BATCH_LENGTH_EXCEEDED", $"Max batch length exceeded ({PageSize})"), StatusCodes.Status400BadRequest);
        }

        var halt = p.TryGetValue("halt", out var h) && h.ToString() is "1" or "true";
        var results = new JsonObject();
        var errors = new JsonObject();
        var totals = new JsonObject();
        var nexts = new JsonObject();
        var times = new JsonObject();
        foreach (var (key, value) in commands)
        {
            var name = key[4..^1];
            var text = value.ToString();
            var q = text.IndexOf('?', StringComparison.Ordinal);
            var method = q < 0 ? text : text[..q];
            var args = QueryHelpers.ParseQuery(q < 0 ? "" : text[q..]).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var (result, error, _, extra) = method == "batch"
                ? (null, Error("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"), 400, [])
                : Call(method, args);
            if (error is not null)
            {
                errors[name] = error;
                if (halt)
                {
                    break;
                }

                continue;
            }

            results[name] = result;
            if (extra.TryGetValue("total", out var total))
            {
                totals[name] = total;
            }

            if (extra.TryGetValue("next", out var next))
            {
                nexts[name] = next;
            }

            times[name] = Time();
        }

        JsonNode Map(JsonObject o) => o.Count == 0 ? new JsonArray() : o; // PHP writes an empty map as []
        return new FaceReply(new JsonObject
        {
            ["result"] = new JsonObject
            {
                ["result"] = Map(results),
                ["result_error"] = Map(errors),
                ["result_total"] = Map(totals),
                ["result_next"] = Map(nexts),
                ["result_time"] = Map(times),
            },
            ["time"] = Time(),
        });
    }

    /// <summary>Lets one request into the leaky bucket; false when it is full.</summary>
    private bool Drip()
    {
        lock (_bucketGate)
        {
            var now = _time.GetUtcNow();
            _level = Math.Max(0, _level - ((now - _leakedAt).TotalSeconds * _options.DrainPerSecond));
            _leakedAt = now;
            if (_level + 1 > _options.Burst)
            {
                return false;
            }

            _level++;
            return true;
        }
    }

    private JsonObject Time()
    {
        var now = _time.GetUtcNow();
        return new JsonObject
        {
            ["start"] = now.ToUnixTimeMilliseconds() / 1000.0,
            ["finish"] = now.ToUnixTimeMilliseconds() / 1000.0,
            ["duration"] = 0.01,
            ["processing"] = 0.005,
            ["date_start"] = Date(now),
            ["date_finish"] = Date(now),
        };
    }

    private static bool Compare(int comparison, string op) => op switch
    {
        ">" => comparison > 0,
        ">=" => comparison >= 0,
        "<" => comparison < 0,
        "<=" => comparison <= 0,
        "!" or "!=" => comparison != 0,
        _ => comparison == 0,
    };

    private static long SessionId(Conversation c) => FaceResponses.Number(c.ExternalId) ?? 0;

    /// <summary>Activities are numbered apart from sessions (the CRM has its own ids), in the order the sessions began.</summary>
    private static long ActivityId(Conversation c) => 500_000 + SessionId(c);

    private static DateTimeOffset? ClosedAt(Conversation c) =>
        c.Status is ConversationStatus.Solved or ConversationStatus.Closed ? c.ResolvedAt ?? c.ClosedAt ?? c.UpdatedAt : null;

    private static JsonObject Error(string code, string description) => new() { ["error"] = code, ["error_description"] = description };

    private static string Date(DateTimeOffset at) =>
        at.ToOffset(PortalOffset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}
