using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.Trengo;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's Trengo face through <c>Platform: rest</c> with the built-in <c>trengo</c>
/// profile (the tickets list, and one messages call per changed ticket within the poll's budget), both in this
/// process: the KPIs Trengo supplies reach /metrics with the simulation's values, the ones it cannot supply are absent,
/// and each fault kind fails a poll with its reason before the next polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TrengoEndToEndTests
{
    private const string Token = "e2e-trengo-Pat-7b3e";

    [Fact]
    public async Task TheTrengoKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:Trengo:Token={Token}", "Simulator:Trengo:RequestsPerMinute=100000");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<TrengoFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedWhatsApp = 0, expectedBot = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                var day = DateTimeOffset.UtcNow.AddHours(-24);
                (expected, expectedWhatsApp) = (latest.Count, latest.Count(c => c.Channel == Channels.WhatsApp));
                expectedBot = latest.Count(c => c.FirstResponderKind == ResponderKind.Bot && c.FirstResponseAt > day);
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "tr"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "tr"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "tr"), ("channel", "whatsapp"), ("window", "24h")) == expectedWhatsApp
                    && m.Value("helpdesk_first_responses", ("source", "tr"), ("channel", "all"), ("window", "24h"), ("responder", "bot")) == expectedBot;
            },
            TimeSpan.FromSeconds(180),
            "the source up; the tickets created in 24 h, all and on WhatsApp, and the bot first responses equal to the simulated account's");

        Assert.True(expected > 100, $"{expected} simulated tickets");
        Assert.True(expectedBot > 10, $"{expectedBot} bot first responses");
        (string, string)[] all = [("source", "tr"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "tr"), ("channel", "all"), ("status", "open")));

        // Trengo has no CSAT read endpoint and the profile reads no message feed: absent, never 0.
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "tr")))
        {
            (string, string)[] series = [("source", "tr"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
        }

        Assert.Empty(m.Find("helpdesk_csat_ratio", ("source", "tr")));
        Assert.Empty(m.Find("helpdesk_messages", ("source", "tr")));
        Assert.Equal(0, face.Throttled);
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:Trengo:Token={Token}", "Simulator:Trengo:RequestsPerMinute=100000");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "tr")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "trengo", "tr");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "tr"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "tr",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("trengo"),
        ["KpiCollector:Sources:0:ApiToken"] = Token,
        ["KpiCollector:Sources:0:Rest:Profile"] = "trengo",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
