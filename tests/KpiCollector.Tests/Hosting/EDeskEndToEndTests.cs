using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.EDesk;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's eDesk face through <c>Platform: edesk</c>, both in this process: the KPIs
/// eDesk supplies reach /metrics with the simulation's values (bot and human first responses, CSAT from ratings), the
/// ones it cannot supply are absent, each fault kind fails a poll with its reason before the next polls recover, and a
/// restart on the same store resumes from the saved cursor instead of reading every message again.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EDeskEndToEndTests
{
    private const string Token = "e2e-edesk-T0ken-7c1d";

    [Fact]
    public async Task TheEDeskKpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await StartSimulatorAsync("6h");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<EDeskFace>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedWeb = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var latest = face.Helpdesk.Latest();
                (expected, expectedWeb) = (latest.Count, latest.Count(c => c.Channel == Channels.Web));
                m = await collector.ScrapeAsync();
                return m.Value("kpicollector_source_up", ("source", "ed"), ("platform", "edesk")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "ed"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "ed"), ("channel", "web"), ("window", "24h")) == expectedWeb;
            },
            TimeSpan.FromSeconds(180),
            "the source up, and the tickets created in 24 h, all and from the Amazon marketplace (web), equal to the simulated account's");

        Assert.True(expected > 100, $"{expected} simulated tickets");
        (string, string)[] all = [("source", "ed"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_first_responses", [.. all, ("responder", "bot")]) > 0); // auto-replies
        Assert.True(m.Value("helpdesk_resolution_seconds", [.. all, ("stat", "mean")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.True(m.Value("helpdesk_survey_responses", [.. all, ("kind", "csat")]) > 0); // Rating messages
        Assert.NotNull(m.Value("helpdesk_backlog_tickets", ("source", "ed"), ("channel", "all"), ("status", "open")));

        // eDesk has no message feed for the collector and no NPS or CES survey: absent, never 0.
        Assert.Empty(m.Find("helpdesk_messages", ("source", "ed")));
        foreach (var s in m.Find("helpdesk_tickets_created", ("source", "ed")))
        {
            (string, string)[] series = [("source", "ed"), ("channel", s.Labels["channel"]), ("window", s.Labels["window"])];
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. series, ("responder", "bot")]));
            Assert.NotNull(m.Value("helpdesk_survey_responses", [.. series, ("kind", "csat")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "nps")]));
            Assert.Null(m.Value("helpdesk_survey_responses", [.. series, ("kind", "ces")]));
        }
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await StartSimulatorAsync("2h");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "ed")) == 1, "the first successful poll");

        await FaultDrill.RunAsync(collector, simulator, "edesk", "ed");

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "ed"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, await collector.GetAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestart_ResumesFromTheSavedCursor_WithoutReadingTheMessagesAgain()
    {
        await using var simulator = await StartSimulatorAsync("3h");
        using var store = new TempDirectory();
        var face = simulator.Service<EDeskFace>();
        var settings = Settings(simulator, maxRetries: 4);
        settings["KpiCollector:Store:Path"] = store.File("store.db");
        int expected;
        await using (var collector = await CollectorHost.StartAsync(settings))
        {
            await collector.WaitForMetricsAsync(m => m.Value("helpdesk_tickets_created", ("source", "ed"), ("channel", "all"), ("window", "24h")) == face.Helpdesk.Latest().Count, "the backfill read in full");
            expected = face.Helpdesk.Latest().Count;
        }

        var before = Requests(face);
        await using var restarted = await CollectorHost.StartAsync(settings);
        double lastSuccess = 0;
        await restarted.WaitForMetricsAsync(m => (lastSuccess = m.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "ed")) ?? 0) > 0, "a successful poll after the restart");
        await restarted.WaitForMetricsAsync(m => m.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "ed")) > lastSuccess, "a second successful poll after the restart");

        // Two polls re-read the day's ticket pages and fetch only messages new since: far fewer requests than tickets.
        var spent = Requests(face) - before;
        Assert.True(spent < expected / 2, $"{spent} requests after the restart for {expected} tickets");
        Assert.True((await restarted.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "ed"), ("channel", "all"), ("window", "24h")) >= expected);
    }

    private static long Requests(EDeskFace face) =>
        JsonSerializer.SerializeToElement(face.Faults.Describe()).GetProperty("requests").GetInt64();

    private static Task<SimulatorHost> StartSimulatorAsync(string backfill) => SimulatorHost.StartAsync(
        null, $"Simulator:Backfill={backfill}", $"Simulator:EDesk:ApiToken={Token}", "Simulator:EDesk:RequestsPerSecond=100000", "Simulator:EDesk:Burst=100000");

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries) => new()
    {
        ["KpiCollector:Sources:0:Name"] = "ed",
        ["KpiCollector:Sources:0:Platform"] = "edesk",
        ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("edesk"),
        ["KpiCollector:Sources:0:ApiToken"] = Token,
        ["KpiCollector:Sources:0:EDesk:TimeZone"] = "America/New_York",
        ["KpiCollector:Sources:0:EDesk:MessagesPerPoll"] = "1500",
        ["KpiCollector:Sources:0:Interval"] = "1s",
        ["KpiCollector:Sources:0:Backfill"] = "6h",
        ["KpiCollector:Sources:0:Timeout"] = "3s",
        ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
        ["KpiCollector:RefreshInterval"] = "1s",
    };
}
