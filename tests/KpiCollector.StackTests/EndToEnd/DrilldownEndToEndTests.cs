using System.Globalization;
using System.Net;
using System.Text.Json;
using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests.EndToEnd;

/// <summary>
/// Numbers checked against the conversations behind them, on the same stack: the first-response histogram's
/// exemplars stored by the real Prometheus name conversations the collector's drill-down and export know, and every
/// drill-down link the dashboards build is answered by the collector.
/// </summary>
public sealed partial class MetricContractEndToEndTests
{
    /// <summary>(c) Prometheus (exemplar storage on) keeps the conversation ids of the histogram; each is a real conversation.</summary>
    [Fact]
    public async Task FirstResponseExemplars_InPrometheus_NameConversationsTheDrilldownAndTheExportKnow()
    {
        const string selector = "helpdesk_first_response_duration_seconds_bucket{source=\"demo\"}";
        IReadOnlyList<PromSample> exemplars = [];
        await Wait.UntilAsync(async () =>
        {
            exemplars = await Stack.Prometheus.ExemplarsAsync(selector, TimeSpan.FromMinutes(30));
            return exemplars.Any(e => e.Label("conversation_id").Length > 0);
        }, Since(TimeSpan.FromMinutes(6)), $"an exemplar with a conversation_id in /api/v1/query_exemplars?query={selector}", Stack.Diagnostics);

        var exemplar = exemplars.First(e => e.Label("conversation_id").Length > 0);
        var id = exemplar.Label("conversation_id");
        output.WriteLine($"query_exemplars {selector}: {exemplars.Count} exemplars, e.g. {exemplar}");
        Assert.Equal(["conversation_id"], exemplar.Labels.Keys); // the id is an exemplar label, never a series label
        Assert.Empty(await Stack.Prometheus.QueryAsync("{__name__=~\"helpdesk_.+\", conversation_id!=\"\"}"));

        // The drill-down finds the conversation by the exemplar's id; its first response took the exemplar's value.
        using var drill = JsonDocument.Parse(await Stack.Collector.Http.GetStringAsync($"/api/drilldown?source=demo&id={Uri.EscapeDataString(id)}"));
        var row = Assert.Single(drill.RootElement.GetProperty("conversations").EnumerateArray());
        Assert.Equal(id, row.GetProperty("id").GetString());
        var created = row.GetProperty("createdAt").GetDateTimeOffset();
        var first = row.GetProperty("firstResponseAt").GetDateTimeOffset();
        Assert.Equal((first - created).TotalSeconds, exemplar.Value, 3);

        // So does the export, over a one-second range around its creation.
        var from = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var to = created.AddMilliseconds(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var csv = await Stack.Collector.Http.GetStringAsync($"/export/conversations.csv?source=demo&from={from}&to={to}");
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var exported = lines.Skip(1).Select(l => l.Split(',')).Single(f => f[Array.IndexOf(header, "id")] == id);
        Assert.Equal(exemplar.Value, double.Parse(exported[Array.IndexOf(header, "first_response_seconds")], CultureInfo.InvariantCulture), 3);
    }

    /// <summary>(d) Every drill-down link of the dashboards, with a clicked series' labels, is answered; "breaching now" lists the breaches.</summary>
    [Fact]
    public async Task TheDashboardsDrilldownLinks_AreAnsweredByTheCollector_AndBreachingNowListsTheBreaches()
    {
        var links = Dashboards.All.SelectMany(d => d.DrilldownLinks.Select(l => (Where: $"{d.Uid} / {l.Panel.GetProperty("title").GetString()}", l.Url))).ToList();
        Assert.Equal(5, links.Count);
        var clicked = new Dictionary<string, string>
        {
            ["collector_url"] = $"http://127.0.0.1:{Stack.Collector.Port}",
            ["channel"] = "all",
        };
        string Expand(string url) => Dashboards.Expand(url, clicked)
            .Replace("${__field.labels.source}", DemoSource.Name, StringComparison.Ordinal)
            .Replace("${__field.labels.sla}", "first_response", StringComparison.Ordinal)
            .Replace("${__field.labels.channel}", "all", StringComparison.Ordinal);

        foreach (var (where, url) in links)
        {
            var page = await Stack.Collector.Http.GetAsync(new Uri(Expand(url)));
            Assert.True(page.StatusCode == HttpStatusCode.OK, $"{where}: {Expand(url)} answered {(int)page.StatusCode}: {await page.Content.ReadAsStringAsync()}");
            Assert.Contains("<table id=\"conversations\">", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The surge breaches the 30 s first-response policy within minutes: the Ops wall's link then lists those conversations.
        var breaching = Expand(links.First(l => l.Where == "kpicollector-ops-wall / Breaching now").Url).Replace("/drilldown?", "/api/drilldown?", StringComparison.Ordinal);
        JsonElement rows = default;
        await Wait.UntilAsync(async () =>
        {
            using var doc = JsonDocument.Parse(await Stack.Collector.Http.GetStringAsync(new Uri(breaching)));
            rows = doc.RootElement.GetProperty("conversations").Clone();
            return rows.GetArrayLength() > 0;
        }, Since(TimeSpan.FromMinutes(7)), $"{breaching} to list a conversation", Stack.Diagnostics);

        Assert.All(rows.EnumerateArray(), r =>
        {
            Assert.Equal(DemoSource.Name, r.GetProperty("source").GetString());
            Assert.Contains("breaching", r.GetProperty("states").EnumerateArray().Select(s => s.GetString()));
            Assert.Contains(r.GetProperty("sla").EnumerateArray(), s => s.GetProperty("policy").GetString() == "first_response" && s.GetProperty("state").GetString() == "breaching");
        });
        Assert.NotEmpty(await Stack.Prometheus.QueryAsync("helpdesk_sla_breaching_tickets{source=\"demo\",sla=\"first_response\",channel=\"all\"} > 0"));
    }
}
