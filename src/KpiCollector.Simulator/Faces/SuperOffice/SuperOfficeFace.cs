using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.SuperOffice;

/// <summary>
/// A simulated SuperOffice Service installation under <c>/superoffice</c>, written from SuperOffice's WebAPI reference
/// (docs/sources.md, SuperOffice Service), independently of any profile: the <c>Ticket</c> archive provider as
/// <c>GET /api/v1/archive/Ticket</c> (and its alias <c>GET /api/v1/Ticket</c>) with <c>$select</c>, <c>$filter</c>
/// (the archive restriction syntax: <c>lastChanged after '…'</c>, <c>ge</c>, <c>gt</c>, terms joined by <c>and</c>),
/// <c>$orderBy</c>, <c>$top</c>/<c>$skip</c>, the <c>{ odata.metadata, odata.nextLink, value }</c> carrier, and
/// Basic authentication.
/// </summary>
/// <remarks>
/// <para>
/// Rows are in SLIM mode: each selected column by name, <c>PrimaryKey</c> and <c>EntityName</c>; list columns carry
/// their display text in English (<c>status</c>: the internal status Active, Closed, Postponed; <c>origin</c>: E-mail,
/// SMS, Phone, Facebook, Twitter, Customer centre, ...), dates ISO 8601 without an offset, in UTC, null when unset.
/// <c>timeToReply</c> and <c>realTimeToReply</c> are minutes. A ticket is closed at its resolution (SuperOffice has
/// no solved-then-closed step); a simulated on-hold ticket is Postponed; new and pending ones are Active with the
/// user-defined status (<c>ticketStatusName</c>) Open or Waiting for customer. Chat and WhatsApp conversations reach
/// Service as requests from the customer centre (the documented origins have no chat or WhatsApp value); API ones as
/// automatic processes.
/// </para>
/// <para>The documentation gives no rate limit: the face advertises none (429 comes only from the fault).</para>
/// </remarks>
public sealed class SuperOfficeFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Rows a page holds at most, whatever <c>$top</c> asks.</summary>
    public const int MaxTop = 1000;

    private static readonly FaceErrors Errors = new(
        new JsonObject { ["Message"] = "Authorization has been denied for this request." },
        new JsonObject { ["Error"] = "Too many requests", ["ErrorType"] = "ThrottlingException", ["ErrorSource"] = "WebApi" },
        new JsonObject { ["Error"] = "An error has occurred.", ["ErrorType"] = "SoException", ["ErrorSource"] = "NetServer" });

    /// <summary>The columns the face knows, and how each is read from a simulated conversation.</summary>
    private static readonly Dictionary<string, Func<Conversation, JsonNode?>> Columns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ticketId"] = c => FaceResponses.Number(c.ExternalId),
        ["title"] = c => $"Simulated {c.Channel} request",
        ["createdAt"] = c => Date(c.CreatedAt),
        ["lastChanged"] = c => Date(c.UpdatedAt),
        ["repliedAt"] = c => Date(c.FirstHumanResponseAt),
        ["closedAt"] = c => Date(ClosedAt(c)),
        ["timeToReply"] = c => Minutes(c.CreatedAt, c.FirstHumanResponseAt),
        ["realTimeToReply"] = c => Minutes(c.CreatedAt, c.FirstHumanResponseAt),
        ["timeToClose"] = c => Minutes(c.CreatedAt, ClosedAt(c)),
        ["realTimeToClose"] = c => Minutes(c.CreatedAt, ClosedAt(c)),
        ["status"] = c => BaseStatus(c.Status),
        ["ticketStatusName"] = c => c.Status switch
        {
            ConversationStatus.Pending => "Waiting for customer",
            ConversationStatus.OnHold => "Postponed",
            ConversationStatus.Solved or ConversationStatus.Closed => "Closed",
            _ => "Open",
        },
        ["origin"] = c => c.Channel switch
        {
            Channels.Email => "E-mail",
            Channels.Sms => "SMS",
            Channels.Phone => "Phone",
            Channels.Social => "Facebook",
            Channels.Api => "Automatic",
            Channels.Other => "Unknown",
            _ => "Customer centre", // web, chat and WhatsApp: the customer centre's forms and chat
        },
        ["categoryFullName"] = c => c.Team switch
        {
            "billing" => "Support/Billing",
            "tech" => "Support/Technical",
            "sales" => "Sales",
            _ => "Inbox",
        },
        ["priorityName"] = c => c.Priority switch { "low" => "Low", "high" => "High", "urgent" => "Critical", _ => "Medium" },
        ["ownedBy"] = c => c.AssigneeId is { } a ? $"Agent {FaceResponses.Number(a)}" : null,
        ["personId"] = c => FaceResponses.Number(c.RequesterId),
        ["numberOfReplies"] = c => c.AgentPublicReplies ?? 0,
        ["numberOfMessages"] = c => (c.AgentPublicReplies ?? 0) + 1,
        ["ticketTypeName"] = c => c.TicketType ?? "Standard",
    };

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _basic;
    private readonly ILogger _logger;

    public SuperOfficeFace(SimulatedHelpdesk helpdesk, SuperOfficeFaceOptions options, ILogger<SuperOfficeFace> logger)
    {
        _helpdesk = helpdesk;
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}"));
        _logger = logger;
    }

    public string Name => "superoffice";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated installation behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        foreach (var path in new[] { "/superoffice/api/v1/archive/Ticket", "/superoffice/api/v1/Ticket" })
        {
            app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
                context, this, Errors, r => r.Headers.Authorization.ToString() == _basic, Tickets, _logger)));
        }
    }

    /// <summary>The archive query: restrict, order, page, project.</summary>
    private FaceReply Tickets(HttpRequest request)
    {
        var select = request.Query["$select"].ToString() is { Length: > 0 } s
            ? s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : ["ticketId", "title", "createdAt", "lastChanged"];
        if (select.FirstOrDefault(c => !Columns.ContainsKey(c)) is { } unknown)
        {
            return Error($"Unknown column '{unknown}' in archive provider Ticket");
        }

        IEnumerable<Conversation> rows = _helpdesk.Latest();
        if (request.Query["$filter"].ToString() is { Length: > 0 } filter)
        {
            if (ParseFilter(filter) is not { } predicate)
            {
                return Error($"Unable to parse the restriction '{filter}'");
            }

            rows = rows.Where(predicate);
        }

        var ordered = Order(rows, request.Query["$orderBy"].ToString());
        if (ordered is null)
        {
            return Error($"Unable to order by '{request.Query["$orderBy"]}'");
        }

        var skip = Math.Max(0, Int(request, "$skip") ?? 0);
        var top = Math.Clamp(Int(request, "$top") ?? MaxTop, 1, MaxTop);
        var all = ordered.ToList();
        var page = all.Skip(skip).Take(top).ToList();
        var body = new JsonObject
        {
            ["odata.metadata"] = $"{Root(request)}/api/v1/archive$metadata",
        };
        if (skip + page.Count < all.Count)
        {
            var query = string.Join('&', request.Query.Where(q => q.Key != "$skip").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"$skip={skip + page.Count}"));
            body["odata.nextLink"] = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?{query}";
        }

        body["value"] = new JsonArray([.. page.Select(c => (JsonNode)Row(c, select))]);
        return new FaceReply(body);
    }

    private static JsonObject Row(Conversation c, IEnumerable<string> select)
    {
        var row = new JsonObject
        {
            ["PrimaryKey"] = FaceResponses.Number(c.ExternalId),
            ["EntityName"] = ClosedAt(c) is null ? "ticket" : "ticketdisplayclosed",
        };
        foreach (var column in select)
        {
            row[column] = Columns[column](c);
        }

        return row;
    }

    /// <summary>
    /// A restriction of date terms on <c>lastChanged</c> or <c>createdAt</c> (<c>after</c>, <c>gt</c>, <c>ge</c>,
    /// <c>before</c>, <c>lt</c>) joined by <c>and</c>; dates as <c>'2024.01.31'</c>, <c>'2024.01.31 10:00:00'</c> or ISO
    /// 8601 (UTC unless an offset is given). Null when it holds anything else.
    /// </summary>
    private static Func<Conversation, bool>? ParseFilter(string filter)
    {
        var terms = new List<Func<Conversation, bool>>();
        foreach (var term in filter.Split(" and ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = term.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || parts[2].Length < 2 || parts[2][0] != '\'' || parts[2][^1] != '\'')
            {
                return null;
            }

            Func<Conversation, DateTimeOffset>? column = parts[0].ToLowerInvariant() switch
            {
                "lastchanged" => c => Seconds(c.UpdatedAt),
                "createdat" => c => Seconds(c.CreatedAt),
                _ => null,
            };
            var value = parts[2][1..^1];
            if (column is null || !TryDate(value, out var at))
            {
                return null;
            }

            Func<Conversation, bool>? test = parts[1].ToLowerInvariant() switch
            {
                "after" or "gt" or ">" => c => column(c) > at,
                "ge" or ">=" => c => column(c) >= at,
                "before" or "lt" or "<" => c => column(c) < at,
                "le" or "<=" => c => column(c) <= at,
                _ => null,
            };
            if (test is null)
            {
                return null;
            }

            terms.Add(test);
        }

        return terms.Count == 0 ? null : c => terms.All(t => t(c));
    }

    private static bool TryDate(string text, out DateTimeOffset at) =>
        DateTimeOffset.TryParseExact(text, ["yyyy.M.d", "yyyy.M.d H:mm:ss", "yyyy.M.d H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at)
        || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at);

    /// <summary><c>$orderBy</c>: column names, each optionally <c>asc</c>/<c>desc</c>; the ticket id breaks ties. Null for a column the face cannot sort on.</summary>
    private static IEnumerable<Conversation>? Order(IEnumerable<Conversation> rows, string orderBy)
    {
        IOrderedEnumerable<Conversation>? ordered = null;
        foreach (var item in orderBy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Func<Conversation, DateTimeOffset>? key = parts[0].ToLowerInvariant() switch
            {
                "lastchanged" => c => Seconds(c.UpdatedAt),
                "createdat" => c => Seconds(c.CreatedAt),
                "ticketid" => c => DateTimeOffset.FromUnixTimeSeconds(FaceResponses.Number(c.ExternalId) ?? 0),
                _ => null,
            };
            if (key is null)
            {
                return null;
            }

            var descending = parts.Length > 1 && parts[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
            ordered = ordered is null
                ? descending ? rows.OrderByDescending(key) : rows.OrderBy(key)
                : descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key);
        }

        return (ordered ?? rows.OrderBy(c => 0)).ThenBy(c => FaceResponses.Number(c.ExternalId));
    }

    private static string BaseStatus(ConversationStatus status) => status switch
    {
        ConversationStatus.OnHold => "Postponed",
        ConversationStatus.Solved or ConversationStatus.Closed => "Closed",
        _ => "Active",
    };

    /// <summary>A request is closed when it is resolved (reopening makes it active again, with no close time).</summary>
    private static DateTimeOffset? ClosedAt(Conversation c) =>
        c.Status is ConversationStatus.Solved or ConversationStatus.Closed ? c.ResolvedAt ?? c.ClosedAt : null;

    private static JsonNode? Date(DateTimeOffset? at) =>
        at is { } a ? a.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) : null;

    private static JsonNode? Minutes(DateTimeOffset from, DateTimeOffset? to) =>
        to is { } t ? (long)Math.Round((t - from).TotalMinutes) : null;

    private static string Root(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/superoffice";

    private static FaceReply Error(string message) => new(
        new JsonObject { ["Error"] = message, ["ErrorType"] = "ArgumentException", ["ErrorSource"] = "WebApi" }, StatusCodes.Status400BadRequest);

    private static DateTimeOffset Seconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
