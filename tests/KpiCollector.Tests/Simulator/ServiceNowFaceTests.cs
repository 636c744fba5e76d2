using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KpiCollector.Tests.Simulator;

/// <summary>
/// The ServiceNow face's Table API as ServiceNow documents it: the <c>{ result }</c> carrier, an encoded
/// <c>sysparm_query</c> on <c>sys_updated_on</c> with <c>ORDERBY</c>, <c>sysparm_fields</c>, display values, offset
/// paging with <c>Link</c> and <c>X-Total-Count</c>, <c>task_sla</c> filtered with <c>taskIN…</c> and the dot-walked
/// <c>sla.target</c>, the survey answers, a term it cannot read refused with 400, and a wrong password with 401.
/// </summary>
public sealed class ServiceNowFaceTests : IAsyncLifetime
{
    private static readonly string Basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator:simulator-servicenow-password"));
    private readonly FakeTimeProvider _clock = new(Records.T0);
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(_clock, "Simulator:Backfill=6h");

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task TheTableApi_FiltersOrdersProjectsAndPages_AsDocumented()
    {
        var since = Records.T0.AddHours(-1).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var query = $"sysparm_query={Uri.EscapeDataString($"sys_updated_on>={since}^ORDERBYsys_updated_on")}&sysparm_fields=sys_id,number,sys_updated_on,state,assignment_group&sysparm_limit=5";

        var (status, page, headers) = await GetAsync($"servicenow/api/now/table/incident?{query}", Basic);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = page!["result"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(5, rows.Count);
        var updated = rows.Select(r => r["sys_updated_on"]!.GetValue<string>()).ToList();
        Assert.Equal(updated.Order(StringComparer.Ordinal), updated);
        foreach (var row in rows)
        {
            Assert.Equal(["sys_id", "number", "sys_updated_on", "state", "assignment_group"], row.Select(p => p.Key));
            Assert.Equal(32, row["sys_id"]!.GetValue<string>().Length);
            Assert.StartsWith("INC", row["number"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(string.CompareOrdinal(row["sys_updated_on"]!.GetValue<string>(), since) >= 0);
            Assert.Contains(row["state"]!.GetValue<string>(), new[] { "1", "2", "3", "6", "7" });
            Assert.True(row["assignment_group"] is JsonValue or JsonObject { Count: 2 }); // "" when unassigned, else { link, value }
        }

        var total = int.Parse(headers["X-Total-Count"], CultureInfo.InvariantCulture);
        Assert.True(total > 5, $"{total} incidents updated in the last hour");
        var next = KpiCollector.Sources.Rest.RestSource.NextLink(headers["Link"]);
        Assert.Contains("sysparm_offset=5", next, StringComparison.Ordinal);
        var (_, second, _) = await GetAsync(new Uri(next!).PathAndQuery.TrimStart('/'), Basic);
        var secondIds = second!["result"]!.AsArray().Select(r => r!["sys_id"]!.GetValue<string>()).ToList();
        Assert.Empty(secondIds.Intersect(rows.Select(r => r["sys_id"]!.GetValue<string>())));

        // The same traffic as CSM cases, with display values: every field { display_value, value }.
        var (_, cases, _) = await GetAsync("servicenow/api/now/table/sn_customerservice_case?sysparm_display_value=all&sysparm_exclude_reference_link=true&sysparm_limit=50", Basic);
        var first = cases!["result"]!.AsArray()[0]!.AsObject();
        Assert.StartsWith("CS", first["number"]!["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(first["state"]!["display_value"]!.GetValue<string>(), new[] { "New", "Open", "Awaiting Info", "Resolved", "Closed" });
        Assert.Contains(cases["result"]!.AsArray(), r => r!["assignment_group"]!["display_value"]!.GetValue<string>() == "Billing");
        Assert.DoesNotContain(cases["result"]!.AsArray(), r => r!["assignment_group"]!.AsObject().ContainsKey("link"));
    }

    [Fact]
    public async Task TaskSla_IsFilteredByTaskAndTarget_AndTheSurveyAnswersAreThere()
    {
        var (_, incidents, _) = await GetAsync("servicenow/api/now/table/incident?sysparm_query=ORDERBYsys_created_on&sysparm_fields=sys_id,state&sysparm_limit=40", Basic);
        var ids = incidents!["result"]!.AsArray().Select(r => r!["sys_id"]!.GetValue<string>()).ToList();

        var sla = $"sysparm_query={Uri.EscapeDataString($"taskIN{string.Join(',', ids)}^sla.target=response")}";
        var (status, slas, _) = await GetAsync($"servicenow/api/now/table/task_sla?{sla}", Basic);

        Assert.Equal(HttpStatusCode.OK, status);
        var rows = slas!["result"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(ids.Order(), rows.Select(r => r["task"]!["value"]!.GetValue<string>()).Order()); // one response SLA per task
        Assert.All(rows, r => Assert.Contains(r["stage"]!.GetValue<string>(), new[] { "completed", "cancelled", "in_progress" }));
        Assert.Contains(rows, r => r["stage"]!.GetValue<string>() == "completed" && r["end_time"]!.GetValue<string>().Length == 19);
        Assert.False(rows[0].ContainsKey("sla.target")); // dot-walked fields only when asked for

        var (_, answers, _) = await GetAsync("servicenow/api/now/table/asmt_metric_result?sysparm_query=ORDERBYsys_updated_on", Basic);
        var answer = answers!["result"]!.AsArray()[0]!.AsObject();
        Assert.InRange(double.Parse(answer["actual_value"]!.GetValue<string>(), CultureInfo.InvariantCulture), 1, 5);
        Assert.Equal(32, answer["source_id"]!.GetValue<string>().Length);

        var (bad, error, _) = await GetAsync("servicenow/api/now/table/incident?sysparm_query=" + Uri.EscapeDataString("sys_updated_on>=2024-01-01T00:00:00Z"), Basic);
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("failure", error!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync("servicenow/api/now/table/sys_user", Basic)).Status);
        var wrong = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("simulator:wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("servicenow/api/now/table/incident", wrong)).Status);
        var (one, record, _) = await GetAsync($"servicenow/api/now/table/incident/{ids[0]}", Basic);
        Assert.Equal((HttpStatusCode.OK, ids[0]), (one, record!["result"]!["sys_id"]!.GetValue<string>()));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, Dictionary<string, string> Headers)> GetAsync(string path, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await _simulator.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), headers);
    }
}
