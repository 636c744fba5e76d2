using KpiCollector.Core.Sla;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KpiCollector.Storage;

/// <summary>
/// Records SLA outcomes with multi-row <c>INSERT OR IGNORE ... RETURNING</c> statements prepared once per connection
/// on its native handle and bound by position (as <see cref="ConversationWriter"/>: Microsoft.Data.Sqlite would look
/// each parameter up by name), <see cref="RowsPerStatement"/> outcomes each, inside the caller's transaction. The
/// statement returns the identities it inserted (an ignored row, recorded before, returns nothing), so the caller
/// learns which outcomes are new without a statement per outcome.
/// </summary>
internal sealed class OutcomeWriter : IDisposable
{
    /// <summary>Outcomes per statement: 100 × 9 parameters.</summary>
    public const int RowsPerStatement = 100;

    private const int Columns = 9;
    private readonly sqlite3 _db;
    private readonly Dictionary<int, sqlite3_stmt> _statements = [];
    private readonly Dictionary<(string Policy, string Source, string ConversationId, long Start), int> _firstOf = [];
    private readonly List<int> _insertedAt = [];

    public OutcomeWriter(SqliteConnection connection) => _db = connection.Handle!;

    /// <summary>
    /// Inserts the outcomes whose identity is not recorded yet, and adds those (the first of the same identity in the
    /// list, as one insert after the other would) to <paramref name="inserted"/>, in the given order.
    /// </summary>
    public void Insert(IReadOnlyList<SlaOutcome> outcomes, long recordedAtMs, List<SlaOutcome> inserted)
    {
        for (var from = 0; from < outcomes.Count; from += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, outcomes.Count - from);
            var s = Statement(count);
            _firstOf.Clear();
            for (var i = 0; i < count; i++)
            {
                var o = outcomes[from + i];
                _firstOf.TryAdd((o.Policy, o.Source, o.ConversationId, o.Start.ToUnixTimeMilliseconds()), from + i);
                Bind(s, i * Columns, o, recordedAtMs);
            }

            _insertedAt.Clear();
            int rc;
            while ((rc = raw.sqlite3_step(s)) == raw.SQLITE_ROW)
            {
                var identity = (raw.sqlite3_column_text(s, 0).utf8_to_string(), raw.sqlite3_column_text(s, 1).utf8_to_string(),
                    raw.sqlite3_column_text(s, 2).utf8_to_string(), raw.sqlite3_column_int64(s, 3));
                _insertedAt.Add(_firstOf[identity]);
            }

            raw.sqlite3_reset(s);
            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }

            _insertedAt.Sort(); // RETURNING gives its rows in no set order
            foreach (var at in _insertedAt)
            {
                inserted.Add(outcomes[at]);
            }
        }
    }

    public void Dispose()
    {
        foreach (var stmt in _statements.Values)
        {
            stmt.Dispose();
        }

        _statements.Clear();
    }

    private static void Bind(sqlite3_stmt s, int at, SlaOutcome o, long recordedAtMs)
    {
        raw.sqlite3_bind_text(s, at + 1, o.Policy);
        raw.sqlite3_bind_text(s, at + 2, o.Source);
        raw.sqlite3_bind_text(s, at + 3, o.ConversationId);
        raw.sqlite3_bind_int64(s, at + 4, o.Start.ToUnixTimeMilliseconds());
        raw.sqlite3_bind_int64(s, at + 5, o.Met ? 1 : 0);
        raw.sqlite3_bind_int64(s, at + 6, o.DecidedAt.ToUnixTimeMilliseconds());
        raw.sqlite3_bind_text(s, at + 7, o.Channel);
        if (o.Team is null)
        {
            raw.sqlite3_bind_null(s, at + 8);
        }
        else
        {
            raw.sqlite3_bind_text(s, at + 8, o.Team);
        }

        raw.sqlite3_bind_int64(s, at + 9, recordedAtMs);
    }

    private sqlite3_stmt Statement(int rows)
    {
        if (_statements.TryGetValue(rows, out var stmt))
        {
            return stmt;
        }

        var values = string.Join(", ", Enumerable.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows));
        var sql = $"""
            INSERT OR IGNORE INTO sla_outcomes (policy, source, conversation_id, start, met, decided_at, channel, team, recorded_at)
            VALUES {values} RETURNING policy, source, conversation_id, start;
            """;
        var rc = raw.sqlite3_prepare_v2(_db, sql, out stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        _statements[rows] = stmt;
        return stmt;
    }
}
