using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.LiveAgent;

/// <summary>
/// A simulated LiveAgent account under <c>/liveagent</c>, written from LiveAgent's API v3 reference (docs/sources.md,
/// LiveAgent), independently of any profile: <c>GET /api/v3/tickets</c> with <c>_filters</c> (JSON in the query:
/// <c>{"col":"val"}</c> or <c>[["col","op","val"], ...]</c>), <c>_sortField</c>/<c>_sortDir</c> and page paging
/// (<c>_page</c>, <c>_perPage</c>, default 10, 1,000 at most), a bare JSON array of tickets; one ticket's SLA
/// (<c>GET /api/v3/tickets/{id}/sla</c>); the SLA log grid (<c>GET /api/v3/grid/tickets/sla</c>, <c>_filters</c> on
/// <c>ticket_id</c>, <c>sla_type</c> and dates, cursor paged with <c>_cursor</c> and the <c>{ cursor, rows }</c>
/// carrier); one ticket's messages with the chat ratings (<c>GET /api/v3/tickets/{id}/messages</c>); and the
/// <c>apikey</c> header.
/// </summary>
/// <remarks>
/// <para>
/// Dates are <c>yyyy-MM-dd HH:mm:ss</c> in the account's time zone, UTC here; unset ones null. Status: N new, C open
/// (T chatting for an open chat), A answered (pending on the customer), W postponed, R resolved, L closed. Channel
/// type: E email, B contact button (chat), M contact form (web and API), C call, F Facebook (social), 6 WhatsApp (the
/// message-group code: the ticket-level one is not documented), Q forum (anything else). Department ids
/// <c>dep_billing</c>, <c>dep_tech</c>, <c>dep_sales</c>; agent ids <c>agent0005</c>. Comparison operators on dates
/// are <c>D&gt;=</c>, <c>D&gt;</c>, <c>D&lt;=</c>, <c>D&lt;</c> (plain <c>&gt;=</c> etc. too), also <c>=</c>,
/// <c>!=</c> and <c>IN</c> (comma-separated values). An operator or column the face does not know is refused with 400.
/// </para>
/// <para>
/// The SLA log has a <c>first_answer</c> row per ticket (closed at the first agent answer) and a <c>first_resolve</c>
/// row (closed at the resolution); targets 1 h and 24 h. Ratings are reward (W) or punishment (P) messages in the
/// chat's message group: reward for a CSAT answer of 4-5, punishment for 1-2, none for 3; a rating moves the
/// ticket's <c>date_changed</c> (assumed: a new message in the ticket). The documented limit (180
/// requests a minute per key) is not enforced; 429 comes from the fault.
/// </para>
/// </remarks>
public sealed class LiveAgentFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Rows a page holds at most, whatever <c>_perPage</c> asks.</summary>
    public const int MaxPerPage = 1000;

    private const int DefaultPerPage = 10;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["message"] = "Invalid API key" },
        new JsonObject { ["message"] = "Too many requests. Limit is 180 requests per minute." },
        new JsonObject { ["message"] = "Internal server error" });

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _apiKey;
    private readonly ILogger _logger;

    public LiveAgentFace(SimulatedHelpdesk helpdesk, LiveAgentFaceOptions options, ILogger<LiveAgentFace> logger)
    {
        _helpdesk = helpdesk;
        _apiKey = options.ApiKey;
        _logger = logger;
    }

    public string Name => "liveagent";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        Get(app, "/liveagent/api/v3/tickets", Tickets);
        Get(app, "/liveagent/api/v3/tickets/{id}/sla", TicketSla);
        Get(app, "/liveagent/api/v3/tickets/{id}/messages", TicketMessages);
        Get(app, "/liveagent/api/v3/grid/tickets/sla", SlaLog);
    }

    /// <summary>A simulated ticket's id: 8 characters, as LiveAgent's are.</summary>
    public static string TicketId(long number) => string.Create(CultureInfo.InvariantCulture, $"t{number:x7}");

    private void Get(IEndpointRouteBuilder app, string path, Func<HttpRequest, FaceReply> handler) =>
        app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers["apikey"].ToString() == _apiKey, handler, _logger)));

    private FaceReply Tickets(HttpRequest request)
    {
        var rows = _helpdesk.Latest().Select(Ticket);
        if (Filter(request, out var problem) is not { } filter)
        {
            return BadRequest(problem!);
        }

        var field = request.Query["_sortField"].ToString() is { Length: > 0 } f ? f : "date_created";
        if (field is not ("date_created" or "date_changed" or "date_resolved" or "id"))
        {
            return BadRequest($"Unknown sort field '{field}'");
        }

        var descending = string.Equals(request.Query["_sortDir"], "DESC", StringComparison.OrdinalIgnoreCase);
        var filtered = rows.Where(filter);
        var ordered = (descending ? filtered.OrderByDescending(r => Text(r, field), StringComparer.Ordinal) : filtered.OrderBy(r => Text(r, field), StringComparer.Ordinal))
            .ThenBy(r => Text(r, "id"), StringComparer.Ordinal);
        var page = Math.Max(1, Int(request, "_page") ?? 1);
        var perPage = Math.Clamp(Int(request, "_perPage") ?? DefaultPerPage, 1, MaxPerPage);
        return new FaceReply(new JsonArray([.. ordered.Skip((page - 1) * perPage).Take(perPage).Select(r => (JsonNode)r)]));
    }

    private FaceReply TicketSla(HttpRequest request)
    {
        if (Find(request) is not { } c)
        {
            return NotFound();
        }

        var resolved = Resolved(c);
        return new FaceReply(new JsonObject
        {
            ["first_answer"] = Date(c.FirstHumanResponseAt),
            ["first_assign"] = Date(c.AssigneeId is null ? null : c.FirstHumanResponseAt ?? c.CreatedAt),
            ["first_resolve"] = Date(c.FirstResolvedAt ?? resolved),
            ["next_answer"] = null,
            ["sla_level"] = "Standard",
        });
    }

    /// <summary>The ticket's message groups, oldest first: the customer's message, the agents' answers, the rating.</summary>
    private FaceReply TicketMessages(HttpRequest request)
    {
        if (Find(request) is not { } c)
        {
            return NotFound();
        }

        var id = Text(Ticket(c), "id");
        var groupType = c.Channel switch { Channels.Email => "3", Channels.WhatsApp => "6", Channels.Phone => "P", _ => "C" };
        var n = 0;
        JsonObject Group(DateTimeOffset at, string type, string? user, string messageType, string text) => new()
        {
            ["id"] = $"{id}-{n++}",
            ["type"] = type,
            ["userid"] = user,
            ["datecreated"] = Date(at),
            ["messages"] = new JsonArray(new JsonObject { ["id"] = $"{id}-{n}-m", ["type"] = messageType, ["datecreated"] = Date(at), ["message"] = text }),
        };

        var groups = new JsonArray(Group(c.CreatedAt, groupType, Contact(c), "M", "Hello, I need help."));
        if (c.FirstHumanResponseAt is { } first)
        {
            groups.Add(Group(first, groupType == "3" ? "4" : groupType, Agent(c), "M", "Here is what I found."));
        }

        if (_helpdesk.CsatOf(c.ExternalId) is { Score: { } score and not 3.0 } survey)
        {
            groups.Add(Group(survey.RespondedAt, groupType, Contact(c), score >= 4 ? "W" : "P", score >= 4 ? "Good" : "Bad"));
        }

        if (Resolved(c) is { } resolved)
        {
            groups.Add(Group(resolved, "R", Agent(c), "M", "Resolved"));
        }

        return new FaceReply(groups);
    }

    /// <summary>The SLA log: a <c>first_answer</c> and a <c>first_resolve</c> row per ticket, filtered, cursor paged.</summary>
    private FaceReply SlaLog(HttpRequest request)
    {
        if (Filter(request, out var problem) is not { } filter)
        {
            return BadRequest(problem!);
        }

        var rows = _helpdesk.Latest().SelectMany(SlaRows).Where(filter).OrderBy(r => Text(r, "id"), StringComparer.Ordinal).ToList();
        var offset = 0;
        if (request.Query["_cursor"].ToString() is { Length: > 0 } cursor)
        {
            try
            {
                offset = int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor)), CultureInfo.InvariantCulture);
            }
            catch (FormatException)
            {
                return BadRequest($"Invalid cursor '{cursor}'");
            }
        }

        var perPage = Math.Clamp(Int(request, "_perPage") ?? DefaultPerPage, 1, MaxPerPage);
        var page = rows.Skip(offset).Take(perPage).ToList();
        var next = offset + page.Count < rows.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + page.Count).ToString(CultureInfo.InvariantCulture))) : null;
        return new FaceReply(new JsonObject { ["cursor"] = next, ["rows"] = new JsonArray([.. page.Select(r => (JsonNode)r)]) });
    }

    private static JsonObject Ticket(Conversation c)
    {
        var n = FaceResponses.Number(c.ExternalId) ?? 0;
        return new JsonObject
        {
            ["id"] = TicketId(n),
            ["code"] = string.Create(CultureInfo.InvariantCulture, $"SIM-{n / 1000:D3}-{n % 1000:D3}"),
            ["owner_contactid"] = Contact(c),
            ["owner_name"] = $"Customer {FaceResponses.Number(c.RequesterId)}",
            ["departmentid"] = c.Team is { } team ? $"dep_{team}" : "default",
            ["agentid"] = Agent(c),
            ["status"] = c.Status switch
            {
                ConversationStatus.New => "N",
                ConversationStatus.Open when c.Channel == Channels.Chat => "T",
                ConversationStatus.Open => "C",
                ConversationStatus.Pending => "A",
                ConversationStatus.OnHold => "W",
                ConversationStatus.Solved => "R",
                _ => "L",
            },
            ["channel_type"] = c.Channel switch
            {
                Channels.Email => "E",
                Channels.Chat => "B",
                Channels.Web or Channels.Api => "M",
                Channels.Phone => "C",
                Channels.Social => "F",
                Channels.WhatsApp => "6",
                _ => "Q",
            },
            ["subject"] = $"Simulated {c.Channel} request",
            ["tags"] = new JsonArray(),
            ["date_created"] = Date(c.CreatedAt),
            ["date_changed"] = Date(c.UpdatedAt),
            ["date_resolved"] = Date(Resolved(c)),
            ["date_due"] = Date(c.CreatedAt + TimeSpan.FromHours(24)),
            ["last_activity"] = Date(c.UpdatedAt),
        };
    }

    private static IEnumerable<JsonObject> SlaRows(Conversation c)
    {
        var n = FaceResponses.Number(c.ExternalId) ?? 0;
        JsonObject Row(string suffix, string type, TimeSpan target, DateTimeOffset? closed) => new()
        {
            ["id"] = $"{TicketId(n)}{suffix}",
            ["ticket_id"] = TicketId(n),
            ["sla_type"] = type,
            ["date_created"] = Date(c.CreatedAt),
            ["date_due"] = Date(c.CreatedAt + target),
            ["date_closed"] = Date(closed),
            ["responsible_agentid"] = Agent(c),
            ["resolving_agentid"] = closed is null ? null : Agent(c),
        };

        yield return Row("a", "first_answer", TimeSpan.FromHours(1), c.FirstHumanResponseAt);
        yield return Row("r", "first_resolve", TimeSpan.FromHours(24), c.FirstResolvedAt ?? Resolved(c));
    }

    /// <summary>
    /// <c>_filters</c>: an object of equalities, or a list of <c>[column, operator, value]</c>; null with a reason when
    /// it is not JSON of that shape or uses an operator the face does not know.
    /// </summary>
    private static Func<JsonObject, bool>? Filter(HttpRequest request, out string? problem)
    {
        problem = null;
        var text = request.Query["_filters"].ToString();
        if (text.Length == 0)
        {
            return _ => true;
        }

        var terms = new List<(string Column, string Op, string Value)>();
        try
        {
            switch (JsonNode.Parse(text))
            {
                case JsonObject o:
                    terms.AddRange(o.Select(kv => (kv.Key, "=", kv.Value?.ToString() ?? "")));
                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        if (item is not JsonArray { Count: 3 } t)
                        {
                            problem = $"Invalid filter '{item?.ToJsonString()}': expected [column, operator, value]";
                            return null;
                        }

                        terms.Add((t[0]!.ToString(), t[1]!.ToString(), t[2] is JsonArray values ? string.Join(',', values.Select(v => v!.ToString())) : t[2]?.ToString() ?? ""));
                    }

                    break;
                default:
                    problem = "Invalid _filters: expected a JSON object or array";
                    return null;
            }
        }
        catch (JsonException ex)
        {
            problem = $"Invalid _filters: {ex.Message}";
            return null;
        }

        var tests = new List<Func<JsonObject, bool>>();
        foreach (var (column, op, value) in terms)
        {
            var isDate = column.StartsWith("date_", StringComparison.Ordinal) || column == "last_activity";
            if (isDate && op.TrimStart('D') is ">=" or ">" or "<=" or "<"
                && !DateTime.TryParseExact(value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                problem = $"Invalid date '{value}' for {column}: expected yyyy-MM-dd HH:mm:ss";
                return null;
            }

            var set = value.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            Func<JsonObject, bool>? test = op switch
            {
                "=" => r => Text(r, column) == value,
                "!=" => r => Text(r, column) != value,
                "IN" => r => Text(r, column) is { } v && set.Contains(v),
                "D>=" or ">=" => r => Text(r, column) is { } v && string.CompareOrdinal(v, value) >= 0,
                "D>" or ">" => r => Text(r, column) is { } v && string.CompareOrdinal(v, value) > 0,
                "D<=" or "<=" => r => Text(r, column) is { } v && string.CompareOrdinal(v, value) <= 0,
                "D<" or "<" => r => Text(r, column) is { } v && string.CompareOrdinal(v, value) < 0,
                _ => null,
            };
            if (test is null)
            {
                problem = $"Unknown filter operator '{op}'";
                return null;
            }

            tests.Add(test);
        }

        return r => tests.All(t => t(r));
    }

    private Conversation? Find(HttpRequest request)
    {
        var id = request.RouteValues["id"]?.ToString() ?? "";
        return _helpdesk.Latest().FirstOrDefault(c => TicketId(FaceResponses.Number(c.ExternalId) ?? 0) == id);
    }

    private static DateTimeOffset? Resolved(Conversation c) =>
        c.Status is ConversationStatus.Solved or ConversationStatus.Closed ? c.ResolvedAt ?? c.ClosedAt : null;

    private static string? Agent(Conversation c) =>
        c.AssigneeId is { } a ? string.Create(CultureInfo.InvariantCulture, $"agent{FaceResponses.Number(a) ?? 0:D4}") : null;

    private static string Contact(Conversation c) =>
        string.Create(CultureInfo.InvariantCulture, $"c{FaceResponses.Number(c.RequesterId) ?? 0:x7}");

    private static string? Text(JsonObject row, string name) => row[name] is JsonValue v ? v.ToString() : null;

    private static JsonNode? Date(DateTimeOffset? at) =>
        at is { } a ? a.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : null;

    private static FaceReply BadRequest(string message) => new(new JsonObject { ["message"] = message }, StatusCodes.Status400BadRequest);

    private static FaceReply NotFound() => new(new JsonObject { ["message"] = "Ticket not found" }, StatusCodes.Status404NotFound);

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
