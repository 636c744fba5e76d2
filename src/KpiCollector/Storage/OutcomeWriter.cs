using KpiCollector.Core.Sla;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KpiCollector.Storage;

/// <summary>
/// Records SLA outcomes with one <c>INSERT OR IGNORE</c> prepared once per connection on its native handle and bound
/// by position (as <see cref="ConversationWriter"/>: Microsoft.Data.Sqlite would look each of the nine parameters up by
/// name for every outcome), inside the caller's transaction.
/// </summary>
internal sealed class OutcomeWriter : IDisposable
{
    private const string Sql = """
        INSERT OR IGNORE INTO sla_outcomes (policy, source, conversation_id, start, met, decided_at, channel, team, recorded_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);
        """;

    private readonly sqlite3 _db;
    private sqlite3_stmt? _statement;

    public OutcomeWriter(SqliteConnection connection) => _db = connection.Handle!;

    /// <summary>Inserts the outcome unless its identity is recorded already; true if it was inserted now.</summary>
    public bool Insert(SlaOutcome o, long recordedAtMs)
    {
        var s = Statement();
        raw.sqlite3_bind_text(s, 1, o.Policy);
        raw.sqlite3_bind_text(s, 2, o.Source);
        raw.sqlite3_bind_text(s, 3, o.ConversationId);
        raw.sqlite3_bind_int64(s, 4, o.Start.ToUnixTimeMilliseconds());
        raw.sqlite3_bind_int64(s, 5, o.Met ? 1 : 0);
        raw.sqlite3_bind_int64(s, 6, o.DecidedAt.ToUnixTimeMilliseconds());
        raw.sqlite3_bind_text(s, 7, o.Channel);
        if (o.Team is null)
        {
            raw.sqlite3_bind_null(s, 8);
        }
        else
        {
            raw.sqlite3_bind_text(s, 8, o.Team);
        }

        raw.sqlite3_bind_int64(s, 9, recordedAtMs);
        var rc = raw.sqlite3_step(s);
        var inserted = rc == raw.SQLITE_DONE && raw.sqlite3_changes(_db) == 1;
        raw.sqlite3_reset(s);
        if (rc != raw.SQLITE_DONE)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        return inserted;
    }

    public void Dispose()
    {
        _statement?.Dispose();
        _statement = null;
    }

    private sqlite3_stmt Statement()
    {
        if (_statement is not null)
        {
            return _statement;
        }

        var rc = raw.sqlite3_prepare_v2(_db, Sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        return _statement = stmt;
    }
}
