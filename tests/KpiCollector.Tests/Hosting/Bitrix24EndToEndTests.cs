using System.Globalization;
using KpiCollector.Core.Records;
using KpiCollector.Simulator.Faces.Bitrix24;
using KpiCollector.Sources.Bitrix24;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Hosting;

/// <summary>
/// The collector reading the simulator's Bitrix24 face through <c>Platform: bitrix24</c>, both in this process: the KPIs
/// Bitrix24 supplies reach /metrics with the simulation's values, the ones it cannot supply are absent, each fault kind
/// fails a poll with its reason before the next polls recover, and a restart resumes from the saved cursor.
/// </summary>
[Collection(InProcessHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class Bitrix24EndToEndTests
{
    private const string Code = "e2e-b24-w3bh00k-c0de-77aa";

    [Fact]
    public async Task TheBitrix24Kpis_ReachMetrics_WithTheSimulatedCounts_AndWhatItCannotSupplyIsAbsent()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:Bitrix24:WebhookCode={Code}");
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4));
        var face = simulator.Service<Bitrix24Face>();

        List<MetricsText.Sample> m = [];
        int expected = 0, expectedWhatsApp = 0, expectedVotes = 0;
        await CollectorHost.WaitUntilAsync(
            async () =>
            {
                var sessions = face.Helpdesk.Latest().Where(Bitrix24Face.IsSession).ToList();
                (expected, expectedWhatsApp) = (sessions.Count, sessions.Count(c => c.Channel == Channels.WhatsApp));
                expectedVotes = sessions.Count(c => face.Helpdesk.CsatOf(c.ExternalId)?.Score is not null);
                m = MetricsText.Parse(await collector.GetAsync("/metrics"));
                return m.Value("kpicollector_source_up", ("source", "bx"), ("platform", "bitrix24")) == 1
                    && m.Value("helpdesk_tickets_created", ("source", "bx"), ("channel", "all"), ("window", "24h")) == expected
                    && m.Value("helpdesk_tickets_created", ("source", "bx"), ("channel", "whatsapp"), ("window", "24h")) == expectedWhatsApp
                    && m.Value("helpdesk_survey_responses", ("source", "bx"), ("channel", "all"), ("window", "24h"), ("kind", "csat")) == expectedVotes;
            },
            TimeSpan.FromSeconds(120),
            "the source up, and the sessions created in 24 h (all and WhatsApp) and the votes equal to the simulated portal's");

        Assert.True(expected > 100, $"{expected} simulated sessions");
        (string, string)[] all = [("source", "bx"), ("channel", "all"), ("window", "24h")];
        Assert.True(m.Value("helpdesk_first_response_seconds", [.. all, ("stat", "p50"), ("responder", "human")]) > 0);
        Assert.True(m.Value("helpdesk_first_responses", [.. all, ("responder", "bot")]) > 0);
        Assert.True(m.Value("helpdesk_tickets_resolved", all) > 0);
        Assert.NotEmpty(m.Find("helpdesk_csat_ratio", ("source", "bx")));

        // Open lines carry no e-mail or phone, and the connector reads no message feed: absent, never 0.
        Assert.Null(m.Value("helpdesk_tickets_created", ("source", "bx"), ("channel", "email"), ("window", "24h")));
        Assert.Empty(m.Find("helpdesk_messages", ("source", "bx")));
    }

    [Fact]
    public async Task EachFaultKind_FailsThePollWithItsReason_AndTheNextPollsRecover()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=2h", $"Simulator:Bitrix24:WebhookCode={Code}");
        using var logs = new LogCapture();
        await using var collector = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 0), s => s.AddSingleton<ILoggerProvider>(logs));
        await collector.WaitForMetricsAsync(m => m.Value("kpicollector_source_up", ("source", "bx")) == 1, "the first successful poll");

        (string Fault, string Reason, string Code)[] cases =
        [
            ("kind=server_error&status=500", "http_5xx", "500"),
            ("kind=rate_limit&retryAfter=1", "rate_limited", "503"), // QUERY_LIMIT_EXCEEDED
            ("kind=slow&delay=8", "timeout", "timeout"),
            ("kind=expired_token", "auth", "401"),
            ("kind=malformed", "parse", "200"),
        ];
        await FaultDrill.RunAsync(collector, simulator, "bitrix24", "bx", cases);

        Assert.True((await collector.ScrapeAsync()).Value("helpdesk_tickets_created", ("source", "bx"), ("channel", "all"), ("window", "24h")) > 0);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Check KpiCollector:Sources:0:ApiToken", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("parse", StringComparison.Ordinal) && e.Message.Contains("malformed response", StringComparison.Ordinal));
        Assert.DoesNotContain(Code, logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Code, await collector.GetAsync("/"), StringComparison.Ordinal);
        Assert.DoesNotContain(Code, await collector.GetAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARestart_ResumesFromTheSavedCursor_WithTheSessionsStillWaitingForTheirHistory()
    {
        await using var simulator = await SimulatorHost.StartAsync(null, "Simulator:Backfill=6h", $"Simulator:Bitrix24:WebhookCode={Code}");
        var face = simulator.Service<Bitrix24Face>();
        using var dir = new TempDirectory();
        var store = dir.File("bitrix24.db");

        // One history a poll: the first collector stops with most sessions still waiting in its cursor.
        await using (var first = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4, store: store, historyPerPoll: 1)))
        {
            await first.WaitForMetricsAsync(m => m.Value("helpdesk_tickets_created", ("source", "bx"), ("channel", "all"), ("window", "24h")) > 100, "the sessions counted from the activities");
        }

        var stopped = Checkpoint(store);
        Assert.True(stopped.Pending.Count > 90, $"{stopped.Pending.Count} sessions waiting");

        // One poll only (interval 1h): it must read the waiting sessions from the cursor, not the backfill again. Its
        // budget is the most sessions a cursor can hold waiting (MaxPendingSessions): six simulated hours at a busy
        // time of day hold more than a thousand sessions.
        double sent;
        await using (var second = await CollectorHost.StartAsync(Settings(simulator, maxRetries: 4, store: store, historyPerPoll: 2000, interval: "1h")))
        {
            await second.WaitForMetricsAsync(m => m.Value("kpicollector_source_last_success_timestamp_seconds", ("source", "bx")) is not null, "the poll after the restart");
            sent = (await second.ScrapeAsync()).Find("kpicollector_source_requests_total", ("source", "bx")).Sum(s => s.Value);
        }

        var resumed = Checkpoint(store);
        var batches = (int)Math.Ceiling(stopped.Pending.Count / (double)Bitrix24Source.PageSize);
        Assert.Empty(resumed.Pending);
        Assert.True(sent <= batches + 3, $"{sent} requests after the restart: the {batches} batches of the waiting sessions and a page of changes, not the backfill again");
        Assert.True(resumed.Since >= stopped.Since);
        using var final = new SqliteStore(store, NullLogger<SqliteStore>.Instance);
        final.Open();
        var stored = final.ReadConversations().ToDictionary(c => c.ExternalId);
        var waiting = stopped.Pending.Select(p => p.SessionId.ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.All(waiting, id => Assert.NotNull(stored[id].AgentPublicReplies)); // each waiting session's history was read
        Assert.True(waiting.Count(id => stored[id].FirstResponseAt is not null) > waiting.Count / 2, "the waiting sessions' answers came with their histories");
    }

    private static Bitrix24Cursor Checkpoint(string path)
    {
        using var store = new SqliteStore(path, NullLogger<SqliteStore>.Instance);
        store.Open();
        return Bitrix24Cursor.Parse(store.GetCheckpoint("bx")!.Cursor);
    }

    private static Dictionary<string, string> Settings(SimulatorHost simulator, int maxRetries, string? store = null, int historyPerPoll = 200, string interval = "1s")
    {
        var settings = new Dictionary<string, string>
        {
            ["KpiCollector:Sources:0:Name"] = "bx",
            ["KpiCollector:Sources:0:Platform"] = "bitrix24",
            ["KpiCollector:Sources:0:BaseUrl"] = simulator.BaseUrl("bitrix24"),
            ["KpiCollector:Sources:0:ApiToken"] = Code,
            ["KpiCollector:Sources:0:Bitrix24:UserId"] = "1",
            ["KpiCollector:Sources:0:Bitrix24:SessionHistoryPerPoll"] = historyPerPoll.ToString(CultureInfo.InvariantCulture),
            ["KpiCollector:Sources:0:Interval"] = interval,
            ["KpiCollector:Sources:0:Backfill"] = "6h",
            ["KpiCollector:Sources:0:Timeout"] = "3s",
            ["KpiCollector:Sources:0:MaxRetries"] = maxRetries.ToString(CultureInfo.InvariantCulture),
            ["KpiCollector:Sources:0:RequestsPerMinute"] = "100000",
            ["KpiCollector:RefreshInterval"] = "1s",
        };
        if (store is not null)
        {
            settings["KpiCollector:Store:Path"] = store;
        }

        return settings;
    }
}
