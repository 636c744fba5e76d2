using KpiCollector.StackTests.Support;

namespace KpiCollector.StackTests.EndToEnd;

/// <summary>
/// The collector, Debian's Prometheus running the shipped rules against it, and Debian's Alertmanager with the
/// shipped routing, as real processes on loopback: when the source fails, the source-down alert reaches the ticket
/// queue and the SLA alerts of that source are inhibited (those of another source are not).
/// </summary>
public sealed class SourceOutageEndToEndTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task WhenTheSourceFails_SourceDownReachesTheTicketQueue_AndThatSourcesSlaAlertsAreInhibited()
    {
        var started = DateTime.UtcNow;
        using var stack = await MonitoringStack.StartAsync(DemoSource.Args("1h",
            "--KpiCollector:Simulator:Outages:0:StartAfter=30s", // every poll fails with http_5xx from then on
            "--KpiCollector:Simulator:Outages:0:Duration=10m"));
        TimeSpan Left() => Budget - (DateTime.UtcNow - started);

        // The source works before the outage.
        var before = await stack.Collector.Http.GetStringAsync("/metrics");
        Assert.Contains("kpicollector_source_up{source=\"demo\",platform=\"simulator\"} 1", before, StringComparison.Ordinal);

        // Its polls fail: after the rule's `for`, KpiCollectorSourceDown reaches the ticket queue, and only it.
        await Wait.UntilAsync(
            () => Task.FromResult(stack.Hooks.AlertsAt("ticket-queue").Any(a => IsSourceDown(a) && a.Status == "firing")),
            Left(), "KpiCollectorSourceDown{source=\"demo\"} at the ticket-queue receiver", stack.Diagnostics);
        var sourceDown = stack.Hooks.AlertsAt("ticket-queue").First(IsSourceDown);
        Assert.Equal("warning", sourceDown.Label("severity"));
        Assert.Equal("kpicollector", sourceDown.Label("job")); // evaluated by Prometheus on the scraped series
        Assert.EndsWith("#kpicollectorsourcedown", sourceDown.Annotations["runbook_url"], StringComparison.Ordinal);
        Assert.Contains("source demo", sourceDown.Annotations["description"], StringComparison.Ordinal);
        Assert.DoesNotContain(stack.Hooks.AlertsAt("oncall"), IsSourceDown);
        Assert.NotEmpty(await stack.Prometheus.QueryAsync("kpicollector_source_errors_total{source=\"demo\",reason=\"http_5xx\"} > 0"));

        // SLA alerts for the failing source, and a control for another source, arrive the way Prometheus sends them.
        // Each group of the failing source's SLA alerts flushes every second here; its third flush means the
        // notifications of the earlier ones were decided (inhibited) whatever the order of its routes' groups.
        var breachingFlushed = stack.Alertmanager.WatchForFlushes("HelpdeskSlaBreachingNow", DemoSource.Name, 3);
        var burnFlushed = stack.Alertmanager.WatchForFlushes("HelpdeskSlaErrorBudgetBurn", DemoSource.Name, 3);
        await stack.Alertmanager.PostAsync(
            SlaAlert("HelpdeskSlaBreachingNow", "critical", DemoSource.Name),
            SlaAlert("HelpdeskSlaErrorBudgetBurn", "warning", DemoSource.Name),
            SlaAlert("HelpdeskSlaBreachingNow", "critical", "other"));
        await Wait.UntilAsync(
            () => Task.FromResult(stack.Hooks.AlertsAt("oncall").Any(a => IsProbe(a) && a.Label("source") == "other")),
            Left(), "the other source's SLA alert at the oncall receiver", stack.Diagnostics);
        await breachingFlushed(Left());
        await burnFlushed(Left());

        Assert.DoesNotContain(stack.Hooks.Received.SelectMany(n => n.Alerts), a => IsProbe(a) && a.Label("source") == DemoSource.Name);
        var slaOfDemo = (await stack.Alertmanager.AlertsAsync())
            .Where(a => a.Label("alertname").StartsWith("HelpdeskSla", StringComparison.Ordinal) && a.Label("source") == DemoSource.Name)
            .ToList();
        Assert.True(slaOfDemo.Count(a => a.Label("probe") == "e2e") == 2, string.Join("\n", slaOfDemo));
        Assert.All(slaOfDemo, a =>
        {
            Assert.Equal("suppressed", a.State);
            Assert.NotEmpty(a.InhibitedBy);
        });

        // The watchdog went through the whole pipeline to the heartbeat receiver.
        Assert.Contains(stack.Hooks.AlertsAt("heartbeat"), a => a.Label("alertname") == "KpiCollectorWatchdog");
    }

    private static bool IsSourceDown(NotifiedAlert a) => a.Label("alertname") == "KpiCollectorSourceDown" && a.Label("source") == DemoSource.Name;

    private static bool IsProbe(NotifiedAlert a) => a.Label("probe") == "e2e";

    private static Dictionary<string, string> SlaAlert(string name, string severity, string source) => new()
    {
        ["alertname"] = name,
        ["severity"] = severity,
        ["source"] = source,
        ["platform"] = "simulator",
        ["channel"] = "all",
        ["sla"] = "first_response",
        ["probe"] = "e2e",
    };
}
