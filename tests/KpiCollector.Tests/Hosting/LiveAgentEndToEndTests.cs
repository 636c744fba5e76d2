using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.LiveAgent;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's LiveAgent face through <c>Platform: rest</c> with the built-in
/// <c>liveagent</c> profile, both in this process: the KPIs LiveAgent supplies reach /metrics with the simulation's
/// values (first answers from the joined SLA log), the ones it cannot supply (CSAT, reopens, bot replies) are absent,
/// and each fault kind fails a poll with its reason before the next polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LiveAgentEndToEndTests
{
    private const string Password = "e2e-liveagent-K3y-52b0";

    [Fact]
    public async Task TheLiveAgentKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:LiveAgent:ApiKey={Password}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<LiveAgentFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedWhatsApp = 0, expectedResponded = 0, expectedRatings = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                (expected, expectedWhatsApp) = (latest.Count, latest.Count(c => c.Channel == Channels.WhatsApp));
                expectedResponded = latest.Count(c => c.FirstHumanResponseAt > DateTimeOffset.UtcNow.AddHours(-24));
                expectedRatings = latest.Count(c => face.Helpdesk.CsatOf(c.ExternalId) is { Score: { } s } rating && s != 3 && rating.RespondedAt > DateTimeOffset.UtcNow.AddHours(-24));
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "la"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "la"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "la"), ("channel", "whatsapp"), ("window", "24h")) == expectedWhatsApp
                    && m.Value("helpdesk_survey_responses", ("source", "la"), ("channel", "all"), ("window", "24h"), ("kind", "csat")) == expectedRatings;
            },
            TimeSpan.FromSeconds(120),
            "the source up; the tickets created in 24 h, all and on WhatsApp, and the chat ratings equal to the simulated account's");

        Assert.True(expected > 100, $"{expected} simulated tickets");
        (string, string)[] all = [("source", "la"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_first_responses", [.. all, ("responder", "human")]) > expectedResponded / 2);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "la"), ("channel", "all"), ("status", "open")));

        // Chat ratings (reward 5, punishment 1) from each changed ticket's messages; no reopen count, no bot replies
        // told apart, no message feed: absent, never 0.
        Assert.True(expectedRatings > 10, $"{expectedRatings} simulated chat ratings");
        Assert.InRange(m.Value("helpdesk_csat_ratio", all)!.Value, 0.05, 1.0);
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "la")))
        {
            (string, string)[] series = [("source", "la"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.NotNull(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "nps")]));
        }

        Assert.Empty(m.Find("helpdesk_reopened_ratio", ("source", "la")));
        Assert.Empty(m.Find("helpdesk_messages", ("source", "la")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:LiveAgent:ApiKey={Password}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "la")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "liveagent", "la");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "la"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "la",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("liveagent"),
        ["KpiCollector:Sources:0:ApiToken"] = Password,
        ["KpiCollector:Sources:0:Rest:Profile"] = "liveagent",
        ["KpiCollector:Sources:0:Rest:Variables:account"] = "simulator",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
