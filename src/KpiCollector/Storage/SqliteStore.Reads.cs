using System.Globalization;
using System.Text;
using KpiCollector.Core.Records;
using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>
/// Reads for the drill-down and the raw export (docs/drilldown.md). Each runs on its own read-only connection, like the
/// rebuild: in WAL mode it sees the last committed batches and nothing half-written, and it never takes the write lock,
/// so a page request or a million-row export does not hold up a poll.
/// </summary>
public sealed partial class SqliteStore
{
    private const string Unanswered = "status < 4 AND first_response_at IS NULL AND first_human_response_at IS NULL";

    /// <summary>
    /// The stored conversations created in [<paramref name="from"/>, <paramref name="to"/>) (each bound optional), of
    /// one source or all, oldest first, each with its decided SLA outcomes. Streamed: one row in memory at a time.
    /// </summary>
    public IEnumerable<StoredConversation> ReadForExport(string? source, DateTimeOffset? from, DateTimeOffset? to)
    {
        var where = new List<string>();
        if (source is not null)
        {
            where.Add("source = $source");
        }

        if (from is not null)
        {
            where.Add("created_at >= $from");
        }

        if (to is not null)
        {
            where.Add("created_at < $to");
        }

        // A range reads its slice of conversations_by_created (INDEXED BY: with a source filter the planner would take
        // the primary key and sort every row). Without a range, a scan and SQLite's external sort (bounded memory,
        // spilling to a temp file) beat a primary-key lookup per row through the index.
        var access = from is null && to is null ? "NOT INDEXED" : "INDEXED BY conversations_by_created";
        var sql = $"""
            SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c {access}
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY created_at, source, external_id;
            """;
        return ReadAll(sql, StoredRows.ReadWithOutcomes, p =>
        {
            p.AddWithValue("$source", (object?)source ?? DBNull.Value);
            p.AddWithValue("$from", from is { } f ? f.ToUnixTimeMilliseconds() : DBNull.Value);
            p.AddWithValue("$to", to is { } t ? t.ToUnixTimeMilliseconds() : DBNull.Value);
        });
    }

    /// <summary>
    /// Open conversations with no business reply yet (those behind <c>helpdesk_unanswered_tickets</c>), oldest first.
    /// With <paramref name="oldestPerSource"/>, only the oldest of each source (behind the oldest-unanswered gauge).
    /// </summary>
    public IReadOnlyList<StoredConversation> ReadUnanswered(ConversationFilter filter, int limit, bool oldestPerSource = false)
    {
        var (where, bind) = Where(filter);
        var sql = oldestPerSource
            // SQLite's bare-column rule: with MIN(), the other columns come from the row that holds the minimum.
            ? $"SELECT {ConversationRows.Columns}, {OutcomesOfRow}, MIN(created_at) FROM conversations c INDEXED BY conversations_unanswered WHERE {Unanswered}{where} GROUP BY source ORDER BY created_at LIMIT $limit;"
            : $"SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c INDEXED BY conversations_unanswered WHERE {Unanswered}{where} ORDER BY created_at LIMIT $limit;";
        return ReadAll(sql, StoredRows.ReadWithOutcomes, p =>
        {
            bind(p);
            p.AddWithValue("$limit", limit);
        }).ToList();
    }

    /// <summary>The stored conversations among <paramref name="keys"/> (source, external id), with their outcomes.</summary>
    public IReadOnlyDictionary<(string Source, string Id), StoredConversation> ReadConversations(IEnumerable<(string Source, string Id)> keys)
    {
        var found = new Dictionary<(string, string), StoredConversation>();
        foreach (var group in keys.Distinct().GroupBy(k => k.Source, StringComparer.Ordinal))
        {
            foreach (var chunk in group.Select(k => k.Id).Chunk(ChunkSize))
            {
                var names = string.Join(", ", chunk.Select((_, i) => "$id" + i.ToString(CultureInfo.InvariantCulture)));
                var sql = $"SELECT {ConversationRows.Columns}, {OutcomesOfRow} FROM conversations c WHERE source = $source AND external_id IN ({names});";
                foreach (var row in ReadAll(sql, StoredRows.ReadWithOutcomes, p =>
                {
                    p.AddWithValue("$source", group.Key);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        p.AddWithValue("$id" + i.ToString(CultureInfo.InvariantCulture), chunk[i]);
                    }
                }))
                {
                    found[(row.Conversation.Source, row.Conversation.ExternalId)] = row;
                }
            }
        }

        return found;
    }

    /// <summary>The decided outcomes of the row's conversation, one string: fields split by 0x1f, outcomes by 0x1e.</summary>
    private const string OutcomesOfRow =
        "(SELECT group_concat(o.policy || char(31) || o.start || char(31) || o.met || char(31) || o.decided_at, char(30)) " +
        "FROM sla_outcomes o WHERE o.source = c.source AND o.conversation_id = c.external_id)"; // the primary key's prefix (schema 7)

    private static (string Where, Action<SqliteParameterCollection> Bind) Where(ConversationFilter filter)
    {
        var where = new StringBuilder();
        if (filter.Source is not null)
        {
            where.Append(" AND source = $source");
        }

        if (filter.Channel is not null)
        {
            where.Append(" AND channel = $channel");
        }

        if (filter.Team is not null)
        {
            where.Append(" AND team = $team");
        }

        return (where.ToString(), p =>
        {
            p.AddWithValue("$source", (object?)filter.Source ?? DBNull.Value);
            p.AddWithValue("$channel", (object?)filter.Channel ?? DBNull.Value);
            p.AddWithValue("$team", (object?)filter.Team ?? DBNull.Value);
        });
    }
}

/// <summary>Which conversations a read covers: null means any.</summary>
public sealed record ConversationFilter(string? Source = null, string? Channel = null, string? Team = null);

/// <summary>A stored conversation and the SLA outcomes decided for it.</summary>
public sealed record StoredConversation(Conversation Conversation, IReadOnlyList<StoredOutcome> Outcomes);

/// <summary>One decided SLA outcome of a conversation: met at <see cref="DecidedAt"/>, or breached at its deadline.</summary>
public readonly record struct StoredOutcome(string Policy, DateTimeOffset Start, bool Met, DateTimeOffset DecidedAt);
