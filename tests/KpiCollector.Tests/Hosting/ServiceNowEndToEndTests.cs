using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.ServiceNow;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's ServiceNow face through <c>Platform: rest</c> with the built-in
/// <c>servicenow</c> profile (incidents), both in this process: the KPIs ServiceNow supplies reach /metrics with the
/// simulation's values (first responses from the joined response SLA, CSAT from the survey answers, reopens), the
/// ones it cannot supply are absent, and each fault kind fails a poll with its reason before the next polls recover.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ServiceNowEndToEndTests
{
    private const string Password = "e2e-servicenow-Pa55-7d1e";

    [Fact]
    public async Task TheServiceNowKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:ServiceNow:Password={Password}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<ServiceNowFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedEmail = 0, expectedCsat = 0, expectedResponded = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                var ids = latest.Select(c => c.ExternalId).ToHashSet();
                (expected, expectedEmail) = (latest.Count, latest.Count(c => c.Channel == Channels.Email));
                expectedResponded = latest.Count(c => c.FirstHumanResponseAt > DateTimeOffset.UtcNow.AddHours(-24));
                expectedCsat = face.Helpdesk.Surveys().Count(s => s.Kind == SurveyKind.Csat && s.Score is not null && s.ConversationId is { } id && ids.Contains(id) && s.RespondedAt > DateTimeOffset.UtcNow.AddHours(-24));
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "sn"), ("platform", "rest")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "sn"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "sn"), ("channel", "email"), ("window", "24h")) == expectedEmail
                    && m.Value("helpdesk_survey_responses", ("source", "sn"), ("channel", "all"), ("window", "24h"), ("kind", "csat")) == expectedCsat;
            },
            TimeSpan.FromSeconds(120),
            "the source up; incidents created in 24 h, all and by e-mail, and CSAT answers equal to the simulated instance's");

        Assert.True(expected > 100, $"{expected} simulated incidents");
        Assert.True(expectedCsat > 10, $"{expectedCsat} simulated CSAT answers");
        (string, string)[] all = [("source", "sn"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_first_responses", [.. all, ("responder", "human")]) > expectedResponded / 2);
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.InRange(m.Value("helpdesk_csat_ratio", all)!.Value, 0.05, 1.0);
        Assert.NotNull(m.Value("helpdesk_reopened_ratio", all));
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "sn"), ("channel", "all"), ("status", "open")));

        // No bot replies on incidents (Virtual Agent lives in the interaction table), no NPS or CES, no message feed.
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "sn")))
        {
            (string, string)[] series = [("source", "sn"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.Null(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "nps")]));
        }

        Assert.Empty(m.Find("helpdesk_messages", ("source", "sn")));
        Assert.Empty(m.Find("helpdesk_nps_score", ("source", "sn")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:ServiceNow:Password={Password}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "sn")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "servicenow", "sn");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "sn"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "sn",
        ["KpiCollector:Sources:0:Platform"] = "rest",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("servicenow"),
        ["KpiCollector:Sources:0:Email"] = "simulator",
        ["KpiCollector:Sources:0:ApiToken"] = Password,
        ["KpiCollector:Sources:0:Rest:Profile"] = "servicenow",
        ["KpiCollector:Sources:0:Rest:Variables:instance"] = "dev00000",
        ["KpiCollector:Sources:0:Rest:Variables:table"] = "incident",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
