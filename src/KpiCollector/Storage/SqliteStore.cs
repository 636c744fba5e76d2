using System.Globalization;
using KpiCollector.Configuration;
using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace KpiCollector.Storage;

/// <summary>
/// The source of truth: an SQLite file. <see cref="Apply"/> commits a batch's records and the source's cursor in one
/// transaction, so a crash never loses a page nor applies it twice. One connection, serialized by a lock: SQLite
/// writes one transaction at a time anyway, and batches are short.
/// </summary>
public sealed partial class SqliteStore : IStore
{
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly ILogger<SqliteStore> _logger;
    private SqliteConnection? _connection;
    private long _conversationCount;
    private long _surveyCount;
    private long _recordCount;
    private readonly HashSet<string> _surveySources = new(StringComparer.Ordinal);
    private ConversationWriter? _conversationWriter;
    private OutcomeWriter? _outcomeWriter;
    private ConversationReader? _conversationReader;

    // Published after every commit and read without the lock: a scrape never waits on a commit in progress.
    private volatile IReadOnlyDictionary<string, long> _counts = CountsOf(0, 0, 0);

    public SqliteStore(IOptions<KpiCollectorOptions> options, ILogger<SqliteStore> logger)
        : this(options.Value.Store.Path, logger)
    {
    }

    public SqliteStore(string path, ILogger<SqliteStore> logger)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    public bool IsOpen => _connection is not null;

    public string FilePath => _path;

    public string Location => _path;

    /// <summary>Opens the file (creating it and its folder if needed) and brings the schema up to date.</summary>
    public void Open()
    {
        lock (_gate)
        {
            if (_connection is not null)
            {
                return;
            }

            try
            {
                // SQLite itself never leaves a zero-length file behind once it wrote a schema: an empty file where the
                // store should be is a truncation, a failed copy or a restore that went wrong, and it starts empty.
                if (File.Exists(_path) && new FileInfo(_path).Length == 0)
                {
                    Log.StoreFileEmpty(_logger, _path);
                }

                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                var connection = new SqliteConnection(new SqliteConnectionStringBuilder
                {
                    DataSource = _path,
                    Mode = SqliteOpenMode.ReadWriteCreate,
                    Pooling = false,
                }.ToString());
                connection.Open();
                Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
                var found = Schema.Upgrade(connection);
                _connection = connection;
                _conversationCount = Scalar("SELECT COUNT(*) FROM conversations;");
                _surveyCount = Scalar("SELECT COUNT(*) FROM surveys;");
                _recordCount = Scalar("SELECT COUNT(*) FROM records;");
                LoadQuarantineCounts();
                LoadSurveySources();
                _counts = CountsOf(_conversationCount, _surveyCount, _recordCount);
                StartCheckpointer(connection);
                Log.StoreOpened(_logger, _path, found, Schema.LatestVersion);
            }
            catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException(
                    $"KpiCollector:Store:Path: cannot open the store at '{_path}': {ex.Message}", ex);
            }
        }
    }

    /// <summary>The cursor the source saved with its last committed batch, or null before its first.</summary>
    public SourceCheckpoint? GetCheckpoint(string source)
    {
        lock (_gate)
        {
            using var cmd = Connection.CreateCommand();
            cmd.CommandText = "SELECT cursor, watermark FROM source_state WHERE source = $source;";
            cmd.Parameters.AddWithValue("$source", source);
            using var r = cmd.ExecuteReader();
            return r.Read()
                ? new SourceCheckpoint(r.GetString(0), r.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)))
                : null;
        }
    }

    /// <summary>
    /// Upserts the batch's records and saves its cursor, all or nothing. A conversation older than the stored version
    /// (by <c>UpdatedAt</c>) is ignored, and a record equal to the stored one yields no change, so re-polling a page
    /// changes nothing. <paramref name="decide"/> sees the changes before the commit; the SLA outcomes it returns are
    /// recorded in the same transaction (each identity once: see <see cref="AppliedBatch.NewOutcomes"/>).
    /// </summary>
    public AppliedBatch Apply(string source, SourceBatch batch, DateTimeOffset savedAt, Func<AppliedBatch, IEnumerable<SlaOutcome>>? decide = null)
    {
        lock (_gate)
        {
            using var tx = Connection.BeginTransaction();
            var surveys = UpsertSurveys(source, batch.Surveys, tx);
            var (conversations, rows) = PrepareConversations(source, batch.Conversations, tx);
            conversations.AddRange(JoinCsat(source, surveys, conversations, rows, tx));
            var applied = new AppliedBatch(conversations, surveys)
            {
                Messages = UpsertRecords(RecordKinds.Message, source, batch.Messages, m => m.ExternalId, tx),
                AgentActivities = UpsertRecords(RecordKinds.AgentActivity, source, batch.AgentActivities, a => a.ExternalId, tx),
                Costs = UpsertRecords(RecordKinds.Cost, source, batch.Costs, c => c.ExternalId, tx),
                Customers = UpsertRecords(RecordKinds.Customers, source, batch.Customers, c => c.PeriodStart.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), tx),
                Usage = UpsertRecords(RecordKinds.Usage, source, batch.Usage, u => u.ExternalId, tx),
            };
            // The decision sees every change before the conversation rows are written: the pipeline overlaps the
            // engine's apply with the writes and the commit (docs/performance.md, "Apply rate").
            var proposals = decide?.Invoke(applied).ToList();
            WriteConversations(rows);
            var outcomes = proposals is null ? [] : InsertOutcomes(proposals, savedAt);
            using (var cmd = Connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = """
                    INSERT INTO source_state (source, cursor, watermark, saved_at) VALUES ($source, $cursor, $watermark, $saved_at)
                    ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, watermark = excluded.watermark, saved_at = excluded.saved_at;
                    """;
                cmd.Parameters.AddWithValue("$source", source);
                cmd.Parameters.AddWithValue("$cursor", batch.Cursor);
                cmd.Parameters.AddWithValue("$watermark", batch.Watermark is { } w ? w.ToUnixTimeMilliseconds() : DBNull.Value);
                cmd.Parameters.AddWithValue("$saved_at", savedAt.ToUnixTimeMilliseconds());
                cmd.ExecuteNonQuery();
            }

            tx.Commit();
            _conversationCount += conversations.Count(c => c.Old is null);
            _surveyCount += surveys.Count(c => c.Old is null);
            _recordCount += applied.Messages.Count(c => c.Old is null) + applied.AgentActivities.Count(c => c.Old is null)
                + applied.Costs.Count(c => c.Old is null) + applied.Customers.Count(c => c.Old is null) + applied.Usage.Count(c => c.Old is null);
            _counts = CountsOf(_conversationCount, _surveyCount, _recordCount);
            RequestCheckpoint();
            return applied with { NewOutcomes = outcomes };
        }
    }

    /// <summary>Records SLA outcomes decided outside a batch (breaches at the deadline); returns the ones not recorded before.</summary>
    public IReadOnlyList<SlaOutcome> RecordOutcomes(IReadOnlyCollection<SlaOutcome> outcomes, DateTimeOffset recordedAt)
    {
        if (outcomes.Count == 0)
        {
            return [];
        }

        lock (_gate)
        {
            using var tx = Connection.BeginTransaction();
            var inserted = InsertOutcomes(outcomes, recordedAt);
            tx.Commit();
            return inserted;
        }
    }

    /// <summary>
    /// Every stored conversation (of one source, or all), streamed (used to rebuild the engine at start and when a
    /// replica takes a source over). This read and the other full reads below quarantine the rows they cannot read
    /// (see <see cref="CountQuarantined()"/>) and give the rest.
    /// </summary>
    public IEnumerable<Conversation> ReadConversations(string? source = null) =>
        // NOT INDEXED: a scan and one sort read a million rows faster than walking conversations_by_created, which
        // costs a primary-key lookup per row.
        ReadChecked(ConversationShape, $"SELECT {ConversationRows.Columns} FROM conversations NOT INDEXED{Where(source)} ORDER BY created_at;", ConversationRows.Read, source);

    public IEnumerable<SurveyResponse> ReadSurveys(string? source = null) =>
        ReadChecked(SurveyShape, $"SELECT {ConversationRows.SurveyColumns} FROM surveys{Where(source)};", ConversationRows.ReadSurvey, source);

    public IEnumerable<MessageEvent> ReadMessages(string? source = null) => ReadRecords<MessageEvent>(RecordKinds.Message, source);

    public IEnumerable<AgentActivity> ReadAgentActivities(string? source = null) => ReadRecords<AgentActivity>(RecordKinds.AgentActivity, source);

    public IEnumerable<CostEntry> ReadCosts(string? source = null) => ReadRecords<CostEntry>(RecordKinds.Cost, source);

    public IEnumerable<MessagingUsage> ReadUsage(string? source = null) => ReadRecords<MessagingUsage>(RecordKinds.Usage, source);

    public IEnumerable<CustomerCount> ReadCustomers(string? source = null) => ReadRecords<CustomerCount>(RecordKinds.Customers, source);

    public IEnumerable<SlaOutcome> ReadOutcomes(string? source = null) =>
        ReadChecked(OutcomeShape, $"SELECT policy, source, conversation_id, start, met, decided_at, channel, team FROM sla_outcomes{Where(source)};", SlaRows.Read, source);

    private static string Where(string? source) => source is null ? "" : " WHERE source = $source";

    private static string OfSource(string? source) => source is null ? "" : " AND source = $source";

    /// <summary>
    /// Row counts by kind (<c>conversation</c>, <c>survey</c>, <c>other</c>), counted at open and kept up to date by
    /// <see cref="Apply"/>: the counts of the last commit, read without the store's lock (the scrape reads them while a
    /// page may be committing; see docs/performance.md).
    /// </summary>
    public IReadOnlyDictionary<string, long> CountRecords() => _counts;

    private static Dictionary<string, long> CountsOf(long conversations, long surveys, long other) =>
        new() { ["conversation"] = conversations, ["survey"] = surveys, ["other"] = other };

    public void Dispose()
    {
        lock (_gate)
        {
            if (_connection is null)
            {
                return;
            }

            StopCheckpointer();
            _conversationWriter?.Dispose();
            _conversationWriter = null;
            _outcomeWriter?.Dispose();
            _outcomeWriter = null;
            _conversationReader?.Dispose();
            _conversationReader = null;
            _connection.Dispose();
            _connection = null;
            Log.StoreClosed(_logger, _path);
        }
    }

    /// <summary>
    /// The changes a page makes to its conversations, and the rows to write for them (one per conversation, its last
    /// version in the page), written by <see cref="WriteConversations"/> later in the same transaction.
    /// </summary>
    private (List<RecordChange<Conversation>> Changes, PendingRows Rows) PrepareConversations(string source, IReadOnlyList<Conversation> records, SqliteTransaction tx)
    {
        var changes = new List<RecordChange<Conversation>>(records.Count);
        var rows = new PendingRows(records.Count);
        if (records.Count == 0)
        {
            return (changes, rows);
        }

        // The stored versions and CSAT answers of the whole page, read in a few queries rather than one per record.
        var stored = LoadConversations(source, records.Select(r => r.ExternalId));
        // A source that has never delivered a survey has no CSAT answer to join: no query.
        var answers = _surveySources.Contains(source)
            ? LoadCsatAnswers(source, records.Select(r => r.ExternalId).Where(id => !stored.ContainsKey(id)), tx)
            : [];

        foreach (var record in records)
        {
            var current = ConversationRows.Normalize(record with { Source = source });
            stored.TryGetValue(current.ExternalId, out var old);

            // The CSAT answer is joined in by the store (from survey responses); a source's version never carries it.
            current = current with { Csat = current.Csat ?? (old is not null ? old.Csat : (answers.TryGetValue(current.ExternalId, out var answer) ? answer : null)) };
            if (old is not null && (old.UpdatedAt > current.UpdatedAt || old == current))
            {
                continue; // stale or identical: nothing changes
            }

            stored[current.ExternalId] = current; // a later version of the same record in this page replaces this one
            rows.Set(current, old);
            changes.Add(new RecordChange<Conversation>(old, current));
        }

        return (changes, rows);
    }

    /// <summary>
    /// Writes the page's rows: the upsert for those that keep their created_at, a replace for the few whose created_at
    /// moved (the upsert would keep the stored one).
    /// </summary>
    private void WriteConversations(PendingRows rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var writer = _conversationWriter ??= new ConversationWriter(Connection);
        var (upserts, moved) = rows.Split();
        writer.Write(upserts, replace: false);
        if (moved.Count > 0)
        {
            writer.Write(moved, replace: true);
        }
    }

    /// <summary>The last version in a page of each conversation it changes, and the created_at the store holds for it (null: new).</summary>
    private sealed class PendingRows(int capacity)
    {
        private readonly List<Conversation> _rows = new(capacity);
        private readonly List<DateTimeOffset?> _storedCreatedAt = new(capacity);
        private readonly Dictionary<string, int> _rowOf = new(capacity, StringComparer.Ordinal);

        public int Count => _rows.Count;

        public bool Contains(string externalId) => _rowOf.ContainsKey(externalId);

        /// <summary>Sets the row of <paramref name="current"/>'s conversation; <paramref name="stored"/> is the version before it.</summary>
        public void Set(Conversation current, Conversation? stored)
        {
            if (_rowOf.TryGetValue(current.ExternalId, out var row))
            {
                _rows[row] = current; // the stored created_at stays the one read before the page
            }
            else
            {
                _rowOf[current.ExternalId] = _rows.Count;
                _rows.Add(current);
                _storedCreatedAt.Add(stored?.CreatedAt);
            }
        }

        public (List<Conversation> Upserts, List<Conversation> Moved) Split()
        {
            var upserts = new List<Conversation>(_rows.Count);
            var moved = new List<Conversation>();
            for (var i = 0; i < _rows.Count; i++)
            {
                (_storedCreatedAt[i] is { } was && was != _rows[i].CreatedAt ? moved : upserts).Add(_rows[i]);
            }

            return (upserts, moved);
        }
    }

    private List<RecordChange<SurveyResponse>> UpsertSurveys(string source, IReadOnlyList<SurveyResponse> records, SqliteTransaction tx)
    {
        var changes = new List<RecordChange<SurveyResponse>>(records.Count);
        if (records.Count == 0)
        {
            return changes;
        }

        using var select = Connection.CreateCommand();
        select.Transaction = tx;
        select.CommandText = $"SELECT {ConversationRows.SurveyColumns} FROM surveys WHERE source = $source AND external_id = $external_id;";
        select.Parameters.Add(new SqliteParameter("$source", source));
        var selectId = select.Parameters.Add(new SqliteParameter("$external_id", SqliteType.Text));
        using var upsert = Connection.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = $"INSERT OR REPLACE INTO surveys ({ConversationRows.SurveyColumns}) VALUES ({Parameters(ConversationRows.SurveyColumns)});";
        ConversationRows.Declare(upsert, ConversationRows.SurveyColumns);

        foreach (var record in records)
        {
            var current = ConversationRows.Normalize(record with { Source = source });
            selectId.Value = current.ExternalId;
            SurveyResponse? old = null;
            using (var r = select.ExecuteReader())
            {
                if (r.Read())
                {
                    old = ConversationRows.ReadSurvey(r);
                }
            }

            if (old == current)
            {
                continue;
            }

            ConversationRows.Bind(upsert.Parameters, current);
            upsert.ExecuteNonQuery();
            _surveySources.Add(source); // kept even if the transaction rolls back: at worst one needless join
            changes.Add(new RecordChange<SurveyResponse>(old, current));
        }

        return changes;
    }

    private IEnumerable<T> ReadAll<T>(string sql, Func<SqliteDataReader, T> read, Action<SqliteParameterCollection>? bind = null)
    {
        // A separate read-only connection: the rebuild streams a million rows without holding the write lock.
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        bind?.Invoke(cmd.Parameters);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return read(r);
        }
    }

    private void LoadSurveySources()
    {
        using var cmd = _connection!.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT source FROM surveys;";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            _surveySources.Add(r.GetString(0));
        }
    }

    private long Scalar(string sql)
    {
        using var cmd = _connection!.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private SqliteConnection Connection =>
        _connection ?? throw new InvalidOperationException("The store is not open.");

    private static string Parameters(string columns) => string.Join(", ", columns.Split(", ").Select(c => "$" + c));

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A source's saved position: its opaque cursor and its watermark.</summary>
public sealed record SourceCheckpoint(string Cursor, DateTimeOffset? Watermark);

/// <summary>What a committed batch changed, for the engine to retract and add.</summary>
public sealed record AppliedBatch(IReadOnlyList<RecordChange<Conversation>> Conversations, IReadOnlyList<RecordChange<SurveyResponse>> Surveys)
{
    public IReadOnlyList<RecordChange<MessageEvent>> Messages { get; init; } = [];
    public IReadOnlyList<RecordChange<AgentActivity>> AgentActivities { get; init; } = [];
    public IReadOnlyList<RecordChange<CostEntry>> Costs { get; init; } = [];
    public IReadOnlyList<RecordChange<CustomerCount>> Customers { get; init; } = [];
    public IReadOnlyList<RecordChange<MessagingUsage>> Usage { get; init; } = [];

    /// <summary>SLA outcomes recorded by this batch for the first time.</summary>
    public IReadOnlyList<SlaOutcome> NewOutcomes { get; init; } = [];

    public int Count => Conversations.Count + Surveys.Count + Messages.Count + AgentActivities.Count + Costs.Count + Customers.Count + Usage.Count;
}
