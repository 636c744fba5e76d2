using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.HelpDesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's HelpDesk.com face through <c>Platform: rest</c> with the built-in
/// <c>helpdesk</c> profile (newest-first walks), both in this process: the KPIs HelpDesk supplies reach /metrics with
/// the simulation's values, the ones it cannot supply are absent, and each fault kind fails a poll with its reason
/// before the next polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HelpDeskEndToEndTests
{
    private const string Token = "e2e-helpdesk-Pat-41c7";

    [Fact]
    public async Task TheHelpDeskKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:HelpDesk:Token={Token}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<HelpDeskFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedEmail = 0, expectedPending = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                (expected, expectedEmail) = (latest.Count, latest.Count(c => c.Channel == Channels.Email));
                expectedPending = latest.Count(c => c.Status == ConversationStatus.Pending);
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "hd"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "hd"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "hd"), ("channel", "email"), ("window", "24h")) == expectedEmail
                    && (m.Value("helpdesk_backlog_tickets", ("source", "hd"), ("channel", "all"), ("status", "pending")) ?? 0) == expectedPending;
            },
            TimeSpan.FromSeconds(120),
            "the source up; the tickets created in 24 h, all and by e-mail, and the pending backlog equal to the simulated account's");

        Assert.True(expected > 100, $"{expected} simulated tickets");
        (string, string)[] all = [("source", "hd"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "hd"), ("channel", "all"), ("status", "open")));

        // HelpDesk's events carry no bot replies, the profile reads no ratings and no message feed: absent, never 0.
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "hd")))
        {
            (string, string)[] series = [("source", "hd"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
        }

        Assert.Empty(m.Find("helpdesk_csat_ratio", ("source", "hd")));
        Assert.Empty(m.Find("helpdesk_messages", ("source", "hd")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:HelpDesk:Token={Token}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "hd")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "helpdesk", "hd");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "hd"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "hd",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("helpdesk"),
        ["KpiCollector:Sources:0:ApiToken"] = Token,
        ["KpiCollector:Sources:0:Rest:Profile"] = "helpdesk",
        ["KpiCollector:Sources:0:Rest:Variables:account_id"] = "simulator-helpdesk-account",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
