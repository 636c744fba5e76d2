using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using KpiCollector.Core.Records;
using KpiCollector.Sources;

namespace KpiCollector.Endpoints;

/// <summary>
/// <c>GET /drilldown</c> (a plain server-rendered HTML page) and <c>GET /api/drilldown</c> (JSON): the conversations
/// behind the "now" gauges, with ids, times, SLA states and links, never names or message text. Read-only: GET only,
/// and the page's form is a GET form. See docs/drilldown.md.
/// </summary>
public static class DrilldownEndpoints
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static void MapDrilldownEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/drilldown", (HttpRequest request, Drilldown drilldown, SourceRegistry sources) =>
        {
            try
            {
                var result = drilldown.Run(DrilldownQuery.Parse(request.Query, sources, drilldown.Policies));
                return Results.Json(new
                {
                    generatedAt = result.GeneratedAt,
                    filters = Filters(result.Query),
                    count = result.Conversations.Count,
                    truncated = result.Truncated,
                    conversations = result.Conversations,
                }, Json);
            }
            catch (QueryParameterException ex)
            {
                return Results.Json(new { error = ex.Message, parameter = ex.Parameter }, Json, statusCode: StatusCodes.Status400BadRequest);
            }
        });
        app.MapGet("/drilldown", (HttpRequest request, Drilldown drilldown, SourceRegistry sources) =>
        {
            try
            {
                var result = drilldown.Run(DrilldownQuery.Parse(request.Query, sources, drilldown.Policies));
                return Results.Content(Render(result, sources, drilldown.Policies.Select(p => p.Name).ToList()), "text/html; charset=utf-8");
            }
            catch (QueryParameterException ex)
            {
                return Results.Content(
                    $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Drill-down: bad request</title></head><body><h1>Bad request</h1><p id=\"error\">{Enc(ex.Message)}</p><p><a href=\"drilldown\">All conversations needing attention</a></p></body></html>\n",
                    "text/html; charset=utf-8", Encoding.UTF8, StatusCodes.Status400BadRequest);
            }
        });
    }

    private static Dictionary<string, string?> Filters(DrilldownQuery q) => new()
    {
        ["source"] = q.Source,
        ["channel"] = q.Channel,
        ["team"] = q.Team,
        ["sla"] = q.Sla,
        ["state"] = DrilldownQuery.StateName(q.State),
        ["id"] = q.Id,
        ["limit"] = q.Limit.ToString(CultureInfo.InvariantCulture),
    };

    internal static string Render(DrilldownResult result, SourceRegistry sources, IReadOnlyList<string> policies)
    {
        var q = result.Query;
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>KpiCollector drill-down</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}form label{margin-right:1rem}.breaching{color:#b00;font-weight:bold}.at_risk{color:#a60}.breached{color:#b00}.met{color:#080}.running{color:#555}.muted{color:#777}</style>
            </head><body>
            <h1>Drill-down</h1>
            <p>The conversations behind the "now" gauges: ids, times, SLA states and a link to each in its platform. Read-only; no names, no message text. <a href="./">Back to the collector</a> · <a href="api/drilldown
            """);
        html.Append(Enc(QueryString(q))).Append("\">this list as JSON</a></p>\n");

        html.Append("<form method=\"get\" action=\"drilldown\">");
        Select(html, "state", DrilldownQuery.StateName(q.State), ["any", "breaching", "at_risk", "unanswered", "oldest"]);
        Select(html, "source", q.Source ?? "", ["", .. sources.Statuses.Select(s => s.Name).Order(StringComparer.Ordinal)]);
        Select(html, "channel", q.Channel ?? "", ["", .. Channels.Known]);
        Select(html, "sla", q.Sla ?? "", ["", .. policies]);
        html.Append(CultureInfo.InvariantCulture, $"<label>team <input name=\"team\" value=\"{Enc(q.Team ?? "")}\" size=\"10\"></label>");
        html.Append(CultureInfo.InvariantCulture, $"<label>limit <input name=\"limit\" value=\"{q.Limit}\" size=\"5\"></label>");
        html.Append("<button type=\"submit\">Show</button></form>\n");

        var shown = result.Conversations.Count;
        html.Append(CultureInfo.InvariantCulture, $"<p id=\"summary\">{shown} conversation{(shown == 1 ? "" : "s")}, state {Enc(DrilldownQuery.StateName(q.State))}{(result.Truncated ? $" (first {q.Limit} shown, oldest first; raise the limit for more)" : ", oldest first")}, as of {Time(result.GeneratedAt)}.</p>\n");
        html.Append("<table id=\"conversations\"><tr><th>source</th><th>id</th><th>channel</th><th>team</th><th>priority</th><th>status</th><th>created</th><th>first response / waiting since</th><th>SLA (policy: state, deadline)</th><th>listed as</th></tr>\n");
        foreach (var r in result.Conversations)
        {
            var id = r.Link is { } link ? $"<a href=\"{Enc(link)}\" rel=\"noreferrer\" target=\"_blank\">{Enc(r.Id)}</a>" : Enc(r.Id);
            var reply = r.FirstResponseAt is { } first ? Time(first)
                : r.WaitingSince is { } since ? $"waiting since {Time(since)} ({Age(result.GeneratedAt - since)})"
                : "<span class=\"muted\">—</span>";
            var sla = string.Join("<br>", r.Sla.Select(s => s.Deadline is { } deadline
                ? $"{Enc(s.Policy)}: <span class=\"{Enc(s.State)}\">{Enc(s.State)}</span>, deadline {Time(deadline)}"
                : $"{Enc(s.Policy)}: <span class=\"{Enc(s.State)}\">{Enc(s.State)}</span> at {Time(s.DecidedAt!.Value)}"));
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-source=\"{Enc(r.Source)}\" data-id=\"{Enc(r.Id)}\"><td>{Enc(r.Source)} <span class=\"muted\">({Enc(r.Platform)})</span></td><td class=\"id\">{id}</td><td>{Enc(r.Channel)}</td><td>{Enc(r.Team ?? "")}</td><td>{Enc(r.Priority ?? "")}</td><td>{Enc(r.Status ?? "")}</td><td>{(r.CreatedAt is { } created ? Time(created) : "")}</td><td>{reply}</td><td>{sla}</td><td>{Enc(string.Join(", ", r.States))}</td></tr>\n");
        }

        html.Append("</table></body></html>\n");
        return html.ToString();
    }

    private static void Select(StringBuilder html, string name, string selected, IEnumerable<string> options)
    {
        html.Append(CultureInfo.InvariantCulture, $"<label>{name} <select name=\"{name}\">");
        foreach (var option in options)
        {
            html.Append(CultureInfo.InvariantCulture, $"<option value=\"{Enc(option)}\"{(option == selected ? " selected" : "")}>{(option.Length == 0 ? "all" : Enc(option))}</option>");
        }

        html.Append("</select></label>");
    }

    private static string QueryString(DrilldownQuery q)
    {
        var parts = Filters(q).Where(kv => kv.Value is not null && !(kv.Key == "state" && kv.Value == "any") && !(kv.Key == "limit" && q.Limit == DrilldownQuery.DefaultLimit))
            .Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    private static string Time(DateTimeOffset t) => Enc(t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    private static string Age(TimeSpan age) => age.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours} h {age.Minutes} min")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)age.TotalMinutes)} min {Math.Max(0, age.Seconds)} s");

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
