using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

public sealed partial class SqliteStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>Upserts records kept as JSON payloads; the last version wins, an identical one changes nothing.</summary>
    private List<RecordChange<T>> UpsertRecords<T>(string kind, string source, IReadOnlyList<T> records, Func<T, string> idOf, SqliteTransaction tx)
        where T : class
    {
        var changes = new List<RecordChange<T>>(records.Count);
        if (records.Count == 0)
        {
            return changes;
        }

        using var select = Connection.CreateCommand();
        select.Transaction = tx;
        select.CommandText = "SELECT payload FROM records WHERE kind = $kind AND source = $source AND external_id = $id;";
        select.Parameters.AddWithValue("$kind", kind);
        select.Parameters.AddWithValue("$source", source);
        var selectId = select.Parameters.Add(new SqliteParameter("$id", SqliteType.Text));
        using var upsert = Connection.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT OR REPLACE INTO records (kind, source, external_id, payload) VALUES ($kind, $source, $id, $payload);";
        upsert.Parameters.AddWithValue("$kind", kind);
        upsert.Parameters.AddWithValue("$source", source);
        var upsertId = upsert.Parameters.Add(new SqliteParameter("$id", SqliteType.Text));
        var payload = upsert.Parameters.Add(new SqliteParameter("$payload", SqliteType.Text));

        foreach (var record in records)
        {
            var json = JsonSerializer.Serialize(StoredRows.WithSource(record, source), Json);
            var current = JsonSerializer.Deserialize<T>(json, Json)!; // exactly what a later read gives back
            selectId.Value = upsertId.Value = idOf(current);
            var oldJson = select.ExecuteScalar() as string;
            var old = oldJson is null ? null : JsonSerializer.Deserialize<T>(oldJson, Json);
            if (old is not null && old.Equals(current))
            {
                continue;
            }

            payload.Value = json;
            upsert.ExecuteNonQuery();
            changes.Add(new RecordChange<T>(old, current));
        }

        return changes;
    }

    private IEnumerable<T> ReadRecords<T>(string kind, string? source) =>
        ReadChecked(RecordShape(kind), $"SELECT kind, source, external_id, payload FROM records WHERE kind = '{kind}'{OfSource(source)};", r => JsonSerializer.Deserialize<T>(r.GetString(3), Json)!, source);

    /// <summary>
    /// New CSAT answers are copied onto their conversations (a new version each), for the quality score: onto the
    /// page's last version of a conversation the page changes (its row is written with the page), else onto the
    /// stored one.
    /// </summary>
    private List<RecordChange<Conversation>> JoinCsat(string source, List<RecordChange<SurveyResponse>> surveys, List<RecordChange<Conversation>> applied, PendingRows rows, SqliteTransaction tx)
    {
        var joined = new List<RecordChange<Conversation>>();
        foreach (var s in surveys.Select(c => c.New).Where(s => s.Kind == SurveyKind.Csat && s.Score is not null && s.ConversationId is not null))
        {
            var inBatch = rows.Contains(s.ConversationId!) ? applied.FindLastIndex(c => c.New.ExternalId == s.ConversationId) : -1;
            var old = inBatch >= 0 ? applied[inBatch].New : ReadConversation(source, s.ConversationId!, tx);
            if (old is null)
            {
                continue; // the conversation arrives later and picks the answer up then
            }

            var csat = new SurveyScore(s.Score!.Value, s.ScaleMin, s.ScaleMax);
            if (old.Csat == csat)
            {
                continue;
            }

            var current = old with { Csat = csat };
            if (inBatch >= 0)
            {
                applied[inBatch] = applied[inBatch] with { New = current };
                rows.Set(current, stored: null);
            }
            else
            {
                WriteConversation(current, tx);
                joined.Add(new RecordChange<Conversation>(old, current));
            }
        }

        return joined;
    }

    /// <summary>Stored versions of the given conversations, read in chunks of <see cref="ConversationReader.IdsPerStatement"/> ids.</summary>
    private Dictionary<string, Conversation> LoadConversations(string source, IEnumerable<string> ids)
    {
        var stored = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        (_conversationReader ??= new ConversationReader(Connection)).Read(source, ids.Distinct(StringComparer.Ordinal).ToList(), stored);
        return stored;
    }

    /// <summary>The latest stored CSAT answer of each given conversation (for conversations new to the store).</summary>
    private Dictionary<string, SurveyScore> LoadCsatAnswers(string source, IEnumerable<string> conversationIds, SqliteTransaction tx)
    {
        var answers = new Dictionary<string, SurveyScore>(StringComparer.Ordinal);
        foreach (var chunk in conversationIds.Distinct(StringComparer.Ordinal).Chunk(ChunkSize))
        {
            using var cmd = InQuery(
                "SELECT conversation_id, score, scale_min, scale_max FROM surveys INDEXED BY surveys_by_conversation WHERE source = $source AND conversation_id IN",
                "AND kind = 0 AND score IS NOT NULL ORDER BY responded_at", source, chunk, tx);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                answers[r.GetString(0)] = new SurveyScore(r.GetDouble(1), r.GetDouble(2), r.GetDouble(3)); // latest last
            }
        }

        return answers;
    }

    private const int ChunkSize = 500;

    private SqliteCommand InQuery(string head, string tail, string source, string[] ids, SqliteTransaction tx)
    {
        var cmd = Connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"{head} ({string.Join(", ", ids.Select((_, i) => "$id" + i))}) {tail};";
        cmd.Parameters.AddWithValue("$source", source);
        for (var i = 0; i < ids.Length; i++)
        {
            cmd.Parameters.AddWithValue("$id" + i, ids[i]);
        }

        return cmd;
    }

    private Conversation? ReadConversation(string source, string id, SqliteTransaction tx)
    {
        using var cmd = Connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {ConversationRows.Columns} FROM conversations WHERE source = $source AND external_id = $id;";
        cmd.Parameters.AddWithValue("$source", source);
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ConversationRows.Read(r) : null;
    }

    private void WriteConversation(Conversation c, SqliteTransaction tx)
    {
        using var cmd = Connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT OR REPLACE INTO conversations ({ConversationRows.Columns}) VALUES ({Parameters(ConversationRows.Columns)});";
        ConversationRows.Declare(cmd, ConversationRows.Columns);
        ConversationRows.Bind(cmd.Parameters, c);
        cmd.ExecuteNonQuery();
    }

    /// <summary>INSERT OR IGNORE, inside the open transaction: an outcome already recorded stays as it was; returns the ones recorded now.</summary>
    private List<SlaOutcome> InsertOutcomes(IEnumerable<SlaOutcome> outcomes, DateTimeOffset recordedAt)
    {
        var given = outcomes as IReadOnlyList<SlaOutcome> ?? outcomes.ToList();
        var inserted = new List<SlaOutcome>();
        (_outcomeWriter ??= new OutcomeWriter(Connection)).Insert(given, recordedAt.ToUnixTimeMilliseconds(), inserted);
        for (var i = 0; i < inserted.Count; i++)
        {
            inserted[i] = StoredRows.AsStored(inserted[i]);
        }

        return inserted;
    }
}
