using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.SuperOffice;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's SuperOffice face through <c>Platform: rest</c> with the built-in
/// <c>superoffice</c> profile, both in this process: the KPIs SuperOffice supplies reach /metrics with the simulation's
/// values, the ones it cannot supply are absent, and each fault kind fails a poll with its reason before the next
/// polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator: not the quick loop
public sealed class SuperOfficeEndToEndTests
{
    private const string Password = "e2e-superoffice-Pa55-9f2c";

    [Fact]
    public async Task TheSuperOfficeKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:SuperOffice:Password={Password}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<SuperOfficeFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedEmail = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                (expected, expectedEmail) = (latest.Count, latest.Count(c => c.Channel == Channels.Email));
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "so"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "so"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "so"), ("channel", "email"), ("window", "24h")) == expectedEmail;
            },
            TimeSpan.FromSeconds(90),
            "the source up, and the requests created in 24 h, all and by e-mail, equal to the simulated installation's");

        Assert.True(expected > 100, $"{expected} simulated requests");
        (string, string)[] all = [("source", "so"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "so"), ("channel", "all"), ("status", "open")));

        // SuperOffice has no bot replies, no CSAT survey in Service and no message feed: absent, never 0.
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "so")))
        {
            (string, string)[] series = [("source", "so"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
        }

        Assert.Empty(m.Find("helpdesk_csat_ratio", ("source", "so")));
        Assert.Empty(m.Find("helpdesk_messages", ("source", "so")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:SuperOffice:Password={Password}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "so")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "superoffice", "so");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "so"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "so",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("superoffice"),
        ["KpiCollector:Sources:0:Email"] = "simulator",
        ["KpiCollector:Sources:0:ApiToken"] = Password,
        ["KpiCollector:Sources:0:Rest:Profile"] = "superoffice",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
