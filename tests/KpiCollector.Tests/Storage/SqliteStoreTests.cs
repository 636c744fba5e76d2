using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Storage;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_CreatesTheFileAndSchema_AndReopenKeepsTheData()
    {
        var path = Path.Combine(_dir.Path, "nested", "store.db");
        using (var store = Open(path))
        {
            store.Apply("src", Batch("cursor-1", Page(0, 3)), T0);
        }

        using var reopened = Open(path);
        Assert.Equal("cursor-1", reopened.GetCheckpoint("src")!.Cursor);
        Assert.Equal(3, reopened.CountRecords()["conversation"]);
        Assert.Equal(3, reopened.ReadConversations().Count());
    }

    /// <summary>A file written by the first release (schema 1) is upgraded in place and keeps its data.</summary>
    [Fact]
    public void Open_UpgradesASchemaOneFile_KeepingItsRecords()
    {
        var path = _dir.File("v1.db");
        using (var v1 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v1.Open();
            using var cmd = v1.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE conversations (source TEXT NOT NULL, external_id TEXT NOT NULL, channel TEXT NOT NULL, status INTEGER NOT NULL,
                    priority TEXT, ticket_type TEXT, team TEXT, requester_id TEXT, assignee_id TEXT, created_at INTEGER NOT NULL,
                    first_response_at INTEGER, first_responder_kind INTEGER, first_human_response_at INTEGER, first_resolved_at INTEGER,
                    resolved_at INTEGER, closed_at INTEGER, agent_public_replies INTEGER, reopens INTEGER, handle_ms INTEGER,
                    waiting_on_customer_ms INTEGER, updated_at INTEGER NOT NULL, PRIMARY KEY (source, external_id)) WITHOUT ROWID;
                CREATE TABLE surveys (source TEXT NOT NULL, external_id TEXT NOT NULL, conversation_id TEXT, kind INTEGER NOT NULL,
                    score REAL NOT NULL, scale_min REAL NOT NULL, scale_max REAL NOT NULL, responded_at INTEGER NOT NULL,
                    channel TEXT NOT NULL, agent_id TEXT, team TEXT, PRIMARY KEY (source, external_id)) WITHOUT ROWID;
                CREATE TABLE source_state (source TEXT PRIMARY KEY NOT NULL, cursor TEXT NOT NULL, watermark INTEGER, saved_at INTEGER NOT NULL);
                INSERT INTO conversations (source, external_id, channel, status, created_at, updated_at) VALUES ('src', 'c1', 'email', 1, 1000, 2000);
                INSERT INTO surveys VALUES ('src', 's1', 'c1', 0, 5, 1, 5, 3000, 'email', NULL, NULL);
                INSERT INTO source_state VALUES ('src', 'cursor-v1', NULL, 0);
                PRAGMA user_version = 1;
                """;
            cmd.ExecuteNonQuery();
        }

        using var store = Open(path);

        Assert.Equal("cursor-v1", store.GetCheckpoint("src")!.Cursor);
        Assert.Equal("c1", store.ReadConversations().Single().ExternalId);
        Assert.Equal(5, store.ReadSurveys().Single().Score);
        var offer = Csat("s2", 1, T0) with { Score = null }; // schema 2 stores unanswered offers
        store.Apply("src", new SourceBatch { Surveys = [offer], Cursor = "cursor-v2" }, T0);
        Assert.Null(store.ReadSurveys().Single(s => s.ExternalId == "s2").Score);
    }

    /// <summary>Schema 6 clears the empty CSAT answer (0 on a 0..0 scale) that conversations new to the store used to get.</summary>
    [Fact]
    public void Open_UpgradingToSchemaSix_ClearsTheEmptyCsatAnswers_AndKeepsTheRealOnes()
    {
        var path = _dir.File("v5.db");
        using (var store = Open(path))
        {
            store.Apply("src", new SourceBatch { Conversations = [Conversation("empty", T0), Conversation("real", T0)], Cursor = "c" }, T0);
        }

        using (var v5 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v5.Open();
            using var cmd = v5.CreateCommand();
            cmd.CommandText = """
                UPDATE conversations SET csat_score = 0, csat_min = 0, csat_max = 0 WHERE external_id = 'empty';
                UPDATE conversations SET csat_score = 4, csat_min = 1, csat_max = 5 WHERE external_id = 'real';
                PRAGMA user_version = 5;
                """;
            cmd.ExecuteNonQuery();
        }

        using var upgraded = Open(path);
        var read = upgraded.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.Null(read["empty"].Csat);
        Assert.Equal(new SurveyScore(4, 1, 5), read["real"].Csat);
    }

    /// <summary>Schema 7 keys the SLA outcomes by conversation first and drops their second index; every outcome stays.</summary>
    [Fact]
    public void Open_UpgradingToSchemaSeven_KeepsEveryOutcome_AndReadsAConversationsOutcomesByTheKey()
    {
        var path = _dir.File("v6.db");
        var outcomes = Enumerable.Range(0, 30).Select(i => new SlaOutcome
        {
            Policy = i % 2 == 0 ? "frt" : "resolution", Source = "src", ConversationId = $"c{i % 10}", Start = T0.AddMinutes(-i),
            Met = i % 3 == 0, DecidedAt = T0.AddMinutes(-i + 20), Channel = Channels.Email, Team = i % 4 == 0 ? "billing" : null,
        }).ToList();
        using (var store = Open(path))
        {
            store.Apply("src", new SourceBatch { Conversations = [.. Enumerable.Range(0, 10).Select(i => Conversation($"c{i}", T0.AddHours(-1)))], Cursor = "c" }, T0);
            store.RecordOutcomes(outcomes, T0);
        }

        using (var v6 = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            v6.Open();
            using var cmd = v6.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE old_outcomes (policy TEXT NOT NULL, source TEXT NOT NULL, conversation_id TEXT NOT NULL, start INTEGER NOT NULL,
                    met INTEGER NOT NULL, decided_at INTEGER NOT NULL, channel TEXT NOT NULL, team TEXT, recorded_at INTEGER NOT NULL,
                    PRIMARY KEY (policy, source, conversation_id, start)) WITHOUT ROWID;
                INSERT INTO old_outcomes SELECT * FROM sla_outcomes;
                DROP TABLE sla_outcomes;
                ALTER TABLE old_outcomes RENAME TO sla_outcomes;
                CREATE INDEX sla_outcomes_by_conversation ON sla_outcomes (source, conversation_id);
                PRAGMA user_version = 6;
                """;
            cmd.ExecuteNonQuery();
        }

        using (var upgraded = Open(path))
        {
            Assert.Equal(
                outcomes.Select(o => $"{o.Policy}/{o.ConversationId}/{o.Start.ToUnixTimeMilliseconds()}/{o.Met}/{o.Team}").Order(),
                upgraded.ReadOutcomes().Select(o => $"{o.Policy}/{o.ConversationId}/{o.Start.ToUnixTimeMilliseconds()}/{o.Met}/{o.Team}").Order());
            Assert.Empty(upgraded.RecordOutcomes(outcomes, T0)); // the identities are the same
            var drill = upgraded.ReadConversations([("src", "c3")]);
            Assert.Equal(3, drill[("src", "c3")].Outcomes.Count);
        }

        using var check = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        check.Open();
        using var plan = check.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN SELECT met FROM sla_outcomes WHERE source = 'src' AND conversation_id = 'c3';";
        using var r = plan.ExecuteReader();
        Assert.True(r.Read());
        Assert.Contains("USING PRIMARY KEY (source=? AND conversation_id=?)", r.GetString(3), StringComparison.Ordinal);
        using var indexes = check.CreateCommand();
        indexes.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sla_outcomes' AND sql IS NOT NULL;";
        Assert.Equal(0L, indexes.ExecuteScalar());
    }

    [Fact]
    public void Open_UnwritablePath_NamesTheConfigurationKey()
    {
        var blocker = _dir.File("a-file");
        File.WriteAllText(blocker, "");
        using var store = new SqliteStore(Path.Combine(blocker, "store.db"), NullLogger<SqliteStore>.Instance);

        var ex = Assert.Throws<InvalidOperationException>(store.Open);
        Assert.StartsWith("KpiCollector:Store:Path: cannot open the store", ex.Message, StringComparison.Ordinal);
    }





    /// <summary>
    /// The process dies in the middle of a batch: the files on disk at that moment are copied while the batch's
    /// transaction is open, as a kill -9 would leave them. Reopened, they hold every earlier batch and nothing of
    /// the interrupted one; polling again from the saved cursor applies it exactly once.
    /// </summary>
    [Fact]
    public async Task KilledMidBatch_LosesNothingAndAppliesNothingTwice()
    {
        var live = _dir.File("live.db");
        var crashedCopy = Path.Combine(_dir.Path, "after-crash", "live.db");
        Directory.CreateDirectory(Path.GetDirectoryName(crashedCopy)!);
        var batch1 = Page(0, 200);
        var batch2 = Page(200, 300);

        using (var store = Open(live))
        {
            store.Apply("src", Batch("cursor-1", batch1), T0);
            using var midBatch = new SemaphoreSlim(0);
            using var resume = new SemaphoreSlim(0);
            var blocking = new BlockingList<Conversation>(batch2, blockAt: 50, midBatch, resume);
            var applying = Task.Run(() => store.Apply("src", Batch("cursor-2", blocking), T0));

            Assert.True(await midBatch.WaitAsync(TimeSpan.FromSeconds(30)), "the batch never reached its middle");
            Assert.Equal(50, blocking.Yielded);
            foreach (var suffix in new[] { "", "-wal" })
            {
                if (File.Exists(live + suffix))
                {
                    File.Copy(live + suffix, crashedCopy + suffix);
                }
            }

            blocking.Fail = true; // the "process" dies: the transaction never commits
            resume.Release();
            await Assert.ThrowsAsync<IOException>(() => applying);
        }

        using var restarted = Open(crashedCopy);
        Assert.Equal("cursor-1", restarted.GetCheckpoint("src")!.Cursor);
        Assert.Equal(batch1.Select(c => c.ExternalId).Order(), restarted.ReadConversations().Select(c => c.ExternalId).Order());

        // The source is polled again from cursor-1 and delivers the interrupted page (plus an overlap with page 1).
        var engine = new KpiEngine(new EngineOptions(), new FakeTimeProvider(T0));
        engine.Apply(restarted.ReadConversations().Select(c => new RecordChange<Conversation>(null, c)));
        var replay = restarted.Apply("src", Batch("cursor-2", [.. batch1.TakeLast(50), .. batch2]), T0);
        engine.Apply(replay.Conversations);

        Assert.Equal(100, replay.Conversations.Count);
        Assert.Equal(300, restarted.ReadConversations().Select(c => c.ExternalId).Distinct().Count());
        Assert.Equal(300, restarted.CountRecords()["conversation"]);
        var all = engine.Snapshot().Series.Single(s => s.Key.Channel == Channels.All).Windows.Single(w => w.Window.Name == "24h");
        Assert.Equal(300, all[Counter.TicketsCreated]);
    }



    private static SqliteStore Open(string path)
    {
        var store = new SqliteStore(path, NullLogger<SqliteStore>.Instance);
        store.Open();
        return store;
    }

    private static SourceBatch Batch(string cursor, IReadOnlyList<Conversation> conversations) =>
        new() { Conversations = conversations, Cursor = cursor, Watermark = T0 };

    private static List<Conversation> Page(int from, int to) =>
        Enumerable.Range(from, to - from).Select(i => Conversation($"t{i:D5}", T0.AddMinutes(-i % 600))).ToList();

}
