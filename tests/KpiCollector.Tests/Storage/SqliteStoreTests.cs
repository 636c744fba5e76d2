using KpiCollector.Core.Engine;
using KpiCollector.Core.Records;
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

    [Fact]
    public void Open_UnwritablePath_NamesTheConfigurationKey()
    {
        var blocker = _dir.File("a-file");
        File.WriteAllText(blocker, "");
        using var store = new SqliteStore(Path.Combine(blocker, "store.db"), NullLogger<SqliteStore>.Instance);

        var ex = Assert.Throws<InvalidOperationException>(store.Open);
        Assert.StartsWith("KpiCollector:Store:Path: cannot open the store", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ReturnsOldAndNewVersions_AndReapplyingAPageChangesNothing()
    {
        using var store = Open(_dir.File("s.db"));
        var first = store.Apply("src", Batch("c1", Page(0, 2)), T0);
        Assert.All(first.Conversations, c => Assert.Null(c.Old));

        var again = store.Apply("src", Batch("c1", Page(0, 2)), T0);
        Assert.Empty(again.Conversations);

        var updated = Page(0, 1)[0].Solved(TimeSpan.FromMinutes(5));
        var change = Assert.Single(store.Apply("src", Batch("c2", [updated]), T0).Conversations);
        Assert.Equal(ConversationStatus.New, change.Old!.Status);
        Assert.Equal(ConversationStatus.Solved, change.New.Status);
    }

    /// <summary>
    /// The page commit writes a row that keeps its created_at by an upsert and one whose created_at moved by a replace;
    /// both read back as the last version, through the table and through the created_at index (the export's range).
    /// </summary>
    [Fact]
    public void Apply_AVersionWithAnotherCreatedAt_IsStoredAsDeliveredAndFoundAtItsNewTime()
    {
        using var store = Open(_dir.File("s.db"));
        var page = Page(0, 3);
        store.Apply("src", Batch("c1", page), T0);

        var kept = page[0] with { Status = ConversationStatus.Open, UpdatedAt = T0.AddMinutes(1) };
        var moved = page[1] with { CreatedAt = T0.AddDays(-3), UpdatedAt = T0.AddMinutes(1) };
        var movedAgain = moved with { CreatedAt = T0.AddDays(-2), UpdatedAt = T0.AddMinutes(2) };
        var fresh = Conversation("t09999", T0.AddDays(-5));
        var freshMoved = fresh with { CreatedAt = T0.AddDays(-4), UpdatedAt = fresh.UpdatedAt.AddMinutes(1) };
        var applied = store.Apply("src", Batch("c2", [kept, moved, fresh, movedAgain, freshMoved]), T0);

        Assert.Equal(5, applied.Conversations.Count);
        var stored = store.ReadConversations().ToDictionary(c => c.ExternalId);
        Assert.Equal(4, stored.Count);
        Assert.Equal(applied.Conversations.Single(c => c.New.ExternalId == kept.ExternalId).New, stored[kept.ExternalId]);
        Assert.Equal(applied.Conversations.Last(c => c.New.ExternalId == moved.ExternalId).New, stored[moved.ExternalId]);
        Assert.Equal(T0.AddDays(-2), stored[moved.ExternalId].CreatedAt);
        Assert.Equal(T0.AddDays(-4), stored[fresh.ExternalId].CreatedAt);
        Assert.Equal(page[2].ExternalId, stored[page[2].ExternalId].ExternalId);

        var range = store.ReadForExport("src", T0.AddDays(-6), T0.AddDays(-1)).Select(r => r.Conversation.ExternalId).ToList();
        Assert.Equal([fresh.ExternalId, moved.ExternalId], range);
    }

    [Fact]
    public void Apply_IgnoresAVersionOlderThanTheStoredOne()
    {
        using var store = Open(_dir.File("s.db"));
        var created = Page(0, 1)[0];
        var solved = created.Solved(TimeSpan.FromMinutes(5));
        store.Apply("src", Batch("c1", [solved]), T0);

        var stale = store.Apply("src", Batch("c0", [created]), T0);

        Assert.Empty(stale.Conversations);
        Assert.Equal(ConversationStatus.Solved, store.ReadConversations().Single().Status);
    }

    [Fact]
    public void Apply_RoundTripsEveryField()
    {
        using var store = Open(_dir.File("s.db"));
        var full = Conversation("full", T0.AddTicks(12_345)) with
        {
            Channel = Channels.Email,
            Status = ConversationStatus.Closed,
            Priority = "high",
            TicketType = "incident",
            Team = "tech",
            RequesterId = "cust-1",
            AssigneeId = "agent-7",
            FirstResponseAt = T0.AddSeconds(9),
            FirstResponderKind = ResponderKind.Bot,
            FirstHumanResponseAt = T0.AddMinutes(3),
            FirstResolvedAt = T0.AddMinutes(20),
            ResolvedAt = T0.AddMinutes(40),
            ClosedAt = T0.AddHours(5),
            AgentPublicReplies = 2,
            Reopens = 1,
            HandleTime = TimeSpan.FromSeconds(610.5),
            WaitingOnCustomer = TimeSpan.FromMinutes(12),
            UpdatedAt = T0.AddHours(5),
        };
        var survey = Csat("s1", 4, T0.AddHours(1)) with { ConversationId = "full", AgentId = "agent-7", Team = "tech" };

        var applied = store.Apply("src", new SourceBatch { Conversations = [full], Surveys = [survey], Cursor = "c" }, T0);

        Assert.Equal(applied.Conversations.Single().New, store.ReadConversations().Single());
        Assert.Equal(applied.Surveys.Single().New, store.ReadSurveys().Single());
        Assert.Equal(T0.AddMilliseconds(1), store.ReadConversations().Single().CreatedAt); // stored to the millisecond
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

    /// <summary>A replica that takes one source over reads that source's rows only, of every kind.</summary>
    [Fact]
    public void ReadsOfOneSource_GiveThatSourcesRowsOnly()
    {
        using var store = Open(_dir.File("s.db"));
        foreach (var source in new[] { "a", "b" })
        {
            store.Apply(source, new SourceBatch
            {
                Conversations = Page(0, source == "a" ? 3 : 5),
                Surveys = [Csat($"s-{source}", 4, T0)],
                Messages = [new MessageEvent { Source = source, ExternalId = $"m-{source}", ConversationId = "t00000", At = T0, Channel = Channels.WhatsApp, Direction = MessageDirection.Inbound, Author = AuthorKind.Customer }],
                Cursor = "c1",
            }, T0);
        }

        Assert.Equal(3, store.ReadConversations("a").Count());
        Assert.All(store.ReadConversations("b"), c => Assert.Equal("b", c.Source));
        Assert.Equal(5, store.ReadConversations("b").Count());
        Assert.Equal(8, store.ReadConversations().Count());
        Assert.Equal("s-a", Assert.Single(store.ReadSurveys("a")).ExternalId);
        Assert.Equal("m-b", Assert.Single(store.ReadMessages("b")).ExternalId);
        Assert.Empty(store.ReadConversations("c"));
    }

    [Fact]
    public void FailedBatch_RollsBackRecordsAndCursorTogether()
    {
        using var store = Open(_dir.File("s.db"));
        store.Apply("src", Batch("cursor-1", Page(0, 10)), T0);
        var broken = new BlockingList<Conversation>(Page(10, 20), blockAt: 5, null, null) { Fail = true };

        Assert.Throws<IOException>(() => store.Apply("src", Batch("cursor-2", broken), T0));

        Assert.Equal("cursor-1", store.GetCheckpoint("src")!.Cursor);
        Assert.Equal(10, store.CountRecords()["conversation"]);
        Assert.Equal(10, store.ReadConversations().Count());
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

    /// <summary>A page that stops in its middle (signalling the test), then either goes on or fails as the test says.</summary>
    private sealed class BlockingList<T>(List<T> items, int blockAt, SemaphoreSlim? reached, SemaphoreSlim? resume) : IReadOnlyList<T>
    {
        public bool Fail { get; set; }

        public int Yielded { get; private set; }

        public int Count => items.Count;

        public T this[int index] => items[index];

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (i == blockAt)
                {
                    reached?.Release();
                    resume?.Wait();
                    if (Fail)
                    {
                        throw new IOException("the process died here");
                    }
                }

                Yielded = i + 1;
                yield return items[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
