using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using KpiCollector.Storage;
using KpiCollector.Storage.Postgres;
using KpiCollector.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Storage;

/// <summary>
/// What only the PostgreSQL store does: fenced commits, several stores (replicas) on one database, concurrent commits,
/// migrations racing, the quarantine of a damaged payload, and a password that never reaches an error.
/// </summary>
[Trait("Category", "Integration")] // starts PostgreSQL: the full suite, not the quick loop
public sealed class PostgresStoreTests : IDisposable
{
    private readonly string _database = PostgresServer.Shared.CreateDatabase("pgstore");
    private readonly List<IStore> _stores = [];

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    [Fact]
    public void AFencedCommit_GoesInWithTheCurrentLease_AndIsRefusedWhole_WithAStaleTokenOrAnExpiredLease()
    {
        var fences = new Fences();
        var store = Open(fences);
        Lease("src", "replica-a", token: 2, expiresIn: TimeSpan.FromMinutes(1));

        fences.Set("src", new SourceFence("replica-a", 2));
        store.Apply("src", Batch("cursor-1", "t1"), T0);
        Assert.Equal("cursor-1", store.GetCheckpoint("src")!.Cursor);

        // Another replica took the source over (token 3): replica-a's next page is refused, nothing of it written.
        Lease("src", "replica-b", token: 3, expiresIn: TimeSpan.FromMinutes(1));
        var refused = Assert.Throws<FencedOutException>(() => store.Apply("src", Batch("cursor-2", "t2"), T0, _ => [Outcome("t2")]));
        Assert.Equal("src", refused.SourceName);
        Assert.Equal("cursor-1", store.GetCheckpoint("src")!.Cursor);
        Assert.Equal(["t1"], store.ReadConversations().Select(c => c.ExternalId));
        Assert.Empty(store.ReadOutcomes());
        Assert.Throws<FencedOutException>(() => store.RecordOutcomes([Outcome("t1")], T0));

        // The lease of the current owner ran out: refused too, until renewed.
        fences.Set("src", new SourceFence("replica-b", 3));
        Lease("src", "replica-b", token: 3, expiresIn: TimeSpan.FromSeconds(-1));
        Assert.Throws<FencedOutException>(() => store.Apply("src", Batch("cursor-2", "t2"), T0));
        Lease("src", "replica-b", token: 3, expiresIn: TimeSpan.FromMinutes(1));
        store.Apply("src", Batch("cursor-2", "t2"), T0);
        Assert.Single(store.RecordOutcomes([Outcome("t2")], T0));
        Assert.Equal(2, store.ReadConversations().Count());
    }

    [Fact]
    public async Task TwoStoresOnOneDatabase_CommitInParallel_AndSeeEachOthersCommits()
    {
        var a = Open();
        var b = Open();

        await Task.WhenAll(
            Task.Run(() => Enumerable.Range(0, 20).ToList().ForEach(i => a.Apply("a", Batch($"a-{i}", $"a{i}"), T0))),
            Task.Run(() => Enumerable.Range(0, 20).ToList().ForEach(i => b.Apply("b", Batch($"b-{i}", $"b{i}"), T0))));

        Assert.Equal(40, a.ReadConversations().Count());
        Assert.Equal(20, b.ReadConversations("a").Count());
        Assert.Equal("a-19", b.GetCheckpoint("a")!.Cursor);
        Assert.Equal("b-19", a.GetCheckpoint("b")!.Cursor);
        var inbox = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => (i % 2 == 0 ? a : b).AppendToInboxAsync("wa", T0, $"[{i}]")));
        Assert.Equal(30, inbox.Distinct().Count());
        Assert.Equal(inbox.Order(), a.ReadInbox("wa", 0, 100).Select(d => d.Seq));
    }

    [Fact]
    public async Task StoresOpenedTogether_OnAFreshDatabase_MigrateItOnce()
    {
        var database = PostgresServer.Shared.CreateDatabase("race");
        var stores = Enumerable.Range(0, 4).Select(_ => Track(new PostgresStore(database, NullLogger<PostgresStore>.Instance))).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(s.Open)));

        await using var db = NpgsqlDataSource.Create(database);
        await using var cmd = db.CreateCommand("SELECT count(*), max(version) FROM schema_version;");
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        Assert.Equal(1, r.GetInt64(0));
        Assert.Equal(1, r.GetInt32(1));
        Assert.All(stores, s => Assert.True(s.IsOpen));
    }

    [Fact]
    public void ADamagedPayload_IsQuarantinedByTheRead_AndTheOthersAreGiven()
    {
        var store = Open();
        store.Apply("src", new SourceBatch
        {
            Messages = [Message("m1"), Message("m2")],
            Cursor = "c1",
        }, T0);
        Execute("UPDATE records SET payload = '{not json' WHERE external_id = 'm1';");

        Assert.Equal(["m2"], store.ReadMessages().Select(m => m.ExternalId));
        var quarantined = Assert.Single(store.ReadQuarantine());
        Assert.Equal(("message", "src", "m1"), (quarantined.Kind, quarantined.Source, quarantined.ExternalId));
        Assert.StartsWith("JsonException", quarantined.Reason, StringComparison.Ordinal);
        Assert.Equal(1, store.CountQuarantined("src")["message"]);
        Assert.Equal(["m2"], store.ReadMessages().Select(m => m.ExternalId)); // moved out: the next read is clean
    }

    [Fact]
    public void AStoreThatCannotConnect_NamesTheKey_AndNeverThePassword()
    {
        const string password = "pg-Pa55-never-shown-7c1e";
        var unreachable = $"Host=127.0.0.1;Port=1;Database=none;Username=kpicollector;Password={password};Timeout=3";
        using var store = new PostgresStore(unreachable, NullLogger<PostgresStore>.Instance);

        var ex = Assert.Throws<InvalidOperationException>(store.Open);

        Assert.StartsWith("KpiCollector:Store:ConnectionString: cannot open the store at postgres://127.0.0.1:1/none (user kpicollector)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, store.Location, StringComparison.Ordinal);
        Assert.False(store.IsOpen);
    }

    private PostgresStore Open(ISourceFences? fences = null)
    {
        var store = Track(new PostgresStore(_database, NullLogger<PostgresStore>.Instance, fences));
        store.Open();
        return store;
    }

    private PostgresStore Track(PostgresStore store)
    {
        _stores.Add(store);
        return store;
    }

    private void Lease(string source, string owner, long token, TimeSpan expiresIn) =>
        Execute($"""
            INSERT INTO source_leases (source, owner, token, expires_at) VALUES ('{source}', '{owner}', {token}, now() + interval '{(long)expiresIn.TotalMilliseconds} milliseconds')
            ON CONFLICT (source) DO UPDATE SET owner = excluded.owner, token = excluded.token, expires_at = excluded.expires_at;
            """);

    private void Execute(string sql)
    {
        using var db = NpgsqlDataSource.Create(_database);
        using var cmd = db.CreateCommand(sql);
        cmd.ExecuteNonQuery();
    }

    private static SourceBatch Batch(string cursor, string id) =>
        new() { Conversations = [Conversation(id, T0.AddMinutes(-5))], Cursor = cursor, Watermark = T0 };

    private static SlaOutcome Outcome(string conversation) => new()
    {
        Policy = "frt", Source = "src", ConversationId = conversation, Start = T0, Met = true, DecidedAt = T0.AddMinutes(1), Channel = Channels.WhatsApp,
    };

    private static MessageEvent Message(string id) => new()
    {
        Source = "src", ExternalId = id, ConversationId = "t1", At = T0, Direction = MessageDirection.Inbound, Author = AuthorKind.Customer, Channel = Channels.WhatsApp,
    };

    private sealed class Fences : ISourceFences
    {
        private readonly Dictionary<string, SourceFence> _fences = [];

        public void Set(string source, SourceFence fence) => _fences[source] = fence;

        public SourceFence? FenceOf(string source) => _fences.GetValueOrDefault(source);
    }
}
