using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using Npgsql;

namespace KpiCollector.Storage.Postgres;

/// <summary>
/// The full reads (the rebuild at start and a replica's takeover of a source), with the quarantine of rows that cannot
/// be read back (as the SQLite store: moved, in one transaction, to <c>quarantine</c>, logged and counted), the
/// drill-down's and the export's reads, the webhook inbox, the REST connector's state and the open set.
/// </summary>
public sealed partial class PostgresStore
{
    private const string Unanswered = "status < 4 AND first_response_at IS NULL AND first_human_response_at IS NULL";

    public IEnumerable<Conversation> ReadConversations(string? source = null) =>
        ReadChecked(ConversationShape, $"SELECT {ConversationRows.Columns} FROM conversations{Where(source)} ORDER BY created_at;", ConversationRows.Read, source);

    public IEnumerable<SurveyResponse> ReadSurveys(string? source = null) =>
        ReadChecked(SurveyShape, $"SELECT {ConversationRows.SurveyColumns} FROM surveys{Where(source)};", ConversationRows.ReadSurvey, source);

    public IEnumerable<MessageEvent> ReadMessages(string? source = null) => ReadRecords<MessageEvent>(RecordKinds.Message, source);

    public IEnumerable<AgentActivity> ReadAgentActivities(string? source = null) => ReadRecords<AgentActivity>(RecordKinds.AgentActivity, source);

    public IEnumerable<CostEntry> ReadCosts(string? source = null) => ReadRecords<CostEntry>(RecordKinds.Cost, source);

    public IEnumerable<MessagingUsage> ReadUsage(string? source = null) => ReadRecords<MessagingUsage>(RecordKinds.Usage, source);

    public IEnumerable<CustomerCount> ReadCustomers(string? source = null) => ReadRecords<CustomerCount>(RecordKinds.Customers, source);

    public IEnumerable<SlaOutcome> ReadOutcomes(string? source = null) =>
        ReadChecked(OutcomeShape, $"SELECT policy, source, conversation_id, start, met, decided_at, channel, team FROM sla_outcomes{Where(source)};", SlaRows.Read, source);

    private static string Where(string? source) => source is null ? "" : " WHERE source = $1";

    private IEnumerable<T> ReadRecords<T>(string kind, string? source) =>
        ReadChecked(RecordShape(kind), $"SELECT kind, source, external_id, payload FROM records WHERE kind = '{kind}'{(source is null ? "" : " AND source = $1")};",
            r => JsonSerializer.Deserialize<T>(r.GetString(3), Json)!, source);

    public IEnumerable<StoredConversation> ReadForExport(string? source, DateTimeOffset? from, DateTimeOffset? to)
    {
        var sql = $"""
            SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c
            WHERE ($1::text IS NULL OR source = $1) AND ($2::bigint IS NULL OR created_at >= $2) AND ($3::bigint IS NULL OR created_at < $3)
            ORDER BY created_at, source, external_id;
            """;
        return ReadAll(sql, StoredRows.ReadWithOutcomes, (object?)source ?? DBNull.Value,
            from is { } f ? f.ToUnixTimeMilliseconds() : DBNull.Value, to is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value);
    }

    public IReadOnlyList<StoredConversation> ReadUnanswered(ConversationFilter filter, int limit, bool oldestPerSource = false)
    {
        const string filters = "($1::text IS NULL OR source = $1) AND ($2::text IS NULL OR channel = $2) AND ($3::text IS NULL OR team = $3)";
        var sql = oldestPerSource
            ? $"""
                SELECT * FROM (SELECT DISTINCT ON (source) {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c
                WHERE {Unanswered} AND {filters} ORDER BY source, created_at, external_id) oldest ORDER BY created_at LIMIT $4;
                """
            : $"SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c WHERE {Unanswered} AND {filters} ORDER BY created_at, source, external_id LIMIT $4;";
        return ReadAll(sql, StoredRows.ReadWithOutcomes, (object?)filter.Source ?? DBNull.Value, (object?)filter.Channel ?? DBNull.Value,
            (object?)filter.Team ?? DBNull.Value, limit).ToList();
    }

    public IReadOnlyDictionary<(string Source, string Id), StoredConversation> ReadConversations(IEnumerable<(string Source, string Id)> keys)
    {
        var found = new Dictionary<(string, string), StoredConversation>();
        foreach (var group in keys.Distinct().GroupBy(k => k.Source, StringComparer.Ordinal))
        {
            var sql = $"SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c WHERE source = $1 AND external_id = ANY($2);";
            foreach (var row in ReadAll(sql, StoredRows.ReadWithOutcomes, group.Key, group.Select(k => k.Id).ToArray()))
            {
                found[(row.Conversation.Source, row.Conversation.ExternalId)] = row;
            }
        }

        return found;
    }

    public IReadOnlyDictionary<string, Conversation> OpenConversations(string source)
    {
        var open = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var c in ReadAll($"SELECT {ConversationRows.Columns} FROM conversations WHERE source = $1 AND status NOT IN ($2, $3);", ConversationRows.Read,
            source, (int)ConversationStatus.Solved, (int)ConversationStatus.Closed))
        {
            open[c.ExternalId] = c;
        }

        return open;
    }

    /// <summary>The decided outcomes of the row's conversation, one string: fields split by 0x1f, outcomes by 0x1e.</summary>
    private const string OutcomesOfRow =
        "(SELECT string_agg(o.policy || chr(31) || o.start || chr(31) || o.met || chr(31) || o.decided_at, chr(30)) " +
        "FROM sla_outcomes o WHERE o.source = c.source AND o.conversation_id = c.external_id)";

    // --- the webhook inbox

    /// <summary>
    /// Appends a delivery; completes once committed. Appends of one source take a transaction-scoped advisory lock, so
    /// their positions are in commit order even when several replicas receive the same source's webhooks: a poll
    /// reading after position N never misses a lower position committed later.
    /// </summary>
    public async Task<long> AppendToInboxAsync(string source, DateTimeOffset receivedAt, string events)
    {
        await using var connection = await Db.OpenConnectionAsync().ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using (var lockSource = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('inbox:' || $1));", connection, tx))
        {
            lockSource.Parameters.AddWithValue(source);
            await lockSource.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await using var cmd = new NpgsqlCommand("INSERT INTO webhook_inbox (source, received_at, events) VALUES ($1, $2, $3) RETURNING seq;", connection, tx);
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(receivedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue(events);
        var seq = (long)(await cmd.ExecuteScalarAsync().ConfigureAwait(false))!;
        await tx.CommitAsync().ConfigureAwait(false);
        return seq;
    }

    public IReadOnlyList<InboxDelivery> ReadInbox(string source, long afterSeq, int limit) =>
        ReadAll("SELECT seq, received_at, events FROM webhook_inbox WHERE source = $1 AND seq > $2 ORDER BY seq LIMIT $3;",
            r => new InboxDelivery(r.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.GetString(2)), source, afterSeq, limit).ToList();

    public int PruneInbox(string source, DateTimeOffset before, long processedUpTo)
    {
        using var cmd = Db.CreateCommand("DELETE FROM webhook_inbox WHERE source = $1 AND received_at < $2 AND seq <= $3;");
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(before.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue(processedUpTo);
        return cmd.ExecuteNonQuery();
    }

    public long CountInbox(string source)
    {
        using var cmd = Db.CreateCommand("SELECT count(*) FROM webhook_inbox WHERE source = $1;");
        cmd.Parameters.AddWithValue(source);
        return (long)cmd.ExecuteScalar()!;
    }

    // --- the REST connector's state

    public string? Get(string source, string key)
    {
        using var cmd = Db.CreateCommand("SELECT value FROM rest_state WHERE source = $1 AND key = $2;");
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(key);
        return cmd.ExecuteScalar() as string;
    }

    public void Set(string source, string key, string value)
    {
        using var cmd = Db.CreateCommand("INSERT INTO rest_state (source, key, value) VALUES ($1, $2, $3) ON CONFLICT (source, key) DO UPDATE SET value = excluded.value;");
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(key);
        cmd.Parameters.AddWithValue(value);
        cmd.ExecuteNonQuery();
    }

    // --- quarantine

    public IReadOnlyList<QuarantinedRecord> ReadQuarantine() =>
        ReadAll("SELECT kind, source, external_id, reason, row, quarantined_at FROM quarantine ORDER BY quarantined_at, kind, source, external_id;",
            r => new QuarantinedRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)))).ToList();

    /// <summary>Where a kind of row lives, and which of the query's first columns make its key.</summary>
    private sealed record RowShape(string Kind, string Table, string[] KeyColumns, int SourceColumn, Func<object[], string> IdOf);

    private static readonly RowShape ConversationShape = new("conversation", "conversations", ["source", "external_id"], 0, k => Text(k[1]));

    private static readonly RowShape SurveyShape = new("survey", "surveys", ["source", "external_id"], 0, k => Text(k[1]));

    private static readonly RowShape OutcomeShape =
        new("sla_outcome", "sla_outcomes", ["policy", "source", "conversation_id", "start"], 1, k => $"{Text(k[2])}/{Text(k[0])}/{Text(k[3])}");

    private static RowShape RecordShape(string kind) => new(kind, "records", ["kind", "source", "external_id"], 1, k => Text(k[2]));

    /// <summary>Streams the rows <paramref name="read"/> can turn into records; the others are quarantined once the read is over.</summary>
    private IEnumerable<T> ReadChecked<T>(RowShape shape, string sql, Func<DbDataReader, T> read, string? source)
    {
        var damaged = new List<(object[] Key, string Reason, string Row)>();
        object[] parameters = source is null ? [] : [source];
        foreach (var (record, row) in ReadAll(sql, r => StoredRows.TryRead(r, shape.KeyColumns.Length, read), parameters))
        {
            if (row is null)
            {
                yield return record!;
            }
            else
            {
                damaged.Add(row.Value);
            }
        }

        if (damaged.Count > 0)
        {
            Quarantine(shape, damaged);
        }
    }

    private void Quarantine(RowShape shape, List<(object[] Key, string Reason, string Row)> damaged)
    {
        using var connection = Db.OpenConnection();
        using var tx = connection.BeginTransaction();
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var where = new StringBuilder();
        for (var i = 0; i < shape.KeyColumns.Length; i++)
        {
            where.Append(i == 0 ? "" : " AND ").Append(CultureInfo.InvariantCulture, $"{shape.KeyColumns[i]} = ${i + 1}");
        }

        foreach (var (key, reason, row) in damaged)
        {
            var source = Text(key[shape.SourceColumn]);
            var id = shape.IdOf(key);
            using (var insert = new NpgsqlCommand("""
                INSERT INTO quarantine (kind, source, external_id, reason, row, quarantined_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (kind, source, external_id) DO UPDATE SET reason = excluded.reason, row = excluded.row, quarantined_at = excluded.quarantined_at;
                """, connection, tx))
            {
                insert.Parameters.AddWithValue(shape.Kind);
                insert.Parameters.AddWithValue(source);
                insert.Parameters.AddWithValue(id);
                insert.Parameters.AddWithValue(reason);
                insert.Parameters.AddWithValue(row);
                insert.Parameters.AddWithValue(at);
                insert.ExecuteNonQuery();
            }

            using (var delete = new NpgsqlCommand($"DELETE FROM {shape.Table} WHERE {where};", connection, tx))
            {
                foreach (var k in key)
                {
                    delete.Parameters.AddWithValue(k);
                }

                delete.ExecuteNonQuery();
            }

            Log.RecordQuarantined(_logger, shape.Kind, source, id, reason);
        }

        tx.Commit();
        Recount();
        LoadQuarantineCounts();
    }

    private void LoadQuarantineCounts()
    {
        var counts = new Dictionary<(string, string), long>();
        foreach (var (source, kind, count) in ReadAll("SELECT source, kind, count(*) FROM quarantine GROUP BY source, kind;", r => (r.GetString(0), r.GetString(1), r.GetInt64(2))))
        {
            counts[(source, kind)] = count;
        }

        _quarantined = counts;
    }

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
