using System.Data.Common;
using System.Text.Json;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using Microsoft.Extensions.Options;
using Npgsql;

namespace KpiCollector.Storage.Postgres;

/// <summary>
/// The store on PostgreSQL (<c>KpiCollector:Store:Provider=postgres</c>, docs/storage.md): the contract of
/// <see cref="IStore"/>, for one database shared by replicas (docs/scaling.md). A page's records, its cursor and the SLA
/// outcomes it settles commit in one transaction, which also checks that the replica still holds the source's lease
/// (<see cref="ISourceFences"/>): a replica that lost it cannot commit afterwards. Commits of different sources run in
/// parallel on pooled connections; a page takes a handful of round trips whatever its size (arrays, not one statement
/// per record).
/// </summary>
public sealed partial class PostgresStore : IStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);
    private readonly string _connectionString;
    private readonly ISourceFences _fences;
    private readonly ILogger<PostgresStore> _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _surveySources = new(StringComparer.Ordinal);
    private NpgsqlDataSource? _db;
    private Timer? _recount;

    // Published after every commit and recount, read without a lock or a query: a scrape never waits on a commit.
    private volatile IReadOnlyDictionary<string, long> _counts = CountsOf(0, 0, 0);
    private volatile IReadOnlyDictionary<(string Source, string Kind), long> _quarantined = new Dictionary<(string, string), long>();

    public PostgresStore(IOptions<KpiCollectorOptions> options, ILogger<PostgresStore> logger, ISourceFences? fences = null)
        : this(options.Value.Store.EffectiveConnectionString ?? "", logger, fences)
    {
    }

    public PostgresStore(string connectionString, ILogger<PostgresStore> logger, ISourceFences? fences = null)
    {
        _connectionString = connectionString;
        _logger = logger;
        _fences = fences ?? NoFences.Instance;
        Location = PostgresConnection.Check(connectionString) is null ? PostgresConnection.Describe(connectionString) : "postgres (connection string not valid)";
    }

    public bool IsOpen => _db is not null;

    public string Location { get; }

    /// <summary>The pooled data source (the leases use it too); null until <see cref="Open"/>.</summary>
    public NpgsqlDataSource? DataSource => _db;

    public void Open()
    {
        lock (_gate)
        {
            if (_db is not null)
            {
                return;
            }

            var db = PostgresConnection.Create(_connectionString);
            try
            {
                var found = PostgresSchema.Upgrade(db);
                _db = db;
                LoadSurveySources();
                Recount();
                LoadQuarantineCounts();
                Log.StoreOpened(_logger, Location, found, PostgresSchema.LatestVersion);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                db.Dispose();
                _db = null;
                throw new InvalidOperationException(
                    $"KpiCollector:Store:ConnectionString: cannot open the store at {Location}: {Redact(ex.Message)}", ex);
            }

            // Other replicas commit too: the counts a scrape reads are recounted every 30 s besides this one's commits.
            _recount = new Timer(_ => RecountQuietly(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _recount?.Dispose();
            _recount = null;
            if (_db is null)
            {
                return;
            }

            _db.Dispose();
            _db = null;
            Log.StoreClosed(_logger, Location);
        }
    }

    public SourceCheckpoint? GetCheckpoint(string source)
    {
        using var cmd = Db.CreateCommand("SELECT cursor, watermark FROM source_state WHERE source = $1;");
        cmd.Parameters.AddWithValue(source);
        using var r = cmd.ExecuteReader();
        return r.Read()
            ? new SourceCheckpoint(r.GetString(0), r.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)))
            : null;
    }

    public AppliedBatch Apply(string source, SourceBatch batch, DateTimeOffset savedAt, Func<AppliedBatch, IEnumerable<SlaOutcome>>? decide = null)
    {
        using var connection = Db.OpenConnection();
        using var tx = connection.BeginTransaction();
        CheckFence(connection, tx, source);
        var surveys = UpsertSurveys(connection, tx, source, batch.Surveys);
        var conversations = UpsertConversations(connection, tx, source, batch.Conversations);
        conversations.AddRange(JoinCsat(connection, tx, source, surveys, conversations));
        var applied = new AppliedBatch(conversations, surveys)
        {
            Messages = UpsertRecords(connection, tx, RecordKinds.Message, source, batch.Messages, m => m.ExternalId),
            AgentActivities = UpsertRecords(connection, tx, RecordKinds.AgentActivity, source, batch.AgentActivities, a => a.ExternalId),
            Costs = UpsertRecords(connection, tx, RecordKinds.Cost, source, batch.Costs, c => c.ExternalId),
            Customers = UpsertRecords(connection, tx, RecordKinds.Customers, source, batch.Customers, c => c.PeriodStart.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Usage = UpsertRecords(connection, tx, RecordKinds.Usage, source, batch.Usage, u => u.ExternalId),
        };
        var outcomes = decide is null ? [] : InsertOutcomes(connection, tx, decide(applied).ToList(), savedAt);
        using (var cmd = new NpgsqlCommand("""
            INSERT INTO source_state (source, cursor, watermark, saved_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, watermark = excluded.watermark, saved_at = excluded.saved_at;
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue(source);
            cmd.Parameters.AddWithValue(batch.Cursor);
            cmd.Parameters.AddWithValue(batch.Watermark is { } w ? w.ToUnixTimeMilliseconds() : DBNull.Value);
            cmd.Parameters.AddWithValue(savedAt.ToUnixTimeMilliseconds());
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
        if (surveys.Count > 0)
        {
            lock (_surveySources)
            {
                _surveySources.Add(source);
            }
        }

        var others = applied.Messages.Count(c => c.Old is null) + applied.AgentActivities.Count(c => c.Old is null)
            + applied.Costs.Count(c => c.Old is null) + applied.Customers.Count(c => c.Old is null) + applied.Usage.Count(c => c.Old is null);
        AddToCounts(conversations.Count(c => c.Old is null), surveys.Count(c => c.Old is null), others);
        return applied with { NewOutcomes = outcomes };
    }

    public IReadOnlyList<SlaOutcome> RecordOutcomes(IReadOnlyCollection<SlaOutcome> outcomes, DateTimeOffset recordedAt)
    {
        if (outcomes.Count == 0)
        {
            return [];
        }

        using var connection = Db.OpenConnection();
        using var tx = connection.BeginTransaction();
        foreach (var source in outcomes.Select(o => o.Source).Distinct(StringComparer.Ordinal))
        {
            CheckFence(connection, tx, source);
        }

        var inserted = InsertOutcomes(connection, tx, outcomes.ToList(), recordedAt);
        tx.Commit();
        return inserted;
    }

    public IReadOnlyDictionary<string, long> CountRecords() => _counts;

    public IReadOnlyDictionary<(string Source, string Kind), long> CountQuarantined() => _quarantined;

    public IReadOnlyDictionary<string, long> CountQuarantined(string source) =>
        _quarantined.Where(q => q.Key.Source == source).ToDictionary(q => q.Key.Kind, q => q.Value, StringComparer.Ordinal);

    /// <summary>
    /// Inside the commit: the source's lease must still name this replica with the token it took, and not have run out.
    /// <c>FOR SHARE</c> holds the row, so a replica taking the source over waits for this commit to end.
    /// </summary>
    private void CheckFence(NpgsqlConnection connection, NpgsqlTransaction tx, string source)
    {
        if (_fences.FenceOf(source) is not { } fence)
        {
            return;
        }

        using var cmd = new NpgsqlCommand(
            "SELECT 1 FROM source_leases WHERE source = $1 AND owner = $2 AND token = $3 AND expires_at > now() FOR SHARE;", connection, tx);
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(fence.Owner);
        cmd.Parameters.AddWithValue(fence.Token);
        if (cmd.ExecuteScalar() is null)
        {
            throw new FencedOutException(source, fence);
        }
    }

    private List<RecordChange<Conversation>> UpsertConversations(NpgsqlConnection connection, NpgsqlTransaction tx, string source, IReadOnlyList<Conversation> records)
    {
        var changes = new List<RecordChange<Conversation>>(records.Count);
        if (records.Count == 0)
        {
            return changes;
        }

        var ids = records.Select(r => r.ExternalId).Distinct(StringComparer.Ordinal).ToArray();
        var stored = ReadConversationsById(connection, tx, source, ids);
        bool knowsSurveys;
        lock (_surveySources)
        {
            knowsSurveys = _surveySources.Contains(source);
        }

        var answers = knowsSurveys ? LoadCsatAnswers(connection, tx, source, ids.Where(id => !stored.ContainsKey(id)).ToArray()) : [];
        var rows = new Dictionary<string, Conversation>(records.Count, StringComparer.Ordinal);
        foreach (var record in records)
        {
            var current = ConversationRows.Normalize(record with { Source = source });
            stored.TryGetValue(current.ExternalId, out var old);
            current = current with { Csat = current.Csat ?? (old is not null ? old.Csat : (answers.TryGetValue(current.ExternalId, out var answer) ? answer : null)) };
            if (old is not null && (old.UpdatedAt > current.UpdatedAt || old == current))
            {
                continue; // stale or identical: nothing changes
            }

            stored[current.ExternalId] = current; // a later version of the same record in this page replaces this one
            rows[current.ExternalId] = current;
            changes.Add(new RecordChange<Conversation>(old, current));
        }

        WriteConversations(connection, tx, rows.Values.ToList());
        return changes;
    }

    private List<RecordChange<SurveyResponse>> UpsertSurveys(NpgsqlConnection connection, NpgsqlTransaction tx, string source, IReadOnlyList<SurveyResponse> records)
    {
        var changes = new List<RecordChange<SurveyResponse>>(records.Count);
        if (records.Count == 0)
        {
            return changes;
        }

        var stored = new Dictionary<string, SurveyResponse>(StringComparer.Ordinal);
        using (var select = new NpgsqlCommand($"SELECT {ConversationRows.SurveyColumns} FROM surveys WHERE source = $1 AND external_id = ANY($2);", connection, tx))
        {
            select.Parameters.AddWithValue(source);
            select.Parameters.AddWithValue(records.Select(r => r.ExternalId).Distinct(StringComparer.Ordinal).ToArray());
            using var r = select.ExecuteReader();
            while (r.Read())
            {
                var s = ConversationRows.ReadSurvey(r);
                stored[s.ExternalId] = s;
            }
        }

        var rows = new Dictionary<string, SurveyResponse>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var current = ConversationRows.Normalize(record with { Source = source });
            stored.TryGetValue(current.ExternalId, out var old);
            if (old == current)
            {
                continue;
            }

            stored[current.ExternalId] = current;
            rows[current.ExternalId] = current;
            changes.Add(new RecordChange<SurveyResponse>(old, current));
        }

        if (rows.Count > 0)
        {
            var list = rows.Values.ToList();
            using var upsert = new NpgsqlCommand($"""
                INSERT INTO surveys ({ConversationRows.SurveyColumns})
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::text[], $10::text[], $11::text[])
                ON CONFLICT (source, external_id) DO UPDATE SET conversation_id = excluded.conversation_id, kind = excluded.kind, score = excluded.score,
                    scale_min = excluded.scale_min, scale_max = excluded.scale_max, responded_at = excluded.responded_at, channel = excluded.channel,
                    agent_id = excluded.agent_id, team = excluded.team;
                """, connection, tx);
            upsert.Parameters.AddWithValue(list.Select(s => s.Source).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.ExternalId).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.ConversationId).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => (int)s.Kind).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.Score).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.ScaleMin).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.ScaleMax).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.RespondedAt.ToUnixTimeMilliseconds()).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.Channel).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.AgentId).ToArray());
            upsert.Parameters.AddWithValue(list.Select(s => s.Team).ToArray());
            upsert.ExecuteNonQuery();
        }

        return changes;
    }

    /// <summary>New CSAT answers are copied onto their conversations (a new version each), for the quality score.</summary>
    private List<RecordChange<Conversation>> JoinCsat(NpgsqlConnection connection, NpgsqlTransaction tx, string source, List<RecordChange<SurveyResponse>> surveys, List<RecordChange<Conversation>> applied)
    {
        var joined = new List<RecordChange<Conversation>>();
        var answered = surveys.Select(c => c.New).Where(s => s.Kind == SurveyKind.Csat && s.Score is not null && s.ConversationId is not null).ToList();
        if (answered.Count == 0)
        {
            return joined;
        }

        var outside = ReadConversationsById(connection, tx, source, answered.Select(s => s.ConversationId!).Where(id => applied.All(c => c.New.ExternalId != id)).Distinct(StringComparer.Ordinal).ToArray());
        var written = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        foreach (var s in answered)
        {
            var inBatch = applied.FindLastIndex(c => c.New.ExternalId == s.ConversationId); // the page's last version
            var old = inBatch >= 0 ? applied[inBatch].New : written.GetValueOrDefault(s.ConversationId!) ?? outside.GetValueOrDefault(s.ConversationId!);
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
            written[current.ExternalId] = current;
            if (inBatch >= 0)
            {
                applied[inBatch] = applied[inBatch] with { New = current };
            }
            else
            {
                var earlier = joined.FindIndex(c => c.New.ExternalId == current.ExternalId);
                if (earlier >= 0)
                {
                    joined[earlier] = joined[earlier] with { New = current };
                }
                else
                {
                    joined.Add(new RecordChange<Conversation>(old, current));
                }
            }
        }

        WriteConversations(connection, tx, written.Values.ToList());
        return joined;
    }

    private static void WriteConversations(NpgsqlConnection connection, NpgsqlTransaction tx, List<Conversation> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        const string updates = "channel = excluded.channel, status = excluded.status, priority = excluded.priority, ticket_type = excluded.ticket_type, "
            + "team = excluded.team, requester_id = excluded.requester_id, assignee_id = excluded.assignee_id, created_at = excluded.created_at, "
            + "first_response_at = excluded.first_response_at, first_responder_kind = excluded.first_responder_kind, "
            + "first_human_response_at = excluded.first_human_response_at, first_resolved_at = excluded.first_resolved_at, "
            + "resolved_at = excluded.resolved_at, closed_at = excluded.closed_at, agent_public_replies = excluded.agent_public_replies, "
            + "reopens = excluded.reopens, handle_ms = excluded.handle_ms, waiting_on_customer_ms = excluded.waiting_on_customer_ms, "
            + "updated_at = excluded.updated_at, bot_handoff_at = excluded.bot_handoff_at, csat_score = excluded.csat_score, "
            + "csat_min = excluded.csat_min, csat_max = excluded.csat_max";
        using var cmd = new NpgsqlCommand($"""
            INSERT INTO conversations ({ConversationRows.Columns})
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::bigint[], $11::bigint[], $12::int[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::int[], $18::int[],
                $19::bigint[], $20::bigint[], $21::bigint[], $22::bigint[], $23::float8[], $24::float8[], $25::float8[])
            ON CONFLICT (source, external_id) DO UPDATE SET {updates};
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(rows.Select(c => c.Source).ToArray());
        p.AddWithValue(rows.Select(c => c.ExternalId).ToArray());
        p.AddWithValue(rows.Select(c => c.Channel).ToArray());
        p.AddWithValue(rows.Select(c => (int)c.Status).ToArray());
        p.AddWithValue(rows.Select(c => c.Priority).ToArray());
        p.AddWithValue(rows.Select(c => c.TicketType).ToArray());
        p.AddWithValue(rows.Select(c => c.Team).ToArray());
        p.AddWithValue(rows.Select(c => c.RequesterId).ToArray());
        p.AddWithValue(rows.Select(c => c.AssigneeId).ToArray());
        p.AddWithValue(rows.Select(c => c.CreatedAt.ToUnixTimeMilliseconds()).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.FirstResponseAt)).ToArray());
        p.AddWithValue(rows.Select(c => c.FirstResponderKind is { } k ? (int?)k : null).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.FirstHumanResponseAt)).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.FirstResolvedAt)).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.ResolvedAt)).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.ClosedAt)).ToArray());
        p.AddWithValue(rows.Select(c => c.AgentPublicReplies).ToArray());
        p.AddWithValue(rows.Select(c => c.Reopens).ToArray());
        p.AddWithValue(rows.Select(c => c.HandleTime is { } h ? (long?)h.TotalMilliseconds : null).ToArray());
        p.AddWithValue(rows.Select(c => c.WaitingOnCustomer is { } w ? (long?)w.TotalMilliseconds : null).ToArray());
        p.AddWithValue(rows.Select(c => c.UpdatedAt.ToUnixTimeMilliseconds()).ToArray());
        p.AddWithValue(rows.Select(c => Ms(c.BotHandoffAt)).ToArray());
        p.AddWithValue(rows.Select(c => c.Csat?.Score).ToArray());
        p.AddWithValue(rows.Select(c => c.Csat?.ScaleMin).ToArray());
        p.AddWithValue(rows.Select(c => c.Csat?.ScaleMax).ToArray());
        cmd.ExecuteNonQuery();
    }

    private static Dictionary<string, Conversation> ReadConversationsById(NpgsqlConnection connection, NpgsqlTransaction tx, string source, string[] ids)
    {
        var stored = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return stored;
        }

        using var cmd = new NpgsqlCommand($"SELECT {ConversationRows.Columns} FROM conversations WHERE source = $1 AND external_id = ANY($2);", connection, tx);
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(ids);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var c = ConversationRows.Read(r);
            stored[c.ExternalId] = c;
        }

        return stored;
    }

    /// <summary>The latest stored CSAT answer of each given conversation (for conversations new to the store).</summary>
    private static Dictionary<string, SurveyScore> LoadCsatAnswers(NpgsqlConnection connection, NpgsqlTransaction tx, string source, string[] conversationIds)
    {
        var answers = new Dictionary<string, SurveyScore>(StringComparer.Ordinal);
        if (conversationIds.Length == 0)
        {
            return answers;
        }

        using var cmd = new NpgsqlCommand("""
            SELECT conversation_id, score, scale_min, scale_max FROM surveys
            WHERE source = $1 AND conversation_id = ANY($2) AND kind = 0 AND score IS NOT NULL ORDER BY responded_at;
            """, connection, tx);
        cmd.Parameters.AddWithValue(source);
        cmd.Parameters.AddWithValue(conversationIds);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            answers[r.GetString(0)] = new SurveyScore(r.GetDouble(1), r.GetDouble(2), r.GetDouble(3)); // latest last
        }

        return answers;
    }

    /// <summary>Upserts records kept as JSON payloads; the last version wins, an identical one changes nothing.</summary>
    private static List<RecordChange<T>> UpsertRecords<T>(NpgsqlConnection connection, NpgsqlTransaction tx, string kind, string source, IReadOnlyList<T> records, Func<T, string> idOf)
        where T : class
    {
        var changes = new List<RecordChange<T>>(records.Count);
        if (records.Count == 0)
        {
            return changes;
        }

        var page = records.Select(record =>
        {
            var json = JsonSerializer.Serialize(StoredRows.WithSource(record, source), Json);
            var current = JsonSerializer.Deserialize<T>(json, Json)!; // exactly what a later read gives back
            return (Id: idOf(current), Json: json, Current: current);
        }).ToList();
        var stored = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var select = new NpgsqlCommand("SELECT external_id, payload FROM records WHERE kind = $1 AND source = $2 AND external_id = ANY($3);", connection, tx))
        {
            select.Parameters.AddWithValue(kind);
            select.Parameters.AddWithValue(source);
            select.Parameters.AddWithValue(page.Select(p => p.Id).Distinct(StringComparer.Ordinal).ToArray());
            using var r = select.ExecuteReader();
            while (r.Read())
            {
                stored[r.GetString(0)] = r.GetString(1);
            }
        }

        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var previous = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (id, json, current) in page)
        {
            var old = previous.TryGetValue(id, out var inPage) ? inPage
                : stored.TryGetValue(id, out var oldJson) ? JsonSerializer.Deserialize<T>(oldJson, Json) : null;
            if (old is not null && old.Equals(current))
            {
                continue;
            }

            previous[id] = current;
            rows[id] = json;
            changes.Add(new RecordChange<T>(old, current));
        }

        if (rows.Count > 0)
        {
            using var upsert = new NpgsqlCommand("""
                INSERT INTO records (kind, source, external_id, payload) SELECT $1, $2, id, payload FROM unnest($3::text[], $4::text[]) AS t(id, payload)
                ON CONFLICT (kind, source, external_id) DO UPDATE SET payload = excluded.payload;
                """, connection, tx);
            upsert.Parameters.AddWithValue(kind);
            upsert.Parameters.AddWithValue(source);
            upsert.Parameters.AddWithValue(rows.Keys.ToArray());
            upsert.Parameters.AddWithValue(rows.Values.ToArray());
            upsert.ExecuteNonQuery();
        }

        return changes;
    }

    /// <summary>Outcomes not recorded before are inserted (one statement); returns them, as a later read gives them back.</summary>
    private static List<SlaOutcome> InsertOutcomes(NpgsqlConnection connection, NpgsqlTransaction tx, List<SlaOutcome> outcomes, DateTimeOffset recordedAt)
    {
        if (outcomes.Count == 0)
        {
            return [];
        }

        using var cmd = new NpgsqlCommand("""
            INSERT INTO sla_outcomes (policy, source, conversation_id, start, met, decided_at, channel, team, recorded_at)
            SELECT DISTINCT ON (policy, source, conversation_id, start) policy, source, conversation_id, start, met, decided_at, channel, team, $9
            FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $10::int[])
                AS t(policy, source, conversation_id, start, met, decided_at, channel, team, ord)
            ORDER BY policy, source, conversation_id, start, ord
            ON CONFLICT (policy, source, conversation_id, start) DO NOTHING
            RETURNING policy, source, conversation_id, start;
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(outcomes.Select(o => o.Policy).ToArray());
        p.AddWithValue(outcomes.Select(o => o.Source).ToArray());
        p.AddWithValue(outcomes.Select(o => o.ConversationId).ToArray());
        p.AddWithValue(outcomes.Select(o => o.Start.ToUnixTimeMilliseconds()).ToArray());
        p.AddWithValue(outcomes.Select(o => o.Met ? 1L : 0L).ToArray());
        p.AddWithValue(outcomes.Select(o => o.DecidedAt.ToUnixTimeMilliseconds()).ToArray());
        p.AddWithValue(outcomes.Select(o => o.Channel).ToArray());
        p.AddWithValue(outcomes.Select(o => o.Team).ToArray());
        p.AddWithValue(recordedAt.ToUnixTimeMilliseconds());
        p.AddWithValue(Enumerable.Range(0, outcomes.Count).ToArray());
        var inserted = new HashSet<(string, string, string, long)>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                inserted.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)));
            }
        }

        // In the given order, each identity once (the first), as SQLite's INSERT OR IGNORE row by row gives them.
        var result = new List<SlaOutcome>();
        foreach (var o in outcomes)
        {
            if (inserted.Remove((o.Policy, o.Source, o.ConversationId, o.Start.ToUnixTimeMilliseconds())))
            {
                result.Add(StoredRows.AsStored(o));
            }
        }

        return result;
    }

    private void AddToCounts(long conversations, long surveys, long others)
    {
        if (conversations == 0 && surveys == 0 && others == 0)
        {
            return;
        }

        lock (_gate)
        {
            var c = _counts;
            _counts = CountsOf(c["conversation"] + conversations, c["survey"] + surveys, c["other"] + others);
        }
    }

    private void Recount()
    {
        using var cmd = Db.CreateCommand("SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM surveys), (SELECT count(*) FROM records);");
        using var r = cmd.ExecuteReader();
        r.Read();
        _counts = CountsOf(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    private void RecountQuietly()
    {
        try
        {
            if (_db is not null)
            {
                Recount();
                LoadQuarantineCounts();
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or ObjectDisposedException)
        {
            // The next recount tries again; the counts stay as the last commit left them.
        }
    }

    private void LoadSurveySources()
    {
        using var cmd = Db.CreateCommand("SELECT DISTINCT source FROM surveys;");
        using var r = cmd.ExecuteReader();
        lock (_surveySources)
        {
            while (r.Read())
            {
                _surveySources.Add(r.GetString(0));
            }
        }
    }

    private static Dictionary<string, long> CountsOf(long conversations, long surveys, long other) =>
        new() { ["conversation"] = conversations, ["survey"] = surveys, ["other"] = other };

    private NpgsqlDataSource Db => _db ?? throw new InvalidOperationException("The store is not open.");

    private static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    /// <summary>Npgsql's messages do not carry the connection string; this removes a password if one ever does.</summary>
    private string Redact(string message)
    {
        try
        {
            var password = new NpgsqlConnectionStringBuilder(_connectionString).Password;
            return string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return message;
        }
    }

    /// <summary>Streams the rows of a query on its own pooled connection.</summary>
    private IEnumerable<T> ReadAll<T>(string sql, Func<DbDataReader, T> read, params object[] parameters)
    {
        using var connection = Db.OpenConnection();
        using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            cmd.Parameters.AddWithValue(p);
        }

        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return read(r);
        }
    }
}
