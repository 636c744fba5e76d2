using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>
/// Records that cannot be read back (a payload that is not JSON or not the record's shape, a column whose value
/// cannot be what the record needs) are quarantined when the start reads them: moved, in one transaction, from
/// their table to <c>quarantine</c> with their kind, source, id, the reason and the raw row, logged once, counted,
/// and kept out of the engine, so one damaged row never stops the start (docs/runbooks.md, "KpiCollectorRecordsQuarantined").
/// </summary>
public sealed partial class SqliteStore
{
    /// <summary>
    /// The counts as of the last change, replaced whole (never changed in place), so that a scrape reads them without
    /// the store's lock and never waits on a commit (docs/performance.md).
    /// </summary>
    private volatile IReadOnlyDictionary<(string Source, string Kind), long> _quarantined = new Dictionary<(string, string), long>();

    /// <summary>Quarantined records by source and kind (<see cref="RecordKinds"/>, <c>conversation</c>, <c>survey</c>, <c>sla_outcome</c>).</summary>
    public IReadOnlyDictionary<(string Source, string Kind), long> CountQuarantined() => _quarantined;

    /// <summary>Quarantined records of one source, by kind.</summary>
    public IReadOnlyDictionary<string, long> CountQuarantined(string source) =>
        _quarantined.Where(q => q.Key.Source == source).ToDictionary(q => q.Key.Kind, q => q.Value, StringComparer.Ordinal);

    /// <summary>The quarantined records, oldest first (for the runbook's inspection and the tests).</summary>
    public IReadOnlyList<QuarantinedRecord> ReadQuarantine()
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "SELECT kind, source, external_id, reason, row, quarantined_at FROM quarantine ORDER BY quarantined_at, kind, source, external_id;";
            using var r = cmd.ExecuteReader();
            var list = new List<QuarantinedRecord>();
            while (r.Read())
            {
                list.Add(new QuarantinedRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))));
            }

            return list;
        }
    }

    /// <summary>Where a kind of row lives, and which of the query's columns make its key.</summary>
    private sealed record RowShape(string Kind, string Table, string[] KeyColumns, int SourceColumn, Func<object[], string> IdOf);

    private static readonly RowShape ConversationShape =
        new("conversation", "conversations", ["source", "external_id"], 0, k => Text(k[1]));

    private static readonly RowShape SurveyShape =
        new("survey", "surveys", ["source", "external_id"], 0, k => Text(k[1]));

    /// <summary>An SLA outcome's id: its conversation, policy and start (Unix ms).</summary>
    private static readonly RowShape OutcomeShape =
        new("sla_outcome", "sla_outcomes", ["policy", "source", "conversation_id", "start"], 1, k => $"{Text(k[2])}/{Text(k[0])}/{Text(k[3])}");

    private static RowShape RecordShape(string kind) =>
        new(kind, "records", ["kind", "source", "external_id"], 1, k => Text(k[2]));

    /// <summary>
    /// Streams the rows <paramref name="read"/> can turn into records, like <see cref="ReadAll{T}"/>; the query's
    /// first columns are the shape's key. A row that throws is set aside and, once the read is over, quarantined.
    /// </summary>
    private IEnumerable<T> ReadChecked<T>(RowShape shape, string sql, Func<System.Data.Common.DbDataReader, T> read, string? source = null)
    {
        var damaged = new List<(object[] Key, string Reason, string Row)>();
        Action<SqliteParameterCollection>? bind = source is null ? null : p => p.AddWithValue("$source", source);
        foreach (var (record, row) in ReadAll(sql, r => StoredRows.TryRead(r, shape.KeyColumns.Length, read), bind))
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
        lock (_gate)
        {
            using var tx = Connection.BeginTransaction();
            using var insert = Connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT OR REPLACE INTO quarantine (kind, source, external_id, reason, row, quarantined_at)
                VALUES ($kind, $source, $id, $reason, $row, $at);
                """;
            using var delete = Connection.CreateCommand();
            delete.Transaction = tx;
            delete.CommandText = $"DELETE FROM {shape.Table} WHERE "
                + string.Join(" AND ", shape.KeyColumns.Select((c, i) => $"{c} = $k{i.ToString(CultureInfo.InvariantCulture)}")) + ";";
            var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var moved = new List<(string Source, string Id, string Reason)>();
            foreach (var (key, reason, row) in damaged)
            {
                var source = Text(key[shape.SourceColumn]);
                var id = shape.IdOf(key);
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$kind", shape.Kind);
                insert.Parameters.AddWithValue("$source", source);
                insert.Parameters.AddWithValue("$id", id);
                insert.Parameters.AddWithValue("$reason", reason);
                insert.Parameters.AddWithValue("$row", row);
                insert.Parameters.AddWithValue("$at", at);
                insert.ExecuteNonQuery();
                delete.Parameters.Clear();
                for (var i = 0; i < key.Length; i++)
                {
                    delete.Parameters.AddWithValue("$k" + i.ToString(CultureInfo.InvariantCulture), key[i]);
                }

                delete.ExecuteNonQuery();
                moved.Add((source, id, reason));
            }

            tx.Commit();
            foreach (var (source, id, reason) in moved)
            {
                Log.RecordQuarantined(_logger, shape.Kind, source, id, reason);
                switch (shape.Kind)
                {
                    case "conversation": _conversationCount--; break;
                    case "survey": _surveyCount--; break;
                    case "sla_outcome": break;
                    default: _recordCount--; break;
                }
            }

            _counts = CountsOf(_conversationCount, _surveyCount, _recordCount); // the scrape's snapshot
            LoadQuarantineCounts(); // a record quarantined again replaces its earlier entry: count rows, not moves
        }
    }

    /// <summary>Counts what earlier starts quarantined (at open: the counts survive a restart until the runbook clears them).</summary>
    private void LoadQuarantineCounts()
    {
        using var cmd = _connection!.CreateCommand();
        cmd.CommandText = "SELECT source, kind, COUNT(*) FROM quarantine GROUP BY source, kind;";
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<(string, string), long>();
        while (r.Read())
        {
            counts[(r.GetString(0), r.GetString(1))] = r.GetInt64(2);
        }

        _quarantined = counts;
    }

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

/// <summary>A record kept aside because it could not be read: where it came from, why, and its raw row (JSON).</summary>
public sealed record QuarantinedRecord(string Kind, string Source, string ExternalId, string Reason, string Row, DateTimeOffset QuarantinedAt);
