using System.Runtime.CompilerServices;
using System.Text;
using KpiCollector.Configuration;
using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Metrics;
using KpiCollector.Pipeline;
using KpiCollector.Sources;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Metrics;

/// <summary>The exporter on engine snapshots of hand-made records: counts of zero are 0, what a platform cannot supply is absent.</summary>
public sealed class PrometheusExporterTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ZeroSurveyCounts_AreExportedAsZero_InEveryChannelAndWindow()
    {
        // One CSAT answer, on WhatsApp, 90 minutes ago: none on email, none in the last hour. The source reads CSAT only.
        var m = await ScenarioAsync();

        foreach (var (channel, window, csat) in new[] { ("all", "24h", 1.0), ("whatsapp", "24h", 1.0), ("email", "24h", 0.0), ("whatsapp", "1h", 0.0), ("all", "1h", 0.0) })
        {
            (string, string)[] labels = [("source", "zd"), ("channel", channel), ("window", window)];
            Assert.Equal(csat, m.Value("helpdesk_survey_responses", [.. labels, ("kind", "csat")])); // 0 where none, never absent
            Assert.Null(m.Value("helpdesk_survey_responses", [.. labels, ("kind", "nps")])); // a kind the source does not read
        }

        Assert.Equal(0, m.Value("helpdesk_survey_responses", ("source", "cw"), ("channel", "whatsapp"), ("window", "24h"), ("kind", "csat")));
    }

    [Fact]
    public async Task AResponderKindThePlatformCannotTellApart_IsAbsent_WhileOneItCanIsZeroWhenNone()
    {
        // "zd" sees human replies only (as Zendesk); "cw" also tells bot replies apart (as Chatwoot). No bot replied.
        var m = await ScenarioAsync();

        foreach (var (channel, window) in new[] { ("all", "24h"), ("whatsapp", "24h"), ("email", "24h"), ("all", "1h") })
        {
            (string, string)[] labels = [("source", "zd"), ("channel", channel), ("window", window)];
            Assert.Null(m.Value("helpdesk_first_responses", [.. labels, ("responder", "bot")])); // unknown, not 0: no bot share of 0 %
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. labels, ("responder", "human")]));
            Assert.NotNull(m.Value("helpdesk_first_responses", [.. labels, ("responder", "all")]));
            Assert.Null(m.Value("helpdesk_messages", [.. labels, ("direction", "inbound")])); // no message-level data
        }

        Assert.Empty(m.Find("helpdesk_first_response_seconds", ("source", "zd"), ("responder", "bot")));
        (string, string)[] cw = [("source", "cw"), ("channel", "whatsapp"), ("window", "24h")];
        Assert.Equal(0, m.Value("helpdesk_first_responses", [.. cw, ("responder", "bot")])); // it could have seen one: none is 0
        Assert.Equal(1, m.Value("helpdesk_first_responses", [.. cw, ("responder", "human")]));
    }

    /// <summary>
    /// A scrape while a page commit holds the store's lock answers, with the counts of the last finished commit: the
    /// commit is held open (its SLA decision waits on an event) until the scrape has returned.
    /// </summary>
    [Fact]
    public async Task AScrape_WhileAPageCommitHoldsTheStoreLock_Answers()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var configured = new SourceRegistry([new FixedSource("zd", "zendesk", new SourceCapabilities { Responders = SourceCapabilities.HumanOnly, Surveys = SourceCapabilities.CsatIf(false) })], demoMode: false);
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        store.Open();
        store.Apply("zd", new SourceBatch { Conversations = [Conversation("1", T0.AddHours(-1), Channels.Email, "zd")], Cursor = "c1" }, T0);
        var exporter = new PrometheusExporter(registry, configured, store, new LiveObservations(_clock), new SlaEvaluator([]),
            Options.Create(new KpiCollectorOptions()), _clock, NullLogger<PrometheusExporter>.Instance);
        exporter.Publish(new KpiEngine(new EngineOptions(), _clock).Snapshot(), []);

        using var inCommit = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var commit = Task.Run(() => store.Apply(
            "zd",
            new SourceBatch { Conversations = [Conversation("2", T0.AddHours(-1), Channels.Email, "zd")], Cursor = "c2" },
            T0,
            _ =>
            {
                inCommit.Set();
                release.Wait();
                return [];
            }));
        try
        {
            Assert.True(inCommit.Wait(TimeSpan.FromSeconds(30)), "the commit did not start");
            using var stream = new MemoryStream();
            // The guard only ends a test that would otherwise hang (on another thread, so that a scrape blocked on the
            // lock fails the test instead of hanging it); the scrape itself waits on nothing.
            await Task.Run(() => registry.CollectAndExportAsTextAsync(stream)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(commit.IsCompleted); // the scrape answered while the commit was still holding the lock
            var m = MetricsText.Parse(Encoding.UTF8.GetString(stream.ToArray()));
            Assert.Equal(1, m.Value("kpicollector_store_records", ("kind", "conversation")));
        }
        finally
        {
            release.Set();
        }

        await commit;
        Assert.Equal(2, store.CountRecords()["conversation"]);
    }

    /// <summary>Two sources and their conversations, one CSAT answer on "zd"'s WhatsApp 90 minutes ago, published and scraped.</summary>
    private async Task<List<MetricsText.Sample>> ScenarioAsync()
    {
        var engine = new KpiEngine(new EngineOptions(), _clock);
        engine.Apply(new[]
        {
            Conversation("1", T0.AddHours(-2), Channels.WhatsApp, "zd").Replied(TimeSpan.FromMinutes(3)),
            Conversation("2", T0.AddHours(-2), Channels.Email, "zd").Replied(TimeSpan.FromMinutes(30)),
            Conversation("3", T0.AddHours(-2), Channels.WhatsApp, "cw").Replied(TimeSpan.FromMinutes(3)),
        }.Select(c => new RecordChange<Conversation>(null, c)));
        engine.Apply([new RecordChange<SurveyResponse>(null, Csat("s1", 5, T0.AddMinutes(-90)) with { Source = "zd" })]);

        return MetricsText.Parse(await PublishAsync(
            engine,
            new FixedSource("zd", "zendesk", new SourceCapabilities { Responders = SourceCapabilities.HumanOnly, Surveys = SourceCapabilities.CsatIf(true) }),
            new FixedSource("cw", "chatwoot", new SourceCapabilities { Responders = SourceCapabilities.BotAndHuman, Surveys = SourceCapabilities.CsatIf(true) })));
    }

    private async Task<string> PublishAsync(KpiEngine engine, params ISource[] sources)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var configured = new SourceRegistry(sources, demoMode: false);
        using var store = new SqliteStore(_dir.File("store.db"), NullLogger<SqliteStore>.Instance);
        var exporter = new PrometheusExporter(registry, configured, store, new LiveObservations(_clock), new SlaEvaluator([]),
            Options.Create(new KpiCollectorOptions()), _clock, NullLogger<PrometheusExporter>.Instance);
        exporter.Publish(engine.Snapshot(), []);
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private sealed class FixedSource(string name, string platform, SourceCapabilities capabilities) : ISource
    {
        public string Name => name;

        public string Platform => platform;

        public SourceCapabilities Capabilities => capabilities;

        public async IAsyncEnumerable<SourceBatch> PollAsync(string? cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
