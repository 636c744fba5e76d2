using KpiCollector.Core.Records;
using KpiCollector.Storage;
using KpiCollector.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using static KpiCollector.Tests.Support.Records;

namespace KpiCollector.Tests.Storage;

/// <summary>A store damaged on disk: unreadable records are quarantined, an unopenable file is refused, an empty one is said loudly.</summary>
public sealed class StoreDamageTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LogCapture _logs = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DamagedRows_AreQuarantinedWithTheirIdAndReason_AndTheRestLoads()
    {
        var path = _dir.File("s.db");
        using (var store = Open(path))
        {
            store.Apply("src", Batch("cursor-1"), T0);
        }

        Corrupt(path,
            "UPDATE conversations SET created_at = 9223372036854775807 WHERE external_id = 'c1';", // no instant
            "UPDATE records SET payload = '{not json' WHERE external_id = 'm1';", // not JSON
            "UPDATE records SET payload = '{\"At\": \"yesterday\"}' WHERE external_id = 'm2';", // the wrong type
            "UPDATE surveys SET responded_at = -9223372036854775807 WHERE external_id = 's1';"); // no instant either

        using (var store = Open(path))
        {
            Assert.Equal(["c0", "c2"], store.ReadConversations().Select(c => c.ExternalId).Order().ToArray());
            Assert.Equal(["m3"], store.ReadMessages().Select(m => m.ExternalId).ToArray());
            Assert.Empty(store.ReadSurveys());

            var quarantined = store.ReadQuarantine().ToDictionary(q => (q.Kind, q.ExternalId));
            Assert.Equal(4, quarantined.Count);
            Assert.StartsWith("ArgumentOutOfRangeException", quarantined[("conversation", "c1")].Reason, StringComparison.Ordinal);
            Assert.StartsWith("JsonException", quarantined[(RecordKinds.Message, "m1")].Reason, StringComparison.Ordinal);
            Assert.StartsWith("JsonException", quarantined[(RecordKinds.Message, "m2")].Reason, StringComparison.Ordinal);
            Assert.Contains("9223372036854775807", quarantined[("conversation", "c1")].Row, StringComparison.Ordinal);
            Assert.Contains("not json", quarantined[(RecordKinds.Message, "m1")].Row, StringComparison.Ordinal);
            Assert.All(quarantined.Values, q => Assert.Equal("src", q.Source));
            Assert.Equal(1, store.CountQuarantined("src")["conversation"]);
            Assert.Equal(2, store.CountQuarantined("src")[RecordKinds.Message]);
            Assert.Equal(1, store.CountQuarantined("src")["survey"]);
            Assert.Equal(2, store.CountRecords()["conversation"]);

            // Logged once each, with the id; a second full read finds nothing left to quarantine.
            var lines = _logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Quarantined", StringComparison.Ordinal)).ToList();
            Assert.Equal(4, lines.Count);
            Assert.Contains(lines, l => l.Message.Contains("id c1", StringComparison.Ordinal));
            Assert.Equal(2, store.ReadConversations().Count());
            Assert.Equal(4, _logs.Entries.Count(e => e.Message.StartsWith("Quarantined", StringComparison.Ordinal)));

            // The platform's next version of a quarantined record is stored afresh.
            store.Apply("src", new SourceBatch { Conversations = [Conversation("c1", T0)], Cursor = "cursor-2" }, T0);
            Assert.Contains("c1", store.ReadConversations().Select(c => c.ExternalId));
        }

        using var reopened = Open(path);
        Assert.Equal(4, reopened.CountQuarantined().Values.Sum()); // the count survives a restart
    }

    [Fact]
    public void DamagedSlaOutcome_IsQuarantined()
    {
        var path = _dir.File("s.db");
        using (var store = Open(path))
        {
            store.Apply("src", Batch("cursor-1"), T0);
        }

        Corrupt(path, """
            INSERT INTO sla_outcomes (policy, source, conversation_id, start, met, decided_at, channel, team, recorded_at)
            VALUES ('frt', 'src', 'c0', 1, 1, 9223372036854775807, 'email', NULL, 3);
            """);

        using var reopened = Open(path);
        Assert.Empty(reopened.ReadOutcomes());
        var q = Assert.Single(reopened.ReadQuarantine());
        Assert.Equal(("sla_outcome", "src", "c0/frt/1"), (q.Kind, q.Source, q.ExternalId));
    }

    [Fact]
    public void Open_AFileThatIsNotADatabase_NamesTheFileAndTheKey()
    {
        var path = _dir.File("garbage.db");
        File.WriteAllText(path, new string('x', 8192));
        using var store = new SqliteStore(path, _logs.For<SqliteStore>());

        var ex = Assert.Throws<InvalidOperationException>(store.Open);
        Assert.StartsWith($"KpiCollector:Store:Path: cannot open the store at '{path}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a database", ex.Message, StringComparison.Ordinal);
        Assert.False(store.IsOpen);
    }

    [Fact]
    public void Open_AZeroLengthFile_WarnsNamingTheFile_AndStartsEmpty()
    {
        var path = _dir.File("empty.db");
        File.WriteAllBytes(path, []);

        using var store = Open(path);

        var warning = Assert.Single(_logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(path, warning.Message, StringComparison.Ordinal);
        Assert.Contains("the store file is empty: starting from nothing; if it held data, restore it from a backup", warning.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(store.ReadConversations());
    }

    [Fact]
    public void Open_ANewFile_DoesNotWarn()
    {
        using var store = Open(_dir.File("new.db"));
        Assert.DoesNotContain(_logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private SqliteStore Open(string path)
    {
        var store = new SqliteStore(path, _logs.For<SqliteStore>());
        store.Open();
        return store;
    }

    private static void Corrupt(string path, params string[] statements)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        foreach (var sql in statements)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
    }

    private static SourceBatch Batch(string cursor) => new()
    {
        Conversations = [Conversation("c0", T0), Conversation("c1", T0.AddMinutes(1)), Conversation("c2", T0.AddMinutes(2))],
        Surveys = [Csat("s1", 4, T0.AddMinutes(3))],
        Messages = [Message("m1"), Message("m2"), Message("m3")],
        Cursor = cursor,
    };

    private static MessageEvent Message(string id) => new()
    {
        Source = "src", ExternalId = id, ConversationId = "c0", At = T0, Direction = MessageDirection.Inbound, Author = AuthorKind.Customer,
    };
}
