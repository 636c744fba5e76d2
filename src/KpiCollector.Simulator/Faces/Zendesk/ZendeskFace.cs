using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.Zendesk;

/// <summary>
/// A simulated Zendesk Support account under <c>/zendesk</c>, written from Zendesk's documented JSON (docs/sources.md,
/// Zendesk Support: "Endpoints called" and "What is read, and how it maps"), independently of the connector: the
/// cursor-based incremental ticket export with the <c>metric_sets</c> sideload, legacy satisfaction ratings or CSAT
/// survey responses (the account runs one of the two, <c>Simulator:Zendesk:Csat</c>), <c>tickets/show_many</c> (with
/// the <c>metric_sets</c> sideload), the Export Search Results endpoint for tickets by status, and custom statuses. A
/// legacy rating is created when the survey is offered (at the first resolution) and updated when it is answered, which
/// also updates the ticket (its <c>satisfaction_rating</c>), so the ticket comes again in the export; the ratings list
/// filters on creation.
/// </summary>
/// <remarks>
/// Like Zendesk, the export leaves out the last minute (the simulation runs one minute behind the clock), returns
/// each changed ticket once in its latest version, and orders by a generated timestamp that <c>start_time</c> is
/// compared with. Timestamps are whole seconds and durations whole minutes, as Zendesk writes them. Bots are invisible
/// to Zendesk's metrics: the reply time is the first human (agent) reply.
/// </remarks>
public sealed class ZendeskFace : IFace
{
    public static readonly TimeSpan ExportLag = TimeSpan.FromMinutes(1);
    private const int MaxPerPage = 1000;
    private const int MaxRatingsPageSize = 100;
    private const long RatingIdOffset = 5_000_000;
    private const int MaxSurveyPageSize = 100;
    private const string SurveyId = "01J58KJ9RAE0D2EK7HRVM7Z8F2";
    private const string CsatQuestionId = "01J1WBE8QR0YQVE373K2JDJR0F";
    private const string CommentQuestionId = "01J1WBNS76ZC4TTFWP9RCNQ1S8";
    private const string Crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>How long a responder may change a survey response (<c>expires_at</c>); the simulation's answers never change.</summary>
    private static readonly TimeSpan SurveyEditWindow = TimeSpan.FromDays(14);

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["error"] = "Couldn't authenticate you" },
        new JsonObject { ["error"] = "APIRateLimitExceeded", ["description"] = "Number of allowed incremental export API requests per minute exceeded" },
        new JsonObject { ["error"] = "InternalServerError", ["description"] = "Something went wrong" });

    private static readonly (long Id, string Category, string Label)[] CustomStatuses =
    [
        (1, "new", "New"), (2, "open", "Open"), (3, "pending", "Pending"), (4, "hold", "On-hold"), (5, "solved", "Solved"),
    ];

    /// <summary>Zendesk's status order, which search comparisons (<c>status&lt;solved</c>) follow.</summary>
    private static readonly string[] StatusOrder = ["new", "open", "pending", "hold", "solved", "closed"];

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly MinuteBudget _budget;
    private readonly string _basic;
    private readonly string _bearer;
    private readonly string _agentBasic;
    private readonly string _agentBearer;
    private readonly ZendeskFaceOptions _options;
    private readonly ILogger _logger;
    private readonly bool _surveyResponses;

    public ZendeskFace(SimulatedHelpdesk helpdesk, ZendeskFaceOptions options, TimeProvider time, ILogger<ZendeskFace> logger)
    {
        _helpdesk = helpdesk;
        _budget = new MinuteBudget(options.RequestsPerMinute, time);
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Email}/token:{options.ApiToken}"));
        _bearer = "Bearer " + options.ApiToken;
        _agentBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.AgentEmail}/token:{options.AgentApiToken}"));
        _agentBearer = "Bearer " + options.AgentApiToken;
        _options = options;
        _logger = logger;
        _surveyResponses = options.Csat == ZendeskFaceOptions.CsatSurveyResponses;
    }

    public string Name => "zendesk";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated account behind the face, for tests that change it the way an agent would (delete a ticket).</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/zendesk/api/v2");
        Get(api, "/users/me.json", Me, adminOnly: false);
        Get(api, "/incremental/tickets/cursor.json", Export);
        Get(api, "/satisfaction_ratings.json", Ratings);
        Get(api, "/satisfaction_ratings", Ratings);
        Get(api, "/satisfaction_ratings/{id}", OneRating);
        Get(api, "/guide/survey_responses", SurveyResponses);
        Get(api, "/guide/survey_responses.json", SurveyResponses);
        Get(api, "/tickets/show_many.json", ShowMany, adminOnly: false);
        Get(api, "/search/export", SearchExport, adminOnly: false);
        Get(api, "/search/export.json", SearchExport, adminOnly: false);
        Get(api, "/custom_statuses.json", _ => new FaceReply(new JsonObject
        {
            ["custom_statuses"] = new JsonArray([.. CustomStatuses.Select(s => (JsonNode)new JsonObject
            {
                ["id"] = s.Id, ["status_category"] = s.Category, ["agent_label"] = s.Label, ["end_user_label"] = s.Label, ["active"] = true, ["default"] = true,
            })]),
        }), adminOnly: false);
    }

    /// <param name="adminOnly">Zendesk serves it to administrators only: the agent credential gets 403.</param>
    private void Get(RouteGroupBuilder api, string path, Func<HttpRequest, FaceReply> handler, bool adminOnly = true) =>
        api.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, Authorized, r => WithRateLimit(adminOnly && IsAgent(r) ? Forbidden() : handler(r)), _logger)));

    private bool Authorized(HttpRequest request) =>
        request.Headers.Authorization.ToString() is var header && (header == _basic || header == _bearer || header == _agentBasic || header == _agentBearer);

    private bool IsAgent(HttpRequest request) =>
        request.Headers.Authorization.ToString() is var header && (header == _agentBasic || header == _agentBearer);

    /// <summary>What Zendesk answers an agent asking for an admin-only endpoint.</summary>
    private static FaceReply Forbidden() => new(
        new JsonObject { ["error"] = "Forbidden", ["description"] = "You do not have access to this page. Please contact the account owner of this help desk for further help." },
        StatusCodes.Status403Forbidden);

    /// <summary><c>GET /api/v2/users/me.json</c>: the user the credential acts for (the admin, or the agent of the second credential).</summary>
    private FaceReply Me(HttpRequest request)
    {
        var agent = IsAgent(request);
        return new FaceReply(new JsonObject
        {
            ["user"] = new JsonObject
            {
                ["id"] = agent ? 90_002 : 90_001,
                ["url"] = $"https://simulator.zendesk.com/api/v2/users/{(agent ? 90_002 : 90_001)}.json",
                ["name"] = agent ? "Simulated Agent" : "Simulated Admin",
                ["email"] = agent ? _options.AgentEmail : _options.Email,
                ["role"] = agent ? "agent" : "admin",
                ["role_type"] = agent ? 0 : null,
                ["active"] = true,
                ["verified"] = true,
                ["time_zone"] = "UTC",
            },
        });
    }

    private FaceReply WithRateLimit(FaceReply reply) => reply with
    {
        Headers = new Dictionary<string, string>(reply.Headers ?? new Dictionary<string, string>())
        {
            ["X-Rate-Limit"] = _budget.Limit.ToString(CultureInfo.InvariantCulture),
            ["X-Rate-Limit-Remaining"] = _budget.Spend().ToString(CultureInfo.InvariantCulture),
            ["ratelimit-reset"] = _budget.SecondsToReset().ToString(CultureInfo.InvariantCulture),
        },
    };

    /// <summary><c>GET /api/v2/incremental/tickets/cursor.json?start_time=|cursor=&amp;include=metric_sets&amp;per_page=</c>.</summary>
    private FaceReply Export(HttpRequest request)
    {
        var perPage = Math.Clamp(IntParam(request, "per_page") ?? MaxPerPage, 1, MaxPerPage);
        long from;
        if (request.Query["cursor"].ToString() is { Length: > 0 } cursor)
        {
            if (DecodeCursor(cursor) is not { } position)
            {
                return new FaceReply(new JsonObject { ["error"] = "InvalidPaginationParameter", ["description"] = "cursor is invalid" }, StatusCodes.Status400BadRequest);
            }

            from = position;
        }
        else if (long.TryParse(request.Query["start_time"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var startTime))
        {
            from = _helpdesk.SequenceAt(DateTimeOffset.FromUnixTimeSeconds(startTime));
        }
        else
        {
            return new FaceReply(new JsonObject { ["error"] = "InvalidValue", ["description"] = "start_time or cursor is required" }, StatusCodes.Status400BadRequest);
        }

        var (entries, next, end) = _helpdesk.ReadChanges(from, perPage);
        var after = EncodeCursor(next);
        var page = new JsonObject
        {
            ["tickets"] = new JsonArray([.. entries.Select(e => (JsonNode)Ticket(e.Conversation, e.Generated))]),
            ["after_url"] = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?cursor={Uri.EscapeDataString(after)}",
            ["after_cursor"] = after,
            ["before_url"] = null,
            ["before_cursor"] = null,
            ["end_of_stream"] = end,
        };
        if (request.Query["include"].ToString().Split(',').Contains("metric_sets"))
        {
            page["metric_sets"] = new JsonArray([.. entries.Select(e => (JsonNode)MetricSet(e.Conversation))]);
        }

        return new FaceReply(page);
    }

    /// <summary>
    /// <c>GET /api/v2/satisfaction_ratings?score=received&amp;start_time=&amp;page[size]=&amp;page[after]=</c>: CSAT answers as
    /// good (4-5) or bad (1-3). An account on survey responses has no legacy ratings: the list is empty (what Zendesk
    /// answers then is not documented).
    /// </summary>
    private FaceReply Ratings(HttpRequest request)
    {
        var size = Math.Clamp(IntParam(request, "page[size]") ?? MaxRatingsPageSize, 1, MaxRatingsPageSize);
        var start = long.TryParse(request.Query["start_time"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : DateTimeOffset.MinValue;
        var end = long.TryParse(request.Query["end_time"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var e) ? DateTimeOffset.FromUnixTimeSeconds(e) : DateTimeOffset.MaxValue;
        var score = request.Query["score"].ToString();
        var ratings = (_surveyResponses ? [] : _helpdesk.Surveys())
            .Where(r => r.Kind == SurveyKind.Csat && r.Score is not null && OfferedAt(r) is var created && created >= start && created <= end)
            .Select(r => (Response: r, Good: r.Score >= 4))
            .Where(r => score switch { "good" => r.Good, "bad" => !r.Good, "" or "received" => true, _ => false })
            .OrderBy(r => OfferedAt(r.Response)).ThenBy(r => r.Response.ConversationId, StringComparer.Ordinal)
            .ToList();
        var offset = request.Query["page[after]"].ToString() is { Length: > 0 } after ? DecodeCursor(after) ?? 0 : 0;
        var page = ratings.Skip((int)offset).Take(size).ToList();
        var more = offset + page.Count < ratings.Count;
        var next = more ? EncodeCursor(offset + page.Count) : null;
        return new FaceReply(new JsonObject
        {
            ["satisfaction_ratings"] = new JsonArray([.. page.Select(r => (JsonNode)Rating(r.Response, r.Good, OfferedAt(r.Response)))]),
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = next, ["before_cursor"] = null },
            ["links"] = new JsonObject
            {
                ["next"] = next is null ? null : $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?page[after]={Uri.EscapeDataString(next)}",
                ["prev"] = null,
            },
        });
    }

    /// <summary><c>GET /api/v2/satisfaction_ratings/{id}</c>: one legacy rating, answered or only offered; 404 when there is none.</summary>
    private FaceReply OneRating(HttpRequest request)
    {
        var id = request.RouteValues["id"]?.ToString()?.Replace(".json", "", StringComparison.Ordinal);
        if (_surveyResponses || !long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number <= RatingIdOffset
            || _helpdesk.CsatOf($"sim-{number - RatingIdOffset:D6}") is not { } survey)
        {
            return new FaceReply(new JsonObject { ["error"] = "RecordNotFound", ["description"] = "Not found" }, StatusCodes.Status404NotFound);
        }

        return new FaceReply(new JsonObject { ["satisfaction_rating"] = Rating(survey, survey.Score >= 4, OfferedAt(survey)) });
    }

    /// <summary>
    /// When the survey was offered: a legacy rating is created then (score <c>offered</c>) and updated when answered,
    /// minutes to days later. The simulation offers surveys at the first resolution.
    /// </summary>
    private DateTimeOffset OfferedAt(SurveyResponse r) =>
        r.Score is not null && r.ConversationId is { } id && _helpdesk.Get(id)?.FirstResolvedAt is { } offered && offered <= r.RespondedAt
            ? offered
            : r.RespondedAt;

    /// <summary>The ticket's <c>satisfaction_rating</c>: the answer (id, score, comment), the offer, or <c>unoffered</c>.</summary>
    private JsonObject TicketRating(Conversation c)
    {
        if (_surveyResponses || _helpdesk.CsatOf(c.ExternalId) is not { } survey)
        {
            return new JsonObject { ["score"] = "unoffered" };
        }

        var id = RatingIdOffset + FaceResponses.Number(c.ExternalId);
        return survey.Score is null
            ? new JsonObject { ["id"] = id, ["score"] = "offered", ["comment"] = null }
            : new JsonObject { ["id"] = id, ["score"] = survey.Score >= 4 ? "good" : "bad", ["comment"] = survey.Score >= 4 ? "Thanks, quick and helpful" : "Took too long" };
    }

    /// <summary>
    /// <c>GET /api/v2/guide/survey_responses?filter[created_at_start]=&amp;filter[created_at_end]=&amp;filter[subject_zrns]=&amp;page[size]=&amp;page[after]=&amp;sort=</c>
    /// (Zendesk's CSAT survey responses): the created_at filters are Unix epoch milliseconds, as documented; cursor
    /// pagination with <c>meta.has_more</c>, <c>meta.after_cursor</c> and <c>links.next</c>, at most 100 a page.
    /// </summary>
    /// <remarks>
    /// A response is listed from its <c>created_at</c>: an answered survey at its answer (a 1-5 numeric rating from the
    /// simulation's score, with a comment or a skipped comment question), an offer nobody answered at its offer, with
    /// no answers. An account on the legacy CSAT has no survey responses: the list is empty (a plan without them would
    /// more likely answer 403 or 404).
    /// </remarks>
    private FaceReply SurveyResponses(HttpRequest request)
    {
        var size = Math.Clamp(IntParam(request, "page[size]") ?? MaxSurveyPageSize, 1, MaxSurveyPageSize);
        long? start = null, end = null;
        foreach (var (name, set) in new (string, Action<long>)[] { ("filter[created_at_start]", v => start = v), ("filter[created_at_end]", v => end = v) })
        {
            if (request.Query[name].ToString() is { Length: > 0 } text)
            {
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
                {
                    return new FaceReply(new JsonObject
                    {
                        ["errors"] = new JsonArray(new JsonObject { ["code"] = "InvalidParameter", ["title"] = $"{name} must be a Unix epoch time in milliseconds" }),
                    }, StatusCodes.Status400BadRequest);
                }

                set(ms);
            }
        }

        var subjects = request.Query["filter[subject_zrns]"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var responses = (_surveyResponses ? _helpdesk.Surveys() : [])
            .Where(r => r.Kind == SurveyKind.Csat && r.ConversationId is not null)
            .Select(r => (Survey: r, Id: SurveyResponseId(r), Created: r.RespondedAt.ToUnixTimeMilliseconds(), Zrn: $"zen:ticket:{FaceResponses.Number(r.ConversationId)}"))
            .Where(r => (start is null || r.Created >= start) && (end is null || r.Created <= end) && (subjects.Count == 0 || subjects.Contains(r.Zrn)))
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
        if (request.Query["sort"].ToString() == "-id")
        {
            responses.Reverse();
        }

        var offset = request.Query["page[after]"].ToString() is { Length: > 0 } after ? DecodeCursor(after) ?? 0 : 0;
        var page = responses.Skip((int)offset).Take(size).ToList();
        var more = offset + page.Count < responses.Count;
        var next = more ? EncodeCursor(offset + page.Count) : null;
        return new FaceReply(new JsonObject
        {
            ["survey_responses"] = new JsonArray([.. page.Select(r => (JsonNode)SurveyResponse(r.Survey, r.Id, r.Zrn))]),
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = next, ["before_cursor"] = offset > 0 ? EncodeCursor(offset) : null },
            ["links"] = new JsonObject
            {
                ["next"] = next is null ? null : $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?page[size]={size}&page[after]={Uri.EscapeDataString(next)}",
                ["prev"] = null,
            },
        });
    }

    /// <summary><c>GET /api/v2/tickets/show_many.json?ids=1,2,3[&amp;include=metric_sets]</c>: a deleted ticket is simply not returned.</summary>
    private FaceReply ShowMany(HttpRequest request)
    {
        var found = new List<Conversation>();
        foreach (var id in request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(100))
        {
            if (long.TryParse(id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && _helpdesk.Get($"sim-{number:D6}") is { } c)
            {
                found.Add(c);
            }
        }

        var body = new JsonObject { ["tickets"] = new JsonArray([.. found.Select(c => (JsonNode)Ticket(c, c.UpdatedAt))]) };
        if (request.Query["include"].ToString().Split(',').Contains("metric_sets"))
        {
            body["metric_sets"] = new JsonArray([.. found.Select(c => (JsonNode)MetricSet(c))]);
        }

        return new FaceReply(body);
    }

    /// <summary>
    /// <c>GET /api/v2/search/export?query=status&lt;solved&amp;filter[type]=ticket&amp;page[size]=&amp;page[after]=</c>
    /// (Export Search Results): no 1,000-result cap, cursor paging (<c>meta.has_more</c>, <c>meta.after_cursor</c>,
    /// <c>links.next</c>), at most 1,000 a page (100 by default), <c>filter[type]</c> required and <c>type:</c> in the
    /// query an error, as documented. The query understands what a status search needs: <c>status:open</c> (several
    /// are OR-ed) and <c>status&lt;solved</c> / <c>status&gt;pending</c>-style comparisons on the status order new, open,
    /// pending, hold, solved, closed. Results are in creation order (the simulation's ids follow it), so a cursor (the
    /// last id returned) stays valid while tickets change.
    /// </summary>
    private FaceReply SearchExport(HttpRequest request)
    {
        if (request.Query["filter[type]"].ToString() is not "ticket")
        {
            return new FaceReply(new JsonObject { ["error"] = "InvalidParameter", ["description"] = "filter[type] is required: one of ticket, user, organization, group" }, StatusCodes.Status400BadRequest);
        }

        var query = request.Query["query"].ToString();
        if (query.Contains("type:", StringComparison.Ordinal))
        {
            return new FaceReply(new JsonObject { ["error"] = "InvalidSearchQuery", ["description"] = "type is not allowed in the query of a search export; give it in filter[type]" }, StatusCodes.Status400BadRequest);
        }

        if (SearchStatuses(query) is not { } statuses)
        {
            return new FaceReply(new JsonObject { ["error"] = "InvalidSearchQuery", ["description"] = "the simulated search understands status terms only" }, StatusCodes.Status400BadRequest);
        }

        var size = Math.Clamp(IntParam(request, "page[size]") ?? 100, 1, MaxPerPage);
        long after = 0;
        if (request.Query["page[after]"].ToString() is { Length: > 0 } cursor)
        {
            if (DecodeCursor(cursor) is not { } position)
            {
                return new FaceReply(new JsonObject { ["error"] = "InvalidPaginationParameter", ["description"] = "page[after] is invalid" }, StatusCodes.Status400BadRequest);
            }

            after = position;
        }

        var matching = _helpdesk.Latest()
            .Where(c => statuses.Contains(Status(c.Status)))
            .Select(c => (Id: FaceResponses.Number(c.ExternalId)!.Value, Conversation: c))
            .Where(x => x.Id > after)
            .OrderBy(x => x.Id)
            .ToList();
        var page = matching.Take(size).ToList();
        var more = matching.Count > page.Count;
        var next = more ? EncodeCursor(page[^1].Id) : null;
        return new FaceReply(new JsonObject
        {
            ["results"] = new JsonArray([.. page.Select(x =>
            {
                var ticket = Ticket(x.Conversation, x.Conversation.UpdatedAt);
                ticket["result_type"] = "ticket";
                return (JsonNode)ticket;
            })]),
            ["facets"] = null,
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = next, ["before_cursor"] = null },
            ["links"] = new JsonObject
            {
                ["next"] = next is null ? null : $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?page[after]={Uri.EscapeDataString(next)}",
                ["prev"] = null,
            },
        });
    }

    /// <summary>The statuses a ticket search query selects; null for a query the simulated search does not understand.</summary>
    private static HashSet<string>? SearchStatuses(string query)
    {
        var any = new HashSet<string>(StringComparer.Ordinal);
        var all = new HashSet<string>(StatusOrder, StringComparer.Ordinal);
        var constrained = false;
        foreach (var term in query.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (term.StartsWith("status:", StringComparison.Ordinal) && Array.IndexOf(StatusOrder, term[7..]) >= 0)
            {
                any.Add(term[7..]);
                continue;
            }

            if (term.Length > 7 && term.StartsWith("status", StringComparison.Ordinal) && term[6] is '<' or '>')
            {
                var inclusive = term.Length > 8 && term[7] == '=';
                var index = Array.IndexOf(StatusOrder, term[(inclusive ? 8 : 7)..]);
                if (index < 0)
                {
                    return null;
                }

                var less = term[6] == '<';
                all.IntersectWith(StatusOrder.Where((_, i) => less ? i < index || (inclusive && i == index) : i > index || (inclusive && i == index)));
                constrained = true;
                continue;
            }

            return null;
        }

        if (any.Count > 0)
        {
            all.IntersectWith(any);
        }
        else if (!constrained)
        {
            return null; // a search for every ticket is not what this face is for
        }

        return all;
    }

    private JsonObject Ticket(Conversation c, DateTimeOffset generated)
    {
        var id = FaceResponses.Number(c.ExternalId);
        var status = Status(c.Status);
        return new JsonObject
        {
            ["id"] = id,
            ["url"] = $"https://simulator.zendesk.com/api/v2/tickets/{id}.json",
            ["external_id"] = null,
            ["type"] = c.TicketType,
            ["subject"] = $"Simulated {c.Channel} conversation",
            ["priority"] = c.Priority,
            ["status"] = status,
            ["custom_status_id"] = CustomStatuses.First(s => s.Category == (status == "closed" ? "solved" : status)).Id,
            ["requester_id"] = FaceResponses.Number(c.RequesterId),
            ["submitter_id"] = FaceResponses.Number(c.RequesterId),
            ["assignee_id"] = FaceResponses.Number(c.AssigneeId),
            ["organization_id"] = null,
            ["group_id"] = GroupId(c.Team),
            ["via"] = new JsonObject { ["channel"] = ViaType(c.Channel), ["source"] = new JsonObject { ["from"] = new JsonObject(), ["to"] = new JsonObject(), ["rel"] = null } },
            ["satisfaction_rating"] = TicketRating(c),
            ["tags"] = new JsonArray(c.Team ?? "untriaged"),
            ["custom_fields"] = new JsonArray(),
            ["created_at"] = FaceResponses.Iso(c.CreatedAt),
            ["updated_at"] = FaceResponses.Iso(c.UpdatedAt),
            ["generated_timestamp"] = generated.ToUnixTimeSeconds(),
        };
    }

    /// <summary>Ticket metrics: durations in whole calendar minutes (business = calendar here), seconds for messaging replies.</summary>
    private static JsonObject MetricSet(Conversation c)
    {
        var id = FaceResponses.Number(c.ExternalId);
        var reply = c.FirstHumanResponseAt - c.CreatedAt;
        var metrics = new JsonObject
        {
            ["url"] = $"https://simulator.zendesk.com/api/v2/ticket_metrics/{id}.json",
            ["id"] = id + 7_000_000,
            ["ticket_id"] = id,
            ["group_stations"] = c.Team is null ? 0 : 1,
            ["assignee_stations"] = c.AssigneeId is null ? 0 : 1,
            ["reopens"] = c.Reopens ?? 0,
            ["replies"] = c.AgentPublicReplies ?? 0,
            ["assignee_updated_at"] = Iso(c.FirstHumanResponseAt),
            ["requester_updated_at"] = FaceResponses.Iso(c.CreatedAt),
            ["status_updated_at"] = FaceResponses.Iso(c.UpdatedAt),
            ["initially_assigned_at"] = Iso(c.FirstHumanResponseAt),
            ["assigned_at"] = Iso(c.FirstHumanResponseAt),
            ["solved_at"] = Iso(c.ResolvedAt),
            ["latest_comment_added_at"] = FaceResponses.Iso(c.UpdatedAt),
            ["reply_time_in_minutes"] = Minutes(reply),
            ["first_resolution_time_in_minutes"] = Minutes(c.FirstResolvedAt - c.CreatedAt),
            ["full_resolution_time_in_minutes"] = Minutes(c.ResolvedAt - c.CreatedAt),
            ["agent_wait_time_in_minutes"] = Minutes(c.WaitingOnCustomer),
            ["requester_wait_time_in_minutes"] = Minutes(reply),
            ["on_hold_time_in_minutes"] = Minutes(TimeSpan.Zero),
            ["created_at"] = FaceResponses.Iso(c.CreatedAt),
            ["updated_at"] = FaceResponses.Iso(c.UpdatedAt),
        };
        if (c.Channel is Channels.WhatsApp or Channels.Chat or Channels.Social or Channels.Sms)
        {
            metrics["reply_time_in_seconds"] = new JsonObject { ["calendar"] = reply is { } r ? (long)Math.Round(r.TotalSeconds) : null };
        }

        return metrics;
    }

    private static JsonObject Rating(SurveyResponse r, bool good, DateTimeOffset offered)
    {
        var ticket = FaceResponses.Number(r.ConversationId);
        return new JsonObject
        {
            ["url"] = $"https://simulator.zendesk.com/api/v2/satisfaction_ratings/{RatingIdOffset + ticket}.json",
            ["id"] = RatingIdOffset + ticket,
            ["assignee_id"] = FaceResponses.Number(r.AgentId),
            ["group_id"] = GroupId(r.Team),
            ["requester_id"] = null,
            ["ticket_id"] = ticket,
            ["score"] = r.Score is null ? "offered" : good ? "good" : "bad",
            ["comment"] = r.Score is null ? null : good ? "Thanks, quick and helpful" : "Took too long",
            ["reason"] = r.Score is null || good ? null : "Issue took too long to resolve",
            ["created_at"] = FaceResponses.Iso(offered),
            ["updated_at"] = FaceResponses.Iso(r.RespondedAt),
        };
    }

    /// <summary>A survey response as documented: subjects, the survey, and the answers (none for an offer not answered).</summary>
    private JsonObject SurveyResponse(SurveyResponse r, string id, string zrn)
    {
        var ticket = FaceResponses.Number(r.ConversationId)!.Value;
        var at = IsoMs(r.RespondedAt);
        var answers = new JsonArray();
        if (r.Score is { } score)
        {
            var rating = (int)Math.Round(score);
            answers.Add(new JsonObject
            {
                ["type"] = "rating_scale",
                ["rating"] = rating,
                ["rating_category"] = rating switch { <= 2 => "bad", 3 => "neutral", _ => "good" },
                ["question"] = new JsonObject
                {
                    ["id"] = CsatQuestionId,
                    ["type"] = "rating_scale_numeric",
                    ["alias"] = "csat",
                    ["sub_type"] = "customer_satisfaction",
                    ["headline"] = new JsonObject { ["type"] = "static", ["value"] = "How satisfied were you with the support you received?" },
                    ["options"] = new JsonArray([.. Enumerable.Range(1, 5).Select(v => (JsonNode)new JsonObject
                    {
                        ["rating"] = v,
                        ["label"] = new JsonObject { ["type"] = "static", ["value"] = v switch { 1 => "Very unsatisfied", 2 => "Unsatisfied", 3 => "Neutral", 4 => "Satisfied", _ => "Very satisfied" } },
                    })]),
                },
                ["created_at"] = at,
                ["updated_at"] = at,
            });
            var comment = new JsonObject
            {
                ["id"] = CommentQuestionId,
                ["type"] = "open_ended",
                ["alias"] = "comment",
                ["headline"] = new JsonObject { ["type"] = "static", ["value"] = "Anything else you would like to share about your experience?" },
            };
            answers.Add(rating is <= 2 or 5
                ? new JsonObject { ["type"] = "open_ended", ["value"] = rating == 5 ? "Quick and helpful, thanks" : "I had to repeat the same answers", ["question"] = comment, ["created_at"] = at, ["updated_at"] = at }
                : new JsonObject { ["type"] = "skipped", ["question"] = comment, ["created_at"] = at, ["updated_at"] = at });
        }

        return new JsonObject
        {
            ["id"] = id,
            ["responder_id"] = FaceResponses.Number(_helpdesk.Get(r.ConversationId!)?.RequesterId),
            ["subject_zrns"] = new JsonArray(zrn),
            ["subjects"] = new JsonArray(new JsonObject { ["id"] = ticket.ToString(CultureInfo.InvariantCulture), ["type"] = "ticket", ["zrn"] = zrn }),
            ["survey"] = new JsonObject { ["id"] = SurveyId, ["version"] = 3, ["state"] = "enabled" },
            ["answers"] = answers,
            ["expires_at"] = IsoMs(r.RespondedAt + SurveyEditWindow),
            ["created_at"] = at,
            ["updated_at"] = at,
        };
    }

    /// <summary>A ULID, as Zendesk's survey response ids are: the creation time in milliseconds, then 80 bits from the ticket.</summary>
    private static string SurveyResponseId(SurveyResponse r)
    {
        var chars = new char[26];
        var time = (ulong)r.RespondedAt.ToUnixTimeMilliseconds();
        for (var i = 9; i >= 0; i--, time >>= 5)
        {
            chars[i] = Crockford[(int)(time & 31)];
        }

        var rest = (ulong)FaceResponses.Number(r.ConversationId)!.Value * 0x9E3779B97F4A7C15UL;
        for (var i = 25; i >= 10; i--, rest = (rest >> 5) | (rest << 59))
        {
            chars[i] = Crockford[(int)(rest & 31)];
        }

        return new string(chars);
    }

    /// <summary>ISO 8601 in UTC to the millisecond, as the survey responses write it: <c>2024-08-14T12:00:00.000Z</c>.</summary>
    private static string IsoMs(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Minutes(TimeSpan? duration)
    {
        long? minutes = duration is { } d ? (long)Math.Round(d.TotalMinutes) : null;
        return new JsonObject { ["calendar"] = minutes, ["business"] = minutes };
    }

    private static string? Iso(DateTimeOffset? at) => at is { } a ? FaceResponses.Iso(a) : null;

    private static string Status(ConversationStatus status) => status switch
    {
        ConversationStatus.New => "new",
        ConversationStatus.Open => "open",
        ConversationStatus.Pending => "pending",
        ConversationStatus.OnHold => "hold",
        ConversationStatus.Solved => "solved",
        _ => "closed",
    };

    /// <summary>Zendesk's via types for the simulated channels.</summary>
    private static string ViaType(string channel) => channel switch
    {
        Channels.WhatsApp => "whatsapp",
        Channels.Chat => "native_messaging",
        Channels.Email => "email",
        Channels.Web => "web",
        Channels.Phone => "voice",
        Channels.Social => "instagram_dm",
        Channels.Sms => "sms",
        Channels.Api => "api",
        _ => "rule",
    };

    private static long? GroupId(string? team) => team switch
    {
        null => null,
        "billing" => 360001,
        "tech" => 360002,
        "sales" => 360003,
        _ => 360009,
    };

    private static int? IntParam(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static string EncodeCursor(long position) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"zdsim:{position.ToString(CultureInfo.InvariantCulture)}"));

    private static long? DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(cursor));
            return text.StartsWith("zdsim:", StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(6), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p >= 0 ? p : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
