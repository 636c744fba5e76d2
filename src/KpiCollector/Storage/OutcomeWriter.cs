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

    public OutcomeWriter(SqliteConnection connection) => _db = connection.Handle!;

    /// <summary>
    /// Inserts the outcomes whose identity is not recorded yet, and adds those (the first of the same identity in the
    /// list, as one insert after the other would) to <paramref name="inserted"/>, in the given order.
    /// </summary>
    public void Insert(IReadOnlyList<SlaOutcome> outcomes, long recordedAtMs, List<SlaOutcome> inserted)
    {
        // Inserted in key order (ties in the given order, so the first of an identity stays the first): the B-tree is
        // walked once from left to right instead of sought afresh at random for every row.
        var order = new int[outcomes.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => KeyOrder(outcomes[a], outcomes[b]) is var c && c != 0 ? c : a.CompareTo(b));
        var insertedAt = new List<int>();
        for (var from = 0; from < outcomes.Count; from += RowsPerStatement)
        {
            var count = Math.Min(RowsPerStatement, outcomes.Count - from);
            var s = Statement(count);
            for (var i = 0; i < count; i++)
            {
                Bind(s, i * Columns, outcomes[order[from + i]], recordedAtMs);
            }

            // Each returned identity is found among the statement's rows by a walk that starts after the last one
            // found (SQLite returns them in the order it inserted them, though it does not promise to), without a
            // string decoded or hashed.
            var next = 0;
            int rc;
            while ((rc = raw.sqlite3_step(s)) == raw.SQLITE_ROW)
            {
                var row = Find(s, outcomes, order.AsSpan(from, count), next);
                insertedAt.Add(order[from + row]);
                next = row + 1;
            }

            raw.sqlite3_reset(s);
            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }
        }

        insertedAt.Sort(); // in the given order (RETURNING gives its rows in no set order)
        foreach (var at in insertedAt)
        {
            inserted.Add(outcomes[at]);
        }
    }

    /// <summary>
    /// The statement's row (an index into <paramref name="rows"/>) whose identity the current returned row holds,
    /// looked for from <paramref name="start"/> on, then from the beginning; of rows of the same identity (adjacent in
    /// key order), the first, which is the one SQLite inserted.
    /// </summary>
    private static int Find(sqlite3_stmt s, IReadOnlyList<SlaOutcome> outcomes, ReadOnlySpan<int> rows, int start)
    {
        var startMs = raw.sqlite3_column_int64(s, 3);
        for (var n = 0; n < rows.Length; n++)
        {
            var i = (start + n) % rows.Length;
            var o = outcomes[rows[i]];
            if (o.Start.ToUnixTimeMilliseconds() == startMs && Same(s, 2, o.ConversationId) && Same(s, 0, o.Policy) && Same(s, 1, o.Source))
            {
                while (i > 0 && KeyOrder(outcomes[rows[i - 1]], o) == 0)
                {
                    i--;
                }

                return i;
            }
        }

        throw new InvalidOperationException("SQLite returned an SLA outcome the statement did not insert.");
    }

    /// <summary>Whether text column <paramref name="column"/> of the current row is <paramref name="value"/>.</summary>
    private static bool Same(sqlite3_stmt s, int column, string value)
    {
        var bytes = raw.sqlite3_column_blob(s, column);
        return System.Text.Ascii.Equals(bytes, value)
            || (!System.Text.Ascii.IsValid(bytes) && System.Text.Encoding.UTF8.GetString(bytes) == value);
    }

    /// <summary>The primary key's order: source, conversation_id, policy, start (text in ordinal order, which is SQLite's BINARY order for all but the rarest characters: the order only speeds the walk up).</summary>
    private static int KeyOrder(SlaOutcome x, SlaOutcome y)
    {
        var c = string.CompareOrdinal(x.Source, y.Source);
        if (c == 0) { c = string.CompareOrdinal(x.ConversationId, y.ConversationId); }
        if (c == 0) { c = string.CompareOrdinal(x.Policy, y.Policy); }
        return c != 0 ? c : x.Start.ToUnixTimeMilliseconds().CompareTo(y.Start.ToUnixTimeMilliseconds());
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
