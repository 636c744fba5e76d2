using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.CmCom;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's CM.com face through <c>Platform: rest</c> with the built-in <c>cmcom</c>
/// profile, both in this process: the KPIs CM.com supplies reach /metrics with the simulation's values, the ones it
/// cannot supply are absent, and each fault kind fails a poll with its reason before the next polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")] // a real-time run of the collector against the simulator: not the quick loop
public sealed class CmComEndToEndTests
{
    private const string Password = "e2e-cmcom-S3cret-41ad";

    [Fact]
    public async Task TheCmComKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:CmCom:ApiSecret={Password}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<CmComFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedWhatsApp = 0, expectedCsat = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                var ids = latest.Select(c => c.ExternalId).ToHashSet();
                (expected, expectedWhatsApp) = (latest.Count, latest.Count(c => c.Channel == Channels.WhatsApp));
                expectedCsat = face.Helpdesk.Surveys()
                    .Where(s => s.Kind == SurveyKind.Csat && s.ConversationId is { } id && ids.Contains(id) && s.RespondedAt > DateTimeOffset.UtcNow.AddHours(-24))
                    .GroupBy(s => s.ConversationId).Count(g => g.Last().Score is not null);
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "cm"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "cm"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "cm"), ("channel", "whatsapp"), ("window", "24h")) == expectedWhatsApp
                    && m.Value("helpdesk_survey_responses", ("source", "cm"), ("channel", "all"), ("window", "24h"), ("kind", "csat")) == expectedCsat;
            },
            TimeSpan.FromSeconds(90),
            "the source up; conversations created in 24 h, all and on WhatsApp, and CSAT responses equal to the simulated account's");

        Assert.True(expected > 100, $"{expected} simulated conversations");
        Assert.True(expectedCsat > 10, $"{expectedCsat} simulated CSAT answers");
        (string, string)[] all = [("source", "cm"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.InRange(m.Value("helpdesk_csat_ratio", all)!.Value, 0.05, 1.0);
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "cm"), ("channel", "all"), ("status", "open")));

        // CM.com's Agent Inbox has no bot replies (its HALO bot is a separate API), no NPS or CES, no message feed here.
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "cm")))
        {
            (string, string)[] series = [("source", "cm"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "human")]));
            Assert.NotNull(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "nps")]));
        }

        Assert.Empty(m.Find("helpdesk_messages", ("source", "cm")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:CmCom:ApiSecret={Password}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "cm")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "cmcom", "cm");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "cm"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "cm",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("cmcom"),
        ["KpiCollector:Sources:0:Rest:Variables:api_key"] = "simulator-cmcom-key",
        ["KpiCollector:Sources:0:ApiToken"] = Password,
        ["KpiCollector:Sources:0:Rest:Profile"] = "cmcom",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
