using System.Data.Common;
using KpiCollector.Core.Records;
using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>Maps records to rows and back. Instants are stored as Unix milliseconds, so a record read back equals the stored one only after <see cref="Normalize(Conversation)"/>.</summary>
internal static class ConversationRows
{
    public const string Columns =
        "source, external_id, channel, status, priority, ticket_type, team, requester_id, assignee_id, created_at, " +
        "first_response_at, first_responder_kind, first_human_response_at, first_resolved_at, resolved_at, closed_at, " +
        "agent_public_replies, reopens, handle_ms, waiting_on_customer_ms, updated_at, bot_handoff_at, csat_score, csat_min, csat_max";

    /// <summary>The number of <see cref="Columns"/>: a query's extra columns start at this index.</summary>
    public const int ColumnCount = 25;

    public const string SurveyColumns =
        "source, external_id, conversation_id, kind, score, scale_min, scale_max, responded_at, channel, agent_id, team";

    /// <summary>The record as the store will give it back: millisecond precision, UTC, channel normalized.</summary>
    public static Conversation Normalize(Conversation c) => c with
    {
        Channel = Channels.Normalize(c.Channel),
        CreatedAt = Ms(c.CreatedAt),
        FirstResponseAt = Ms(c.FirstResponseAt),
        FirstHumanResponseAt = Ms(c.FirstHumanResponseAt),
        BotHandoffAt = Ms(c.BotHandoffAt),
        FirstResolvedAt = Ms(c.FirstResolvedAt),
        ResolvedAt = Ms(c.ResolvedAt),
        ClosedAt = Ms(c.ClosedAt),
        HandleTime = Ms(c.HandleTime),
        WaitingOnCustomer = Ms(c.WaitingOnCustomer),
        UpdatedAt = Ms(c.UpdatedAt),
    };

    public static SurveyResponse Normalize(SurveyResponse s) => s with
    {
        Channel = Channels.Normalize(s.Channel),
        RespondedAt = Ms(s.RespondedAt),
    };

    public static void Bind(SqliteParameterCollection p, Conversation c)
    {
        p["$source"].Value = c.Source;
        p["$external_id"].Value = c.ExternalId;
        p["$channel"].Value = c.Channel;
        p["$status"].Value = (int)c.Status;
        p["$priority"].Value = (object?)c.Priority ?? DBNull.Value;
        p["$ticket_type"].Value = (object?)c.TicketType ?? DBNull.Value;
        p["$team"].Value = (object?)c.Team ?? DBNull.Value;
        p["$requester_id"].Value = (object?)c.RequesterId ?? DBNull.Value;
        p["$assignee_id"].Value = (object?)c.AssigneeId ?? DBNull.Value;
        p["$created_at"].Value = c.CreatedAt.ToUnixTimeMilliseconds();
        p["$first_response_at"].Value = Db(c.FirstResponseAt);
        p["$first_responder_kind"].Value = c.FirstResponderKind is { } k ? (int)k : DBNull.Value;
        p["$first_human_response_at"].Value = Db(c.FirstHumanResponseAt);
        p["$first_resolved_at"].Value = Db(c.FirstResolvedAt);
        p["$resolved_at"].Value = Db(c.ResolvedAt);
        p["$closed_at"].Value = Db(c.ClosedAt);
        p["$agent_public_replies"].Value = (object?)c.AgentPublicReplies ?? DBNull.Value;
        p["$reopens"].Value = (object?)c.Reopens ?? DBNull.Value;
        p["$handle_ms"].Value = c.HandleTime is { } h ? (long)h.TotalMilliseconds : DBNull.Value;
        p["$waiting_on_customer_ms"].Value = c.WaitingOnCustomer is { } w ? (long)w.TotalMilliseconds : DBNull.Value;
        p["$updated_at"].Value = c.UpdatedAt.ToUnixTimeMilliseconds();
        p["$bot_handoff_at"].Value = Db(c.BotHandoffAt);
        p["$csat_score"].Value = c.Csat is { } csat ? csat.Score : DBNull.Value;
        p["$csat_min"].Value = c.Csat is { } min ? min.ScaleMin : DBNull.Value;
        p["$csat_max"].Value = c.Csat is { } max ? max.ScaleMax : DBNull.Value;
    }

    public static Conversation Read(DbDataReader r) => new()
    {
        Source = r.GetString(0),
        ExternalId = r.GetString(1),
        Channel = r.GetString(2),
        Status = (ConversationStatus)r.GetInt32(3),
        Priority = Str(r, 4),
        TicketType = Str(r, 5),
        Team = Str(r, 6),
        RequesterId = Str(r, 7),
        AssigneeId = Str(r, 8),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)),
        FirstResponseAt = Time(r, 10),
        FirstResponderKind = r.IsDBNull(11) ? null : (ResponderKind)r.GetInt32(11),
        FirstHumanResponseAt = Time(r, 12),
        FirstResolvedAt = Time(r, 13),
        ResolvedAt = Time(r, 14),
        ClosedAt = Time(r, 15),
        AgentPublicReplies = r.IsDBNull(16) ? null : r.GetInt32(16),
        Reopens = r.IsDBNull(17) ? null : r.GetInt32(17),
        HandleTime = r.IsDBNull(18) ? null : TimeSpan.FromMilliseconds(r.GetInt64(18)),
        WaitingOnCustomer = r.IsDBNull(19) ? null : TimeSpan.FromMilliseconds(r.GetInt64(19)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(20)),
        BotHandoffAt = Time(r, 21),
        Csat = r.IsDBNull(22) ? null : new SurveyScore(r.GetDouble(22), r.GetDouble(23), r.GetDouble(24)),
    };

    public static void Bind(SqliteParameterCollection p, SurveyResponse s)
    {
        p["$source"].Value = s.Source;
        p["$external_id"].Value = s.ExternalId;
        p["$conversation_id"].Value = (object?)s.ConversationId ?? DBNull.Value;
        p["$kind"].Value = (int)s.Kind;
        p["$score"].Value = s.Score is { } score ? score : DBNull.Value;
        p["$scale_min"].Value = s.ScaleMin;
        p["$scale_max"].Value = s.ScaleMax;
        p["$responded_at"].Value = s.RespondedAt.ToUnixTimeMilliseconds();
        p["$channel"].Value = s.Channel;
        p["$agent_id"].Value = (object?)s.AgentId ?? DBNull.Value;
        p["$team"].Value = (object?)s.Team ?? DBNull.Value;
    }

    public static SurveyResponse ReadSurvey(DbDataReader r) => new()
    {
        Source = r.GetString(0),
        ExternalId = r.GetString(1),
        ConversationId = Str(r, 2),
        Kind = (SurveyKind)r.GetInt32(3),
        Score = r.IsDBNull(4) ? null : r.GetDouble(4),
        ScaleMin = r.GetDouble(5),
        ScaleMax = r.GetDouble(6),
        RespondedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        Channel = r.GetString(8),
        AgentId = Str(r, 9),
        Team = Str(r, 10),
    };

    /// <summary>Adds one parameter per column name, <c>$name</c>.</summary>
    public static void Declare(SqliteCommand cmd, string columns)
    {
        foreach (var column in columns.Split(", "))
        {
            cmd.Parameters.Add(new SqliteParameter { ParameterName = "$" + column });
        }
    }

    private static object Db(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));

    private static DateTimeOffset Ms(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    private static DateTimeOffset? Ms(DateTimeOffset? t) => t is { } v ? Ms(v) : null;

    private static TimeSpan? Ms(TimeSpan? t) => t is { } v ? TimeSpan.FromMilliseconds((long)v.TotalMilliseconds) : null;
}
