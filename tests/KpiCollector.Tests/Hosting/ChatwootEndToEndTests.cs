using KpiCollector.Tests.Support;

namespace KpiCollector.Tests.Hosting;

/// <summary>The collector polling the simulator's Chatwoot face through the real connector: KPIs and the version label.</summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator's face: not the quick loop
public sealed class ChatwootEndToEndTests
{
    [Fact]
    public async Task TheChatwootKpis_AndTheInstallsVersion_ReachMetrics()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=1d", "Simulator:Chatwoot:Version=4.13.1");
        await using var collector = await CollectorHost.StartAsync(new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "cw",
            ["KpiCollector:Sources:0:Platform"] = "chatwoot",
            ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("chatwoot"),
            ["KpiCollector:Sources:0:ApiToken"] = "simulator-chatwoot-token",
            ["KpiCollector:Sources:0:Chatwoot:AccountId"] = "1",
            ["KpiCollector:Sources:0:Backfill"] = "1d",
        });
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(120));

        var text = await collector.GetAsync("/metrics");
        var m = MetricsText.Parse(text);
        (string, string)[] cw = [("source", "cw"), ("platform", "chatwoot"), ("channel", "whatsapp"), ("window", "24h")];
        Assert.Equal(1, m.Value("kpicollector_source_up", ("source", "cw")));
        Assert.True(m.Value("helpdesk_tickets_created", cw) > 10);
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. cw, ("stat", "p50"), ("responder", "bot")]) > 0); // bot replies come from the messages
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. cw, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.InRange(m.Value("helpdesk_csat_ratio", [.. cw])!.Value, 0.05, 1.0);

        // Chatwoot reports answered CSAT surveys only (no offers): a channel or hour without an answer still has a count,
        // 0; the kinds it has no survey for (NPS, CES) are absent. It tells bot replies apart, so bot counts are there.
        var series = m.Find("helpdesk_tickets_created", ("source", "cw")).ToList();
        Assert.Contains(series, s => s.Labels["window"] == "1h");
        foreach (var s in series)
        {
            (string, string)[] labels = [("source", "cw"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.True(m.Value("helpdesk_survey_responses", [.. labels, ("kind", "csat")]) >= 0, $"CSAT responses {s.Labels["channel"]} {s.Labels["window"]}");
            Assert.Null(m.Value("helpdesk_survey_responses", [.. labels, ("kind", "nps")]));
            Assert.True(m.Value("helpdesk_first_responses", [.. labels, ("responder", "bot")]) >= 0, $"bot first responses {s.Labels["channel"]} {s.Labels["window"]}");
        }

        var info = Assert.Single(m.Find("kpicollector_source_info", ("source", "cw")));
        Assert.Equal(("chatwoot", "4.13.1", 1.0), (info.Labels["platform"], info.Labels["version"], info.Value));
        var (exitCode, output) = Promtool.CheckMetrics(text);
        Assert.True(exitCode == 0, output);
    }
}
