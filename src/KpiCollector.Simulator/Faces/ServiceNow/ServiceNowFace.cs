using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KpiCollector.Core.Records;

namespace KpiCollector.Simulator.Faces.ServiceNow;

/// <summary>
/// A simulated ServiceNow instance under <c>/servicenow</c>, written from the Table API reference (docs/sources.md,
/// ServiceNow), independently of any profile: <c>GET /api/now/table/{table}</c> and <c>/api/now/table/{table}/{sys_id}</c>
/// for the ITSM <c>incident</c> and CSM <c>sn_customerservice_case</c> tables (the same simulated traffic under both),
/// <c>task_sla</c> (a response and a resolution SLA per task) and <c>asmt_metric_result</c> (the CSAT answers), with
/// <c>sysparm_query</c> (an encoded query: terms joined by <c>^</c>, <c>= != &gt; &gt;= &lt; &lt;= IN STARTSWITH</c>,
/// <c>ORDERBY</c>/<c>ORDERBYDESC</c>, dot-walked <c>sla.target</c>), <c>sysparm_fields</c>,
/// <c>sysparm_display_value</c> (<c>false</c>, <c>true</c>, <c>all</c>), <c>sysparm_exclude_reference_link</c>,
/// offset paging (<c>sysparm_offset</c>/<c>sysparm_limit</c>, 10,000 rows at most) with the <c>Link</c> and
/// <c>X-Total-Count</c> headers, the <c>{ result }</c> carrier, and Basic authentication.
/// </summary>
/// <remarks>
/// <para>
/// Every value is a string, dates <c>yyyy-MM-dd HH:mm:ss</c> in UTC, unset ones empty. A reference is
/// <c>{ link, value }</c> (just the sys_id with <c>sysparm_exclude_reference_link=true</c>); with
/// <c>sysparm_display_value=all</c> every field is <c>{ display_value, value }</c> (plus <c>link</c> for references).
/// A term the face cannot read is refused with 400 rather than ignored as an instance may do.
/// </para>
/// <para>
/// Incident states: 1 New, 2 In Progress, 3 On Hold (pending ones with hold reason Awaiting Caller), 6 Resolved, 7
/// Closed; case states: 1 New, 10 Open, 18 Awaiting Info (pending and on hold), 6 Resolved, 3 Closed. A reopened task
/// loses its resolution time until it is resolved again. <c>contact_type</c>: email, phone, chat, whatsapp, sms,
/// social, self-service (web), integration (API), walk-in (other). Priorities 1 Critical (urgent), 2 High, 3 Moderate
/// (normal), 4 Low. The response SLA completes at the first agent response (cancelled when the task is resolved
/// without one), the resolution SLA at the resolution; targets 1 h and 24 h. No rate limit is advertised (none
/// exists by default); 429 comes only from the fault.
/// </para>
/// </remarks>
public sealed partial class ServiceNowFace : IFace
{
    public static readonly TimeSpan Lag = TimeSpan.FromSeconds(5);

    /// <summary>Rows a page holds at most, whatever <c>sysparm_limit</c> asks (also the default limit).</summary>
    public const int MaxLimit = 10_000;

    public const string Incident = "incident";
    public const string Case = "sn_customerservice_case";
    public const string TaskSla = "task_sla";
    public const string MetricResult = "asmt_metric_result";

    private static readonly TimeSpan ResponseTarget = TimeSpan.FromHours(1);
    private static readonly TimeSpan ResolutionTarget = TimeSpan.FromHours(24);

    private static readonly FaceErrors Errors = new(
        Failure("User Not Authenticated", "Required to provide Auth information"),
        Failure("Rate limit exceeded", "Too many requests for this user"),
        Failure("Internal server error", "An unexpected error occurred"));

    private readonly SimulatedHelpdesk _helpdesk;
    private readonly string _basic;
    private readonly ILogger _logger;

    public ServiceNowFace(SimulatedHelpdesk helpdesk, ServiceNowFaceOptions options, ILogger<ServiceNowFace> logger)
    {
        _helpdesk = helpdesk;
        _basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}"));
        _logger = logger;
    }

    public string Name => "servicenow";

    public FaultPlan Faults { get; } = new();

    /// <summary>The simulated instance behind the face.</summary>
    public SimulatedHelpdesk Helpdesk => _helpdesk;

    public void CatchUp() => _helpdesk.CatchUp();

    public void Map(IEndpointRouteBuilder app)
    {
        Get(app, "/servicenow/api/now/table/{table}", List);
        Get(app, "/servicenow/api/now/table/{table}/{sysId}", One);
    }

    /// <summary>The sys_id of a simulated record: its kind in the first characters, its number at the end.</summary>
    public static string SysId(char kind, long number, int index = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)kind:x2}{index:x6}{number:x24}");

    private void Get(IEndpointRouteBuilder app, string path, Func<HttpRequest, FaceReply> handler) =>
        app.MapGet(path, (Delegate)((HttpContext context) => FaceServer.ServeAsync(
            context, this, Errors, r => r.Headers.Authorization.ToString() == _basic, handler, _logger)));

    private FaceReply List(HttpRequest request)
    {
        var table = request.RouteValues["table"]?.ToString() ?? "";
        if (Rows(table) is not { } rows)
        {
            return new FaceReply(Failure($"Invalid table {table}", null), StatusCodes.Status400BadRequest);
        }

        var (filter, order, problem) = ParseQuery(request.Query["sysparm_query"].ToString());
        if (problem is not null)
        {
            return new FaceReply(Failure("Invalid query", problem), StatusCodes.Status400BadRequest);
        }

        var all = order(rows.Where(filter)).ToList();
        var offset = Math.Max(0, Int(request, "sysparm_offset") ?? 0);
        var limit = Math.Clamp(Int(request, "sysparm_limit") ?? MaxLimit, 1, MaxLimit);
        var page = all.Skip(offset).Take(limit).ToList();
        var body = new JsonObject { ["result"] = new JsonArray([.. page.Select(r => (JsonNode)Project(r, request))]) };
        var headers = new Dictionary<string, string>
        {
            ["X-Total-Count"] = all.Count.ToString(CultureInfo.InvariantCulture),
            ["Link"] = Links(request, offset, limit, all.Count),
        };
        return new FaceReply(body, Headers: headers);
    }

    private FaceReply One(HttpRequest request)
    {
        var table = request.RouteValues["table"]?.ToString() ?? "";
        var id = request.RouteValues["sysId"]?.ToString() ?? "";
        if (Rows(table) is not { } rows)
        {
            return new FaceReply(Failure($"Invalid table {table}", null), StatusCodes.Status400BadRequest);
        }

        return rows.FirstOrDefault(r => r["sys_id"].Value == id) is { } row
            ? new FaceReply(new JsonObject { ["result"] = Project(row, request) })
            : new FaceReply(Failure("No Record found", "Record doesn't exist or ACL restricts the record retrieval"), StatusCodes.Status404NotFound);
    }

    /// <summary>The rows of a table the face serves; null for any other table.</summary>
    private List<Dictionary<string, Cell>>? Rows(string table) => table switch
    {
        Incident or Case => [.. _helpdesk.Latest().Select(c => Task(c, table))],
        TaskSla => [.. _helpdesk.Latest().SelectMany(Slas)],
        MetricResult => Answers(),
        _ => null,
    };

    private static Dictionary<string, Cell> Task(Conversation c, string table)
    {
        var n = FaceResponses.Number(c.ExternalId) ?? 0;
        var isCase = table == Case;
        var (state, label) = (c.Status, isCase) switch
        {
            (ConversationStatus.New, _) => ("1", "New"),
            (ConversationStatus.Open, false) => ("2", "In Progress"),
            (ConversationStatus.Open, true) => ("10", "Open"),
            (ConversationStatus.Pending or ConversationStatus.OnHold, false) => ("3", "On Hold"),
            (ConversationStatus.Pending or ConversationStatus.OnHold, true) => ("18", "Awaiting Info"),
            (ConversationStatus.Solved, _) => ("6", "Resolved"),
            (_, false) => ("7", "Closed"),
            _ => ("3", "Closed"),
        };
        var (priority, priorityLabel) = c.Priority switch
        {
            "urgent" => ("1", "1 - Critical"),
            "high" => ("2", "2 - High"),
            "low" => ("4", "4 - Low"),
            _ => ("3", "3 - Moderate"),
        };
        var contact = c.Channel switch
        {
            Channels.Email or Channels.Phone or Channels.Chat or Channels.WhatsApp or Channels.Sms or Channels.Social => c.Channel,
            Channels.Web => "self-service",
            Channels.Api => "integration",
            _ => "walk-in",
        };
        var resolved = c.Status is ConversationStatus.Solved or ConversationStatus.Closed ? c.ResolvedAt ?? c.ClosedAt : null;
        var closed = c.Status is ConversationStatus.Closed ? c.ClosedAt ?? c.ResolvedAt : null;
        var row = new Dictionary<string, Cell>
        {
            ["sys_id"] = new(SysId('t', n)),
            ["number"] = new(string.Create(CultureInfo.InvariantCulture, $"{(isCase ? "CS" : "INC")}{n:D7}")),
            ["short_description"] = new($"Simulated {c.Channel} request"),
            ["sys_created_on"] = Date(c.CreatedAt),
            ["opened_at"] = Date(c.CreatedAt),
            ["sys_updated_on"] = Date(c.UpdatedAt),
            ["state"] = new(state, label),
            ["hold_reason"] = c.Status == ConversationStatus.Pending && !isCase ? new("1", "Awaiting Caller") : new(""),
            ["priority"] = new(priority, priorityLabel),
            ["contact_type"] = new(contact, char.ToUpperInvariant(contact[0]) + contact[1..]),
            ["assignment_group"] = c.Team is { } team
                ? new(SysId('g', team switch { "billing" => 1, "tech" => 2, "sales" => 3, _ => 9 }), team switch { "billing" => "Billing", "tech" => "Technical Support", "sales" => "Sales", _ => team }, "sys_user_group")
                : new("", "", "sys_user_group"),
            ["assigned_to"] = c.AssigneeId is { } a ? new(SysId('u', FaceResponses.Number(a) ?? 0), $"Agent {FaceResponses.Number(a)}", "sys_user") : new("", "", "sys_user"),
            [isCase ? "contact" : "caller_id"] = new(SysId('c', FaceResponses.Number(c.RequesterId) ?? 0), $"Customer {FaceResponses.Number(c.RequesterId)}", isCase ? "customer_contact" : "sys_user"),
            ["resolved_at"] = Date(resolved),
            ["closed_at"] = Date(closed),
            ["reopen_count"] = new((c.Reopens ?? 0).ToString(CultureInfo.InvariantCulture)),
            ["calendar_stc"] = new(resolved is { } r ? ((long)(r - c.CreatedAt).TotalSeconds).ToString(CultureInfo.InvariantCulture) : ""),
        };
        return row;
    }

    /// <summary>The task's response and resolution SLAs.</summary>
    private IEnumerable<Dictionary<string, Cell>> Slas(Conversation c)
    {
        var n = FaceResponses.Number(c.ExternalId) ?? 0;
        var done = c.Status is ConversationStatus.Solved or ConversationStatus.Closed;
        var resolved = done ? c.ResolvedAt ?? c.ClosedAt : null;
        yield return Sla(c, SysId('r', n), "response", "Response within 1 hour", ResponseTarget, c.FirstHumanResponseAt, cancelled: c.FirstHumanResponseAt is null && done ? resolved : null);
        yield return Sla(c, SysId('x', n), "resolution", "Resolution within 24 hours", ResolutionTarget, resolved, cancelled: null);
    }

    private Dictionary<string, Cell> Sla(Conversation c, string id, string target, string name, TimeSpan goal, DateTimeOffset? end, DateTimeOffset? cancelled)
    {
        var planned = c.CreatedAt + goal;
        var (stage, label) = end is not null ? ("completed", "Completed") : cancelled is not null ? ("cancelled", "Cancelled") : ("in_progress", "In progress");
        var breached = end is { } e ? e > planned : cancelled is null && _helpdesk.Horizon > planned;
        var updated = end ?? cancelled ?? (breached ? planned : c.CreatedAt);
        return new Dictionary<string, Cell>
        {
            ["sys_id"] = new(id),
            ["task"] = new(SysId('t', FaceResponses.Number(c.ExternalId) ?? 0), FaceResponses.Number(c.ExternalId)?.ToString(CultureInfo.InvariantCulture) ?? "", "task"),
            ["sla"] = new(SysId('s', target.Length), name, "contract_sla"),
            ["sla.target"] = new(target, char.ToUpperInvariant(target[0]) + target[1..]),
            ["stage"] = new(stage, label),
            ["start_time"] = Date(c.CreatedAt),
            ["end_time"] = Date(end ?? cancelled),
            ["planned_end_time"] = Date(planned),
            ["original_breach_time"] = Date(planned),
            ["has_breached"] = new(breached ? "true" : "false"),
            ["sys_created_on"] = Date(c.CreatedAt),
            ["sys_updated_on"] = Date(updated),
        };
    }

    /// <summary>
    /// One row per answered CSAT survey of a task the instance holds (the "overall satisfaction" scale metric, 1 to 5),
    /// once with <c>source_table</c> incident and once sn_customerservice_case, as the traffic is under both tables.
    /// </summary>
    private List<Dictionary<string, Cell>> Answers()
    {
        var tasks = _helpdesk.Latest().Select(c => c.ExternalId).ToHashSet(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var rows = new List<Dictionary<string, Cell>>();
        foreach (var s in _helpdesk.Surveys().Where(s => s.Kind == SurveyKind.Csat && s.ConversationId is not null))
        {
            var k = seen[s.ConversationId!] = seen.GetValueOrDefault(s.ConversationId!) + 1;
            if (s.Score is not { } score || !tasks.Contains(s.ConversationId!))
            {
                continue;
            }

            var n = FaceResponses.Number(s.ConversationId) ?? 0;
            var value = score.ToString(CultureInfo.InvariantCulture);
            foreach (var (table, t) in new[] { (Incident, 0), (Case, 1) }) // the same survey about the task in either table
            {
                rows.Add(new Dictionary<string, Cell>
                {
                    ["sys_id"] = new(SysId('m', n, (k * 2) + t)),
                    ["instance"] = new(SysId('a', n, (k * 2) + t), $"AINST{n:D7}", "asmt_assessment_instance"),
                    ["metric"] = new(SysId('q', 1), "Overall, how satisfied were you?", "asmt_metric"),
                    ["actual_value"] = new(value),
                    ["string_value"] = new(value),
                    ["source_table"] = new(table),
                    ["source_id"] = new(SysId('t', n)),
                    ["sys_created_on"] = Date(s.RespondedAt),
                    ["sys_updated_on"] = Date(s.RespondedAt),
                });
            }
        }

        return rows;
    }

    /// <summary>The row as the API writes it: the selected fields (every plain field without <c>sysparm_fields</c>), in the display mode asked.</summary>
    private static JsonObject Project(Dictionary<string, Cell> row, HttpRequest request)
    {
        var mode = request.Query["sysparm_display_value"].ToString().ToLowerInvariant();
        var noLink = string.Equals(request.Query["sysparm_exclude_reference_link"], "true", StringComparison.OrdinalIgnoreCase);
        var fields = request.Query["sysparm_fields"].ToString() is { Length: > 0 } f
            ? f.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : row.Keys.Where(k => !k.Contains('.', StringComparison.Ordinal)).ToArray();
        var root = $"{request.Scheme}://{request.Host}{request.PathBase}/servicenow/api/now/table";
        var result = new JsonObject();
        foreach (var name in fields)
        {
            if (!row.TryGetValue(name, out var cell))
            {
                continue; // the Table API leaves out a field the table does not have
            }

            var link = cell.Ref is { } t && cell.Value.Length > 0 && !noLink ? $"{root}/{t}/{cell.Value}" : null;
            result[name] = mode switch
            {
                "all" => link is null
                    ? new JsonObject { ["display_value"] = cell.Display ?? cell.Value, ["value"] = cell.Value }
                    : new JsonObject { ["display_value"] = cell.Display ?? cell.Value, ["link"] = link, ["value"] = cell.Value },
                "true" => link is null ? cell.Display ?? cell.Value : new JsonObject { ["display_value"] = cell.Display ?? cell.Value, ["link"] = link },
                _ => link is null ? cell.Value : new JsonObject { ["link"] = link, ["value"] = cell.Value },
            };
        }

        return result;
    }

    /// <summary>
    /// An encoded query: terms joined by <c>^</c>, each <c>field</c> + operator + value, or <c>ORDERBY</c>/<c>ORDERBYDESC</c>
    /// + field; the filter, the ordering (sys_id breaks ties) and, when a term cannot be read, why.
    /// </summary>
    private static (Func<Dictionary<string, Cell>, bool> Filter, Func<IEnumerable<Dictionary<string, Cell>>, IEnumerable<Dictionary<string, Cell>>> Order, string? Problem) ParseQuery(string query)
    {
        var tests = new List<Func<Dictionary<string, Cell>, bool>>();
        var orders = new List<(string Field, bool Descending)>();
        foreach (var term in query.Split('^', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (term.StartsWith("ORDERBYDESC", StringComparison.Ordinal))
            {
                orders.Add((term["ORDERBYDESC".Length..], true));
                continue;
            }

            if (term.StartsWith("ORDERBY", StringComparison.Ordinal))
            {
                orders.Add((term["ORDERBY".Length..], false));
                continue;
            }

            var m = TermPattern().Match(term);
            if (!m.Success)
            {
                return (_ => false, r => r, $"cannot read the term '{term}'");
            }

            var (field, op, value) = (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
            if (IsDateField(field))
            {
                if (!DateTime.TryParseExact(value, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    return (_ => false, r => r, $"'{value}' is not a date-time of the form yyyy-MM-dd HH:mm:ss in '{term}'");
                }
            }

            var values = op is "IN" or "NOT IN" ? value.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) : null;
            tests.Add(row =>
            {
                var actual = row.TryGetValue(field, out var cell) ? cell.Value : "";
                return op switch
                {
                    "=" => actual == value,
                    "!=" => actual != value,
                    "IN" => values!.Contains(actual),
                    "NOT IN" => !values!.Contains(actual),
                    "STARTSWITH" => actual.StartsWith(value, StringComparison.Ordinal),
                    _ => actual.Length > 0 && Compare(actual, value) is var c && op switch { ">" => c > 0, ">=" => c >= 0, "<" => c < 0, _ => c <= 0 },
                };
            });
        }

        IEnumerable<Dictionary<string, Cell>> Order(IEnumerable<Dictionary<string, Cell>> rows)
        {
            IOrderedEnumerable<Dictionary<string, Cell>>? ordered = null;
            foreach (var (field, descending) in orders)
            {
                Func<Dictionary<string, Cell>, string> key = r => r.TryGetValue(field, out var cell) ? cell.Value : "";
                var comparer = Comparer<string>.Create(Compare);
                ordered = ordered is null
                    ? descending ? rows.OrderByDescending(key, comparer) : rows.OrderBy(key, comparer)
                    : descending ? ordered.ThenByDescending(key, comparer) : ordered.ThenBy(key, comparer);
            }

            return (ordered ?? rows.OrderBy(_ => 0)).ThenBy(r => r["sys_id"].Value, StringComparer.Ordinal);
        }

        return (r => tests.All(t => t(r)), Order, null);
    }

    /// <summary>Numbers compare as numbers, everything else (dates included, in their sortable form) as text.</summary>
    private static int Compare(string? a, string? b) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? x.CompareTo(y)
            : string.CompareOrdinal(a, b);

    private static bool IsDateField(string field) =>
        field.StartsWith("sys_", StringComparison.Ordinal) && field.EndsWith("_on", StringComparison.Ordinal) || field.EndsWith("_at", StringComparison.Ordinal) || field.EndsWith("_time", StringComparison.Ordinal);

    private static string Links(HttpRequest request, int offset, int limit, int total)
    {
        var url = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
        string At(int o) => $"<{url}?{string.Join('&', request.Query.Where(q => q.Key != "sysparm_offset").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"sysparm_offset={o}"))}>";
        var last = total == 0 ? 0 : (total - 1) / limit * limit;
        var links = new List<string> { $"{At(0)};rel=\"first\"" };
        if (offset > 0)
        {
            links.Add($"{At(Math.Max(0, offset - limit))};rel=\"prev\"");
        }

        if (offset + limit < total)
        {
            links.Add($"{At(offset + limit)};rel=\"next\"");
        }

        links.Add($"{At(last)};rel=\"last\"");
        return string.Join(',', links);
    }

    private static Cell Date(DateTimeOffset? at) =>
        new(at is { } a ? a.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "");

    private static JsonObject Failure(string message, string? detail) =>
        new() { ["error"] = new JsonObject { ["message"] = message, ["detail"] = detail }, ["status"] = "failure" };

    private static int? Int(HttpRequest request, string name) =>
        int.TryParse(request.Query[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    [GeneratedRegex(@"^([a-z][a-z0-9_.]*?)(NOT IN|IN|STARTSWITH|>=|<=|!=|=|>|<)(.*)$")]
    private static partial Regex TermPattern();

    /// <summary>One field of a row: its value, its display value, and for a reference the table it points into.</summary>
    private sealed record Cell(string Value, string? Display = null, string? Ref = null);
}
