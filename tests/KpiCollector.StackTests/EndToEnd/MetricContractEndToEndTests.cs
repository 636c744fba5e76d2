using System.Net;
using System.Text.Json;
using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests.EndToEnd;

/// <summary>
/// One stack for the class: the collector with two sources, a simulated one (8-day backfill, so every KPI window has
/// data and the volume baseline has a week of history, and a 20x arrival surge from the start with no extra agents)
/// and a WhatsApp Business Account reached through the real WhatsApp connector: analytics from the simulator process's
/// WhatsApp face, signed webhooks posted by it to the collector. Prometheus with the shipped rules, Alertmanager with
/// the shipped routing. Test-only SLA policy: a first response by a human within 30 s (the shipped default is
/// 10 min), so that the surge breaches it within minutes instead of hours.
/// </summary>
public sealed class SurgeStackFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    internal MonitoringStack Stack { get; private set; } = null!;

    internal SimulatorProcess Simulator { get; private set; } = null!;

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public async Task InitializeAsync()
    {
        Simulator = SimulatorProcess.Start(_dir.Directory("simulator"), WhatsAppSource.SimulatorArgs);
        await Simulator.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Stack = await MonitoringStack.StartAsync(DemoSource.Args("8d", [.. Scenario, .. WhatsAppSource.Args(1, Simulator)]));
        await WhatsAppSource.RegisterWebhookAsync(Simulator, Stack.Collector.Port);
    }

    private static readonly string[] Scenario =
    [
        "--KpiCollector:Simulator:Surges:0:StartAfter=0s",
        "--KpiCollector:Simulator:Surges:0:Duration=1h",
        "--KpiCollector:Simulator:Surges:0:Multiplier=20",
        "--KpiCollector:Sla:Policies:0:Name=first_response",
        "--KpiCollector:Sla:Policies:0:Metric=first_response",
        "--KpiCollector:Sla:Policies:0:Threshold=30s",
        "--KpiCollector:Sla:Policies:0:Objective=0.9",
        "--KpiCollector:Sla:Policies:0:HumanOnly=true",
        "--KpiCollector:Sla:Policies:1:Name=resolution",
        "--KpiCollector:Sla:Policies:1:Metric=resolution",
        "--KpiCollector:Sla:Policies:1:Threshold=24h",
        "--KpiCollector:Sla:Policies:1:Objective=0.9",
    ];

    public Task DisposeAsync()
    {
        Stack?.Dispose();
        Simulator?.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The dashboards and the SLA alerts against the full metric contract of docs/metrics.md ("KPI gauges", "SLA", "Collector health"): every panel's
/// query returns data from a real Prometheus scraping a real collector, and a surge that breaches the first-response
/// SLA pages the on-call receiver. Both are bounded by the time since the stack started.
/// </summary>
public sealed partial class MetricContractEndToEndTests(SurgeStackFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SurgeStackFixture>
{
    private static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>
    {
        ["source"] = $"{DemoSource.Name}|{WhatsAppSource.Name}", // both, as a multi-value variable expands
        ["channel"] = "all",
        ["sla"] = ".+",
        ["__rate_interval"] = "30s", // at 1s scrapes, enough samples for every rate() once the stack has run a little
        ["__interval"] = "5s",
        ["__range"] = "1h",
        ["__range_s"] = "3600",
    };

    private MonitoringStack Stack => fixture.Stack;

    private TimeSpan Since(TimeSpan budget) => budget - (DateTime.UtcNow - fixture.StartedAt);

    /// <summary>(a) Every target of every panel of every shipped dashboard returns at least one series with a number.</summary>
    [Fact]
    public async Task EveryDashboardPanelQuery_ReturnsData()
    {
        var targets = Dashboards.AllTargets.ToList();
        Assert.NotEmpty(targets);
        var withData = new HashSet<DashboardTarget>();
        var deadline = DateTime.UtcNow + Since(TimeSpan.FromSeconds(120));
        do
        {
            foreach (var target in targets.Where(t => !withData.Contains(t)))
            {
                var samples = await Stack.Prometheus.QueryAsync(Dashboards.Expand(target.Expr, Variables));
                if (samples.Any(s => !double.IsNaN(s.Value)))
                {
                    withData.Add(target);
                }
            }

            if (withData.Count == targets.Count)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        while (DateTime.UtcNow < deadline);

        var missing = targets.Where(t => !withData.Contains(t)).Select(t => $"{t}: {Dashboards.Expand(t.Expr, Variables)}").ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {targets.Count} panel queries returned no data:\n{string.Join("\n", missing)}\n{Stack.Collector.Output}");

        // The variables' own queries find the values the panels were queried with.
        Assert.Contains(DemoSource.Name, await LabelValuesAsync("source", "kpicollector_source_up"));
        Assert.Contains("all", await LabelValuesAsync("channel", $"helpdesk_tickets_created{{source=~\"{DemoSource.Name}\"}}"));
        Assert.Contains("first_response", await LabelValuesAsync("sla", $"helpdesk_sla_objective_ratio{{source=~\"{DemoSource.Name}\"}}"));
    }

    /// <summary>(b) The surge breaches the first-response SLA; the breach alert reaches the on-call receiver.</summary>
    [Fact]
    public async Task ASurge_BreachesTheFirstResponseSla_AndTheBreachAlertPagesTheOnCall()
    {
        await Wait.UntilAsync(
            () => Task.FromResult(Stack.Hooks.AlertsAt("oncall").Any(IsFirstResponseBreach)),
            Since(TimeSpan.FromMinutes(4)), "HelpdeskSlaBreachingNow{source=\"demo\",sla=\"first_response\"} at the oncall receiver",
            Stack.Diagnostics);

        var page = Stack.Hooks.AlertsAt("oncall").First(IsFirstResponseBreach);
        output.WriteLine("Alert payload received by the oncall receiver:");
        output.WriteLine(Stack.Hooks.Received.First(n => n.Receiver == "oncall" && n.Alerts.Any(IsFirstResponseBreach)).Raw);
        Assert.Equal("critical", page.Label("severity"));
        Assert.Equal("kpicollector", page.Label("job")); // from the shipped rule, evaluated on the scraped series
        Assert.EndsWith("#helpdeskslabreachingnow", page.Annotations["runbook_url"], StringComparison.Ordinal);
        Assert.Contains("source demo", page.Annotations["description"], StringComparison.Ordinal);
        Assert.DoesNotContain(Stack.Hooks.AlertsAt("ticket-queue"), a => a.Label("severity") == "critical"); // business hours: paged, not queued

        // What the alert says is what the collector measured: customers past the deadline, compliance under the objective.
        Assert.NotEmpty(await Stack.Prometheus.QueryAsync("helpdesk_sla_breaching_tickets{source=\"demo\",sla=\"first_response\"} > 0"));
        Assert.NotEmpty(await Stack.Prometheus.QueryAsync(
            "helpdesk_sla_compliance_ratio{source=\"demo\",sla=\"first_response\",window=\"5m\"} < ignoring(window) helpdesk_sla_objective_ratio"));
    }

    private static bool IsFirstResponseBreach(NotifiedAlert a) =>
        a.Status == "firing" && a.Label("alertname") == "HelpdeskSlaBreachingNow"
        && a.Label("source") == DemoSource.Name && a.Label("sla") == "first_response";

    private async Task<IReadOnlyList<string>> LabelValuesAsync(string label, string match)
    {
        var json = await Stack.Prometheus.Http.GetStringAsync($"/api/v1/label/{label}/values?match[]={WebUtility.UrlEncode(match)}");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("data").EnumerateArray().Select(v => v.GetString()!).ToList();
    }
}
