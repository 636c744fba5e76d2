using KpiCollector.Core.Records;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KpiCollector.Storage;

/// <summary>
/// Reads the stored versions of a page's conversations: <c>SELECT ... WHERE source = ? AND external_id IN (?, ...)</c>
/// with <see cref="IdsPerStatement"/> ids, prepared once per connection on its native handle and bound by position
/// (a short chunk binds NULL to the slots it does not use, which match nothing). Bound by name through
/// Microsoft.Data.Sqlite, each of the 501 parameters was looked up by a walk of the statement's parameter list, for
/// every page. The rows are mapped exactly as <see cref="ConversationRows.Read"/> maps them. See docs/performance.md,
/// "Apply rate".
/// </summary>
internal sealed class ConversationReader : IDisposable
{
    public const int IdsPerStatement = 500;

    private readonly sqlite3 _db;
    private sqlite3_stmt? _statement;

    public ConversationReader(SqliteConnection connection) => _db = connection.Handle!;

    /// <summary>Adds the stored version of each of <paramref name="ids"/> (distinct) that the store holds to <paramref name="into"/>.</summary>
    public void Read(string source, IReadOnlyList<string> ids, Dictionary<string, Conversation> into)
    {
        var s = Statement();
        for (var start = 0; start < ids.Count; start += IdsPerStatement)
        {
            var count = Math.Min(IdsPerStatement, ids.Count - start);
            raw.sqlite3_bind_text(s, 1, source);
            for (var i = 0; i < IdsPerStatement; i++)
            {
                if (i < count)
                {
                    raw.sqlite3_bind_text(s, i + 2, ids[start + i]);
                }
                else
                {
                    raw.sqlite3_bind_null(s, i + 2);
                }
            }

            int rc;
            while ((rc = raw.sqlite3_step(s)) == raw.SQLITE_ROW)
            {
                var c = Row(s);
                into[c.ExternalId] = c;
            }

            raw.sqlite3_reset(s);
            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }
        }
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

        var slots = string.Join(", ", Enumerable.Repeat("?", IdsPerStatement));
        var sql = $"SELECT {ConversationRows.Columns} FROM conversations WHERE source = ? AND external_id IN ({slots});";
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        return _statement = stmt;
    }

    /// <summary>One row, column for column as <see cref="ConversationRows.Read"/>.</summary>
    private static Conversation Row(sqlite3_stmt s) => new()
    {
        Source = Required(s, 0),
        ExternalId = Required(s, 1),
        Channel = Required(s, 2),
        Status = (ConversationStatus)raw.sqlite3_column_int(s, 3),
        Priority = Str(s, 4),
        TicketType = Str(s, 5),
        Team = Str(s, 6),
        RequesterId = Str(s, 7),
        AssigneeId = Str(s, 8),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(s, 9)),
        FirstResponseAt = Time(s, 10),
        FirstResponderKind = IsNull(s, 11) ? null : (ResponderKind)raw.sqlite3_column_int(s, 11),
        FirstHumanResponseAt = Time(s, 12),
        FirstResolvedAt = Time(s, 13),
        ResolvedAt = Time(s, 14),
        ClosedAt = Time(s, 15),
        AgentPublicReplies = IsNull(s, 16) ? null : raw.sqlite3_column_int(s, 16),
        Reopens = IsNull(s, 17) ? null : raw.sqlite3_column_int(s, 17),
        HandleTime = IsNull(s, 18) ? null : TimeSpan.FromMilliseconds(raw.sqlite3_column_int64(s, 18)),
        WaitingOnCustomer = IsNull(s, 19) ? null : TimeSpan.FromMilliseconds(raw.sqlite3_column_int64(s, 19)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(s, 20)),
        BotHandoffAt = Time(s, 21),
        Csat = IsNull(s, 22) ? null : new SurveyScore(raw.sqlite3_column_double(s, 22), raw.sqlite3_column_double(s, 23), raw.sqlite3_column_double(s, 24)),
    };

    private static bool IsNull(sqlite3_stmt s, int i) => raw.sqlite3_column_type(s, i) == raw.SQLITE_NULL;

    private static string? Str(sqlite3_stmt s, int i) => IsNull(s, i) ? null : raw.sqlite3_column_text(s, i).utf8_to_string();

    private static string Required(sqlite3_stmt s, int i) =>
        Str(s, i) ?? throw new InvalidOperationException($"The stored conversation has no value in column {i}.");

    private static DateTimeOffset? Time(sqlite3_stmt s, int i) =>
        IsNull(s, i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(raw.sqlite3_column_int64(s, i));
}
