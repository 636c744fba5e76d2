using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Simulator;
using KpiCollector.Sources.Simulator;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace KpiCollector.Tests.Hosting;

/// <summary>The collector as users run it: a separate process, its exit codes, its signals.</summary>
[Trait("Category", "Integration")]
public sealed class ProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task OnEmbeddedDefaults_ServesKpis_AndStopsCleanlyOnSigterm()
    {
        using var collector = CollectorProcess.Start(_dir.Path, ["--KpiCollector:Simulator:Backfill=1d"]);
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(90));

        var samples = MetricsText.Parse(await collector.Http.GetStringAsync("/metrics"));
        Assert.True(samples.Value("helpdesk_tickets_created", ("channel", "all"), ("window", "24h")) > 100);
        Assert.Equal(1, samples.Value("kpicollector_demo_mode"));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "data", "kpicollector.db")), "the default store is ./data/kpicollector.db under the working directory");

        Assert.Equal(0, collector.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains("DEMO MODE", collector.Output, StringComparison.Ordinal);
        Assert.Contains("Store closed", collector.Output, StringComparison.Ordinal);
        Assert.Contains("stopped cleanly", collector.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KPICOLLECTOR__WINDOWS", "1h,7x", "KpiCollector:Windows:1: '7x' is not a window")]
    [InlineData("KPICOLLECTOR__SOURCES__0__PLATFORM", "zendeskk", "KpiCollector:Sources:0:Platform: 'zendeskk' is not a known platform; allowed values: zendesk, freshdesk, chatwoot, whatsapp, simulator, customers")]
    public void InvalidConfiguration_StopsTheStartWithExitCode2AndNamesTheKey(string variable, string value, string expected)
    {
        using var collector = CollectorProcess.Start(_dir.Path, environment: new Dictionary<string, string>
        {
            [variable] = value,
            ["KPICOLLECTOR__SOURCES__0__NAME"] = "acme",
            ["KPICOLLECTOR__SOURCES__0__PLATFORM"] = variable.Contains("PLATFORM", StringComparison.Ordinal) ? value : "simulator",
        });

        Assert.Equal(2, collector.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Invalid configuration, not starting", collector.Output, StringComparison.Ordinal);
        Assert.Contains(expected, collector.Output, StringComparison.Ordinal);
        // Only the clean message: no "Hosting failed to start" error and no stack frames before it.
        Assert.DoesNotContain("Hosting failed to start", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at [A-Za-z]", collector.Output);
    }

    /// <summary>
    /// kill -9 in the middle of the backfill, then a restart: the store resumes from its saved cursor and ends up
    /// holding exactly what the (deterministic) simulation produced up to the final cursor, each record once.
    /// </summary>
    [Fact]
    public async Task KilledDuringBackfill_RestartResumesFromTheCursor_NothingLostNothingTwice()
    {
        string[] args = ["--KpiCollector:Simulator:Backfill=7d", "--KpiCollector:Simulator:ArrivalsPerHour=400"];
        var storePath = Path.Combine(_dir.Path, "data", "kpicollector.db");
        using (var first = CollectorProcess.Start(_dir.Path, args))
        {
            await CollectorHost.WaitUntilAsync(async () => CountIn(await Scrape(first)) > 2000, TimeSpan.FromSeconds(90), "the backfill to be under way");
            first.Kill();
        }

        SourceCheckpoint killedAt;
        using (var store = OpenStore(storePath))
        {
            killedAt = store.GetCheckpoint("demo")!;
        }

        using (var second = CollectorProcess.Start(_dir.Path, args))
        {
            await second.WaitReadyAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(0, second.Terminate(TimeSpan.FromSeconds(30)));
        }

        using var final = OpenStore(storePath);
        var checkpoint = final.GetCheckpoint("demo")!;
        var (epoch, delivered) = SimulatorSource.ParseCursor(checkpoint.Cursor);
        Assert.Equal(SimulatorSource.ParseCursor(killedAt.Cursor).Epoch, epoch); // resumed, not restarted from scratch
        Assert.True(delivered > SimulatorSource.ParseCursor(killedAt.Cursor).Delivered);

        var simulation = new TrafficSimulation(new SimulatorOptions { ArrivalsPerHour = 400 }, "demo", epoch);
        var delta = simulation.AdvanceTo(delivered);
        var expected = delta.Conversations.ToDictionary(c => c.ExternalId, c => c.UpdatedAt.ToUnixTimeMilliseconds());
        var stored = final.ReadConversations().ToList();
        Assert.Equal(expected.Count, stored.Count);
        Assert.Equal(expected.Count, stored.Select(c => c.ExternalId).Distinct().Count());
        Assert.All(stored, c => Assert.Equal(expected[c.ExternalId], c.UpdatedAt.ToUnixTimeMilliseconds()));
        Assert.Equal(delta.Surveys.Count, final.ReadSurveys().Count());
    }

    /// <summary>
    /// A conversation row damaged on disk between two runs: the second start quarantines it (logged with its id),
    /// loads the rest, serves, and says so on /readyz, the landing page and /metrics.
    /// </summary>
    [Fact]
    public async Task DamagedConversationRow_IsQuarantined_AndTheCollectorStarts()
    {
        string[] args = ["--KpiCollector:Simulator:Backfill=1d"];
        var storePath = Path.Combine(_dir.Path, "data", "kpicollector.db");
        using (var first = CollectorProcess.Start(_dir.Path, args))
        {
            await first.WaitReadyAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(0, first.Terminate(TimeSpan.FromSeconds(30)));
        }

        string damagedId;
        using (var connection = new SqliteConnection($"Data Source={storePath};Pooling=False"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = "UPDATE conversations SET created_at = 9223372036854775807 WHERE external_id = (SELECT MIN(external_id) FROM conversations) RETURNING external_id;";
            damagedId = (string)cmd.ExecuteScalar()!;
        }

        using var second = CollectorProcess.Start(_dir.Path, args);
        await second.WaitReadyAsync(TimeSpan.FromSeconds(90));

        using var ready = JsonDocument.Parse(await second.Http.GetStringAsync("/readyz"));
        var quarantined = Assert.Single(ready.RootElement.GetProperty("quarantined").EnumerateArray());
        Assert.Equal("demo", quarantined.GetProperty("source").GetString());
        Assert.Equal(1, quarantined.GetProperty("records").GetInt64());
        Assert.Contains("1 quarantined records", await second.Http.GetStringAsync("/"), StringComparison.Ordinal);
        var samples = MetricsText.Parse(await second.Http.GetStringAsync("/metrics"));
        Assert.Equal(1, samples.Value("kpicollector_store_quarantined_records", ("source", "demo"), ("kind", "conversation")));
        Assert.True(samples.Value("kpicollector_store_records", ("kind", "conversation")) > 0);
        Assert.Equal(0, second.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains($"id {damagedId}", second.Output, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(second.Output, "Quarantined a damaged"));
    }

    [Fact]
    public void StoreThatIsNotADatabase_StopsTheStartWithExitCode1_NamingTheFile()
    {
        var storePath = Path.Combine(_dir.Path, "data", "kpicollector.db");
        Directory.CreateDirectory(Path.GetDirectoryName(storePath)!);
        File.WriteAllText(storePath, new string('x', 8192));

        using var collector = CollectorProcess.Start(_dir.Path);

        Assert.Equal(1, collector.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains($"KpiCollector:Store:Path: cannot open the store at '{storePath}'", collector.Output, StringComparison.Ordinal);
        Assert.Contains("not a database", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", collector.Output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^\s+at [A-Za-z]", collector.Output);
    }

    [Fact]
    public async Task ZeroLengthStoreFile_IsWarnedAboutNamingTheFile()
    {
        var storePath = Path.Combine(_dir.Path, "data", "kpicollector.db");
        Directory.CreateDirectory(Path.GetDirectoryName(storePath)!);
        File.WriteAllBytes(storePath, []);

        using var collector = CollectorProcess.Start(_dir.Path, ["--KpiCollector:Simulator:Backfill=1h"]);
        await collector.WaitReadyAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(0, collector.Terminate(TimeSpan.FromSeconds(30)));
        Assert.Contains($"{storePath}: the store file is empty: starting from nothing; if it held data, restore it from a backup", collector.Output, StringComparison.Ordinal);
    }

    private static async Task<string> Scrape(CollectorProcess p)
    {
        try
        {
            return await p.Http.GetStringAsync("/metrics");
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    private static double CountIn(string metrics) => metrics.Length == 0
        ? 0
        : MetricsText.Parse(metrics).Value("kpicollector_store_records", ("kind", "conversation")) ?? 0;

    private static SqliteStore OpenStore(string path)
    {
        var store = new SqliteStore(path, NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }
}
