using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.Freshdesk;

/// <summary>
/// A simulated Freshdesk account under <c>/freshdesk</c>, written from Freshdesk's documented API v2 JSON
/// (docs/sources.md, Freshdesk: "Endpoints called" and "What is read, and how it maps"), independently of the
/// connector: the tickets list with <c>updated_since</c>, ordering, the <c>stats</c> embed,
/// <c>page</c>/<c>per_page</c>, the <c>Link</c> header and the 300-page wall; one ticket; the ticket search
/// (<c>status</c> and <c>created_at</c> terms, 30 a page, 10 pages); <c>ticket_fields</c>; satisfaction ratings on the
/// −103..103 scale.
/// </summary>
/// <remarks>
/// The account has its own codes, as real ones do: custom statuses 6 "Waiting on Customer" and 7 "Waiting on Third
/// Party", WhatsApp as source 13 and a custom source 101 "SMS". Without <c>updated_since</c> the list holds only
/// tickets created in the last 30 days, the documented trap.
/// </remarks>
public sealed class FreshdeskFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);
    private const int MaxPage = 300;
    private const int MaxPerPage = 100;
    private const long RatingIdOffset = 8_000_000;
    private const int SearchPageSize = 30;
    private const int SearchMaxPage = 10;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["code"] = "invalid_credentials", ["message"] = "You have to be logged in to perform this action." },
        new JsonObject { ["code"] = "rate_limit_exceeded", ["message"] = "You have exceeded the limit of requests per minute" },
        new JsonObject { ["code"] = "internal_error", ["message"] = "We're sorry, but something went wrong." });

    private static readonly (int Code, string Agent, string Customer)[] StatusChoices =
    [
        (2, "Open", "Being Processed"), (3, "Pending", "Awaiting your Reply"), (4, "Resolved", "This ticket has been Resolved"),
        (5, "Closed", "This ticket has been Closed"), (6, "Waiting on Customer", "Awaiting your Reply"), (7, "Waiting on Third Party", "Being Processed"),
    ];

    private static readonly (string Name, int Code)[] SourceChoices =
    [
        ("Email", 1), ("Portal", 2), ("Phone", 3), ("Forum", 4), ("Twitter", 5), ("Facebook", 6), ("Chat", 7), ("MobiHelp", 8),
        ("Feedback Widget", 9), ("Outbound Email", 10), ("Ecommerce", 11), ("Bot", 12), ("Whatsapp", 13), ("SMS", 101),
    ];

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly TimeProvider _time;
    private readonly MinuteBudget _budget;
    private readonly string _basic;
    private readonly string _restricted;
    private readonly ILogger _logger;

    public FreshdeskFace(SimulatedHelpdesk helpdesk, FreshdeskFaceOptions options, TimeProvider time, ILogger<FreshdeskFace> logger)
    {
        _helpdesk = helpdesk;
        _time = time;
        _budget = new MinuteBudget(options.RequestsPerMinute, time);
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.ApiKey}:X"));
        _restricted = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.RestrictedApiKey}:X"));
        _logger = logger;
    }

    public string Name => "freshdesk";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face, for tests that change it the way an agent would (delete a ticket).</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/freshdesk/api/v2");
        Get(api, "/agents/me", Me);
        Get(api, "/tickets", Tickets, _ => new FaceReply(new JsonArray()));
        Get(api, "/tickets/{id}", OneTicket, _ => new FaceReply(
            new JsonObject { ["code"] = "access_denied", ["message"] = "You are not authorized to perform this action." }, StatusCodes.Status403Forbidden));
        Get(api, "/search/tickets", Search, _ => new FaceReply(new JsonObject { ["results"] = new JsonArray(), ["total"] = 0 }));
        Get(api, "/ticket_fields", _ => new FaceReply(TicketFields()));
        Get(api, "/surveys/satisfaction_ratings", Ratings, _ => new FaceReply(new JsonArray()));
    }

    /// <param name="restricted">What the restricted agent's key gets instead; null: the same as the admin's.</param>
    private void Get(RouteGroupBuilder api, string path, Func<HttpRequest, FaceReply> handler, Func<HttpRequest, FaceReply>? restricted = null) =>
        api.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers.Authorization.ToString() is var h && (h == _basic || h == _restricted),
            r => WithRateLimit(r, restricted is not null && IsRestricted(r) ? restricted(r) : handler(r)), _logger)));

    private bool IsRestricted(HttpRequest request) => request.Headers.Authorization.ToString() == _restricted;

    /// <summary><c>GET /api/v2/agents/me</c>: the agent the key belongs to; <c>ticket_scope</c> 1 global, 3 restricted access.</summary>
    private FaceReply Me(HttpRequest request)
    {
        var restricted = IsRestricted(request);
        var created = _time.GetUtcNow().AddYears(-1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        return new FaceReply(new JsonObject
        {
            ["available"] = true,
            ["occasional"] = false,
            ["id"] = restricted ? 43_000_002 : 43_000_001,
            ["ticket_scope"] = restricted ? 3 : 1,
            ["signature"] = null,
            ["group_ids"] = new JsonArray(),
            ["role_ids"] = new JsonArray(restricted ? 43_000_104 : 43_000_101),
            ["skill_ids"] = new JsonArray(),
            ["available_since"] = null,
            ["contact"] = new JsonObject
            {
                ["active"] = true,
                ["email"] = restricted ? "restricted.agent@simulator.test" : "admin@simulator.test",
                ["job_title"] = null,
                ["language"] = "en",
                ["mobile"] = null,
                ["name"] = restricted ? "Restricted Agent" : "Simulated Admin",
                ["phone"] = null,
                ["time_zone"] = "UTC",
                ["created_at"] = created,
                ["updated_at"] = created,
            },
            ["created_at"] = created,
            ["updated_at"] = created,
            ["type"] = "support_agent",
        });
    }

    /// <summary>Every response carries the budget headers; an embed costs one more credit.</summary>
    private FaceReply WithRateLimit(HttpRequest request, FaceReply reply)
    {
        var credits = request.Query["include"].ToString().Length > 0 ? 2 : 1;
        var remaining = 0;
        for (var i = 0; i < credits; i++)
        {
            remaining = _budget.Spend();
        }

        return reply with
        {
            Headers = new Dictionary<string, string>(reply.Headers ?? new Dictionary<string, string>())
            {
                ["X-RateLimit-Total"] = _budget.Limit.ToString(CultureInfo.InvariantCulture),
                ["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture),
                ["X-RateLimit-Used-CurrentRequest"] = credits.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary><c>GET /api/v2/tickets?updated_since=&amp;order_by=&amp;order_type=&amp;include=stats&amp;per_page=&amp;page=</c>.</summary>
    private FaceReply Tickets(HttpRequest request)
    {
        var perPage = Math.Clamp(Int(request, "per_page") ?? 30, 1, MaxPerPage);
        var page = Int(request, "page") ?? 1;
        if (page > MaxPage)
        {
            return ValidationFailed("page", "You cannot access tickets beyond the 300th page. Please provide a smaller page number.");
        }

        if (page < 1)
        {
            return ValidationFailed("page", "It should be a Positive Number");
        }

        IEnumerable<Conversation> tickets = _helpdesk.Latest();
        if (request.Query["updated_since"].ToString() is { Length: > 0 } updatedSince)
        {
            if (!DateTimeOffset.TryParse(updatedSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
            {
                return ValidationFailed("updated_since", "It should be in the 'combined date and time ISO8601' format");
            }

            tickets = tickets.Where(c => Seconds(c.UpdatedAt) >= since);
        }
        else
        {
            var monthAgo = _time.GetUtcNow().AddDays(-30);
            tickets = tickets.Where(c => c.CreatedAt >= monthAgo); // the documented default: only the last 30 days
        }

        Func<Conversation, DateTimeOffset> key = request.Query["order_by"].ToString() switch
        {
            "updated_at" => c => Seconds(c.UpdatedAt),
            _ => c => Seconds(c.CreatedAt),
        };
        var ordered = request.Query["order_type"].ToString() == "asc"
            ? tickets.OrderBy(key).ThenBy(c => c.ExternalId, StringComparer.Ordinal)
            : tickets.OrderByDescending(key).ThenByDescending(c => c.ExternalId, StringComparer.Ordinal);
        var all = ordered.ToList();
        var stats = request.Query["include"].ToString().Split(',').Contains("stats");
        var body = new JsonArray([.. all.Skip((page - 1) * perPage).Take(perPage).Select(c => (JsonNode)Ticket(c, stats))]);
        var headers = new Dictionary<string, string>();
        if (page * perPage < all.Count)
        {
            var query = string.Join('&', request.Query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={page + 1}"));
            headers["Link"] = $"<{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{query}>; rel=\"next\"";
        }

        return new FaceReply(body, Headers: headers);
    }

    private FaceReply OneTicket(HttpRequest request)
    {
        var id = request.RouteValues["id"]?.ToString();
        return long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && _helpdesk.Get($"sim-{number:D6}") is { } c
            ? new FaceReply(Ticket(c, request.Query["include"].ToString().Contains("stats", StringComparison.Ordinal)))
            : new FaceReply(new JsonObject { ["code"] = "access_denied", ["message"] = "You are not authorized to perform this action." }, StatusCodes.Status404NotFound);
    }

    /// <summary>
    /// <c>GET /api/v2/search/tickets?query="(status:2 OR status:3) AND created_at:&gt;'2025-01-01' AND created_at:&lt;'2025-01-31'"&amp;page=</c>:
    /// <c>{ results, total }</c>, 30 a page (no <c>stats</c>), pages 1 to 10, newest first. The query must be in double
    /// quotes; the face understands status terms OR-ed together and <c>created_at</c> day bounds, which it takes as
    /// inclusive (on or after, on or before); anything else is rejected like a query Freshdesk cannot parse.
    /// </summary>
    private FaceReply Search(HttpRequest request)
    {
        var page = Int(request, "page") ?? 1;
        if (page is < 1 or > SearchMaxPage)
        {
            return ValidationFailed("page", $"It should be a Positive Number less than or equal to {SearchMaxPage}");
        }

        var query = request.Query["query"].ToString();
        if (query.Length < 2 || query[0] != '"' || query[^1] != '"' || ParseSearch(query[1..^1]) is not { } filter)
        {
            return ValidationFailed("query", "It is not in the expected format: a quoted query of status and created_at terms");
        }

        var matching = _helpdesk.Latest()
            .Where(c => filter.Statuses.Contains(Status(c.Status))
                && DateOnly.FromDateTime(c.CreatedAt.UtcDateTime) is var day && day >= filter.From && day <= filter.To)
            .OrderByDescending(c => Seconds(c.CreatedAt)).ThenByDescending(c => c.ExternalId, StringComparer.Ordinal)
            .ToList();
        return new FaceReply(new JsonObject
        {
            ["results"] = new JsonArray([.. matching.Skip((page - 1) * SearchPageSize).Take(SearchPageSize).Select(c => (JsonNode)Ticket(c, false))]),
            ["total"] = matching.Count,
        });
    }

    /// <summary>The status codes and creation days a search query selects; null when it holds anything else.</summary>
    private static (HashSet<int> Statuses, DateOnly From, DateOnly To)? ParseSearch(string query)
    {
        var statuses = new HashSet<int>();
        DateOnly from = DateOnly.MinValue, to = DateOnly.MaxValue;
        foreach (var raw in query.Replace("(", " ", StringComparison.Ordinal).Replace(")", " ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw is "OR" or "AND")
            {
                continue;
            }

            if (raw.StartsWith("status:", StringComparison.Ordinal) && int.TryParse(raw.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                statuses.Add(code);
            }
            else if (raw.StartsWith("created_at:", StringComparison.Ordinal) && raw.Length == 24 && raw[12] == '\'' && raw[^1] == '\''
                && DateOnly.TryParseExact(raw.AsSpan(13, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && raw[11] is '>' or '<')
            {
                if (raw[11] == '>')
                {
                    from = day;
                }
                else
                {
                    to = day;
                }
            }
            else
            {
                return null;
            }
        }

        return statuses.Count == 0 ? null : (statuses, from, to);
    }

    /// <summary><c>GET /api/v2/surveys/satisfaction_ratings?created_since=&amp;page=&amp;per_page=</c>, oldest first.</summary>
    private FaceReply Ratings(HttpRequest request)
    {
        var perPage = Math.Clamp(Int(request, "per_page") ?? 30, 1, MaxPerPage);
        var page = Math.Max(1, Int(request, "page") ?? 1);
        var since = DateTimeOffset.TryParse(request.Query["created_since"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s) ? s : DateTimeOffset.MinValue;
        var ratings = _helpdesk.Surveys().Where(r => r.Kind == SurveyKind.Csat && r.Score is not null && Seconds(r.RespondedAt) >= since).ToList();
        return new FaceReply(new JsonArray([.. ratings.Skip((page - 1) * perPage).Take(perPage).Select(r => (JsonNode)Rating(r))]));
    }

    private static JsonArray TicketFields() =>
    [
        new JsonObject
        {
            ["id"] = 1001, ["name"] = "requester", ["label"] = "Search a requester", ["type"] = "default_requester", ["position"] = 1,
        },
        new JsonObject
        {
            ["id"] = 1003, ["name"] = "status", ["label"] = "Status", ["type"] = "default_status", ["position"] = 3,
            ["choices"] = new JsonObject(StatusChoices.Select(s => KeyValuePair.Create(s.Code.ToString(CultureInfo.InvariantCulture), (JsonNode?)new JsonArray(s.Agent, s.Customer)))),
        },
        new JsonObject
        {
            ["id"] = 1004, ["name"] = "priority", ["label"] = "Priority", ["type"] = "default_priority", ["position"] = 4,
            ["choices"] = new JsonObject { ["Low"] = 1, ["Medium"] = 2, ["High"] = 3, ["Urgent"] = 4 },
        },
        new JsonObject
        {
            ["id"] = 1005, ["name"] = "source", ["label"] = "Source", ["type"] = "default_source", ["position"] = 5,
            ["choices"] = new JsonObject(SourceChoices.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)JsonValue.Create(s.Code)))),
        },
    ];

    private static JsonObject Ticket(Conversation c, bool stats)
    {
        var ticket = new JsonObject
        {
            ["id"] = FaceResponses.Number(c.ExternalId),
            ["subject"] = $"Simulated {c.Channel} conversation",
            ["status"] = Status(c.Status),
            ["priority"] = c.Priority switch { "low" => 1, "high" => 3, "urgent" => 4, _ => 2 },
            ["source"] = SourceCode(c.Channel),
            ["type"] = c.TicketType is { } t ? char.ToUpperInvariant(t[0]) + t[1..] : null,
            ["requester_id"] = FaceResponses.Number(c.RequesterId),
            ["responder_id"] = FaceResponses.Number(c.AssigneeId),
            ["group_id"] = c.Team switch { "billing" => 43000001, "tech" => 43000002, "sales" => 43000003, _ => null },
            ["company_id"] = null,
            ["fr_escalated"] = false,
            ["nr_escalated"] = false,
            ["is_escalated"] = false,
            ["tags"] = new JsonArray(c.Team ?? "untriaged"),
            ["custom_fields"] = new JsonObject { ["cf_region"] = "EU" },
            ["created_at"] = FaceResponses.Iso(c.CreatedAt),
            ["updated_at"] = FaceResponses.Iso(c.UpdatedAt),
            ["due_by"] = FaceResponses.Iso(c.CreatedAt.AddDays(1)),
            ["fr_due_by"] = FaceResponses.Iso(c.CreatedAt.AddHours(1)),
            ["nr_due_by"] = null,
        };
        if (stats)
        {
            ticket["stats"] = new JsonObject
            {
                ["agent_responded_at"] = Iso(c.FirstHumanResponseAt),
                ["requester_responded_at"] = null,
                ["first_responded_at"] = Iso(c.FirstHumanResponseAt),
                ["status_updated_at"] = FaceResponses.Iso(c.UpdatedAt),
                ["reopened_at"] = c.Reopens > 0 ? Iso(c.FirstResolvedAt) : null,
                ["resolved_at"] = Iso(c.ResolvedAt),
                ["closed_at"] = Iso(c.ClosedAt),
                ["pending_since"] = c.Status == ConversationStatus.Pending ? FaceResponses.Iso(c.UpdatedAt) : null,
            };
        }

        return ticket;
    }

    private static JsonObject Rating(SurveyResponse r) => new()
    {
        ["id"] = RatingIdOffset + FaceResponses.Number(r.ConversationId),
        ["survey_id"] = 1,
        ["user_id"] = null,
        ["agent_id"] = FaceResponses.Number(r.AgentId),
        ["group_id"] = r.Team switch { "billing" => 43000001, "tech" => 43000002, "sales" => 43000003, _ => null },
        ["ticket_id"] = FaceResponses.Number(r.ConversationId),
        ["feedback"] = r.Score >= 4 ? "Great support" : "Could be faster",
        ["ratings"] = new JsonObject { ["default_question"] = Scale(r.Score!.Value) },
        ["created_at"] = FaceResponses.Iso(r.RespondedAt),
        ["updated_at"] = FaceResponses.Iso(r.RespondedAt),
    };

    /// <summary>A 1-5 answer on Freshdesk's scale: 103 extremely happy, 102 very happy, 100 neutral, −102, −103.</summary>
    private static int Scale(double score) => score switch
    {
        >= 5 => 103,
        >= 4 => 102,
        >= 3 => 100,
        >= 2 => -102,
        _ => -103,
    };

    private static int Status(ConversationStatus status) => status switch
    {
        ConversationStatus.Pending => 6,
        ConversationStatus.OnHold => 7,
        ConversationStatus.Solved => 4,
        ConversationStatus.Closed => 5,
        _ => 2, // Freshdesk has no "new": a new ticket is open
    };

    private static int SourceCode(string channel) => channel switch
    {
        Channels.Email => 1,
        Channels.Web => 2,
        Channels.Phone => 3,
        Channels.Social => 6,
        Channels.Chat => 7,
        Channels.WhatsApp => 13,
        Channels.Sms => 101,
        Channels.Api => 2,
        _ => 11,
    };

    private static FaceReply ValidationFailed(string field, string message) => new(new JsonObject
    {
        ["description"] = "Validation failed",
        ["errors"] = new JsonArray(new JsonObject { ["field"] = field, ["message"] = message, ["code"] = "invalid_value" }),
    }, StatusCodes.Status400BadRequest);

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static string? Iso(DateTimeOffset? at) => at is { } a ? FaceResponses.Iso(a) : null;

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
