using KpiCollector.Core.Records;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KpiCollector.Storage;

/// <summary>
/// Writes a page's conversation rows with multi-row <c>INSERT ... VALUES (...), (...)</c> statements bound by
/// position. Microsoft.Data.Sqlite binds every parameter by name (a name lookup per parameter per execution, which
/// grows with the number of parameters in a statement), so the hot path prepares its statements on the connection's
/// native handle and binds by index instead: one statement per <see cref="RowsPerStatement"/> rows, inside the
/// caller's transaction. A row whose <c>created_at</c> is the stored one (or that is new) is written by an upsert
/// that updates every other column in place: SQLite then leaves <c>conversations_by_created</c> alone, where
/// <c>INSERT OR REPLACE</c> deletes the old row and every index entry and inserts them again. A row whose
/// <c>created_at</c> moved is replaced as before. Either way the stored row is the given one. See
/// docs/performance.md, "Apply rate".
/// </summary>
internal sealed class ConversationWriter : IDisposable
{
    /// <summary>Rows per multi-row statement: 40 × 25 parameters, well under SQLite's limit of 32,766.</summary>
    public const int RowsPerStatement = 40;

    private readonly sqlite3 _db;
    private readonly Dictionary<(int Rows, bool Replace), sqlite3_stmt> _statements = [];

    /// <summary>Every column but the key and <c>created_at</c>, from the conflicting row.</summary>
    private static readonly string UpdatedColumns = string.Join(", ", ConversationRows.Columns.Split(", ")
        .Where(c => c is not ("source" or "external_id" or "created_at")).Select(c => $"{c} = excluded.{c}"));

    public ConversationWriter(SqliteConnection connection) => _db = connection.Handle!;

    /// <summary>
    /// Writes the rows, one per key. With <paramref name="replace"/> false, every row must be new or keep its stored
    /// <c>created_at</c> (the upsert does not write that column over a stored row).
    /// </summary>
    public void Write(IReadOnlyList<Conversation> rows, bool replace)
    {
        // In key order (one per key, all of one source): the B-tree is walked once from left to right instead of
        // sought afresh at random for every row.
        var sorted = rows.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.ExternalId, b.ExternalId));
        rows = sorted;
        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, rows.Count - start);
            var stmt = Statement(count, replace);
            for (var i = 0; i < count; i++)
            {
                Bind(stmt, i * ConversationRows.ColumnCount, rows[start + i]);
            }

            var rc = raw.sqlite3_step(stmt);
            raw.sqlite3_reset(stmt);
            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
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

    private sqlite3_stmt Statement(int rows, bool replace)
    {
        if (_statements.TryGetValue((rows, replace), out var stmt))
        {
            raw.sqlite3_clear_bindings(stmt);
            return stmt;
        }

        var row = "(" + string.Join(", ", Enumerable.Repeat("?", ConversationRows.ColumnCount)) + ")";
        var values = string.Join(", ", Enumerable.Repeat(row, rows));
        var sql = replace
            ? $"INSERT OR REPLACE INTO conversations ({ConversationRows.Columns}) VALUES {values};"
            : $"INSERT INTO conversations ({ConversationRows.Columns}) VALUES {values} ON CONFLICT (source, external_id) DO UPDATE SET {UpdatedColumns};";
        var rc = raw.sqlite3_prepare_v2(_db, sql, out stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        _statements[(rows, replace)] = stmt;
        return stmt;
    }

    /// <summary>One row's 25 values, in <see cref="ConversationRows.Columns"/> order, from parameter <paramref name="at"/> + 1.</summary>
    private static void Bind(sqlite3_stmt s, int at, Conversation c)
    {
        Text(s, at + 1, c.Source);
        Text(s, at + 2, c.ExternalId);
        Text(s, at + 3, c.Channel);
        raw.sqlite3_bind_int64(s, at + 4, (int)c.Status);
        Text(s, at + 5, c.Priority);
        Text(s, at + 6, c.TicketType);
        Text(s, at + 7, c.Team);
        Text(s, at + 8, c.RequesterId);
        Text(s, at + 9, c.AssigneeId);
        raw.sqlite3_bind_int64(s, at + 10, c.CreatedAt.ToUnixTimeMilliseconds());
        Int(s, at + 11, c.FirstResponseAt?.ToUnixTimeMilliseconds());
        Int(s, at + 12, c.FirstResponderKind is { } k ? (int)k : null);
        Int(s, at + 13, c.FirstHumanResponseAt?.ToUnixTimeMilliseconds());
        Int(s, at + 14, c.FirstResolvedAt?.ToUnixTimeMilliseconds());
        Int(s, at + 15, c.ResolvedAt?.ToUnixTimeMilliseconds());
        Int(s, at + 16, c.ClosedAt?.ToUnixTimeMilliseconds());
        Int(s, at + 17, c.AgentPublicReplies);
        Int(s, at + 18, c.Reopens);
        Int(s, at + 19, c.HandleTime is { } h ? (long)h.TotalMilliseconds : null);
        Int(s, at + 20, c.WaitingOnCustomer is { } w ? (long)w.TotalMilliseconds : null);
        raw.sqlite3_bind_int64(s, at + 21, c.UpdatedAt.ToUnixTimeMilliseconds());
        Int(s, at + 22, c.BotHandoffAt?.ToUnixTimeMilliseconds());
        Real(s, at + 23, c.Csat?.Score);
        Real(s, at + 24, c.Csat?.ScaleMin);
        Real(s, at + 25, c.Csat?.ScaleMax);
    }

    private static void Text(sqlite3_stmt s, int i, string? v)
    {
        if (v is null)
        {
            raw.sqlite3_bind_null(s, i);
        }
        else
        {
            raw.sqlite3_bind_text(s, i, v);
        }
    }

    private static void Int(sqlite3_stmt s, int i, long? v)
    {
        if (v is { } x)
        {
            raw.sqlite3_bind_int64(s, i, x);
        }
        else
        {
            raw.sqlite3_bind_null(s, i);
        }
    }

    private static void Real(sqlite3_stmt s, int i, double? v)
    {
        if (v is { } x)
        {
            raw.sqlite3_bind_double(s, i, x);
        }
        else
        {
            raw.sqlite3_bind_null(s, i);
        }
    }
}
