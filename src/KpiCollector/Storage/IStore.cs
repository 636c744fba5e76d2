using KpiCollector.Core.Records;
using KpiCollector.Core.Sla;

namespace KpiCollector.Storage;

/// <summary>
/// The source of truth, whatever engine holds it (<c>KpiCollector:Store:Provider</c>: SQLite by default, PostgreSQL
/// for replicas; docs/scaling.md). Every provider keeps the same contract: <see cref="Apply"/> commits a page's records,
/// its cursor and the SLA outcomes it settles in one transaction, so a crash never loses a page nor applies it twice;
/// a re-polled page changes nothing; the counts a scrape reads are published after each commit and read without
/// waiting on one.
/// </summary>
public interface IStore : IOpenConversations, Sources.WhatsApp.IWhatsAppInbox, Sources.Rest.IRestState, IDisposable
{
    /// <summary>True once <see cref="Open"/> succeeded and until the store is disposed.</summary>
    bool IsOpen { get; }

    /// <summary>Where the store lives, for logs and errors (a file path, or a server and database; never a password).</summary>
    string Location { get; }

    /// <summary>Connects (creating what is missing) and brings the schema up to date.</summary>
    void Open();

    /// <summary>The cursor the source saved with its last committed batch, or null before its first.</summary>
    SourceCheckpoint? GetCheckpoint(string source);

    /// <summary>
    /// Upserts the batch's records and saves its cursor, all or nothing. A conversation older than the stored version
    /// (by <c>UpdatedAt</c>) is ignored, and a record equal to the stored one yields no change, so re-polling a page
    /// changes nothing. <paramref name="decide"/> is called once, before the commit, with the batch's final changes
    /// (the ones returned); the SLA outcomes it returns are recorded in the same transaction (each identity once: see
    /// <see cref="AppliedBatch.NewOutcomes"/>). The pipeline starts the engine's apply from it, so the more of the
    /// transaction's work comes after it, the more of the two overlap (docs/performance.md, "Apply rate").
    /// </summary>
    AppliedBatch Apply(string source, SourceBatch batch, DateTimeOffset savedAt, Func<AppliedBatch, IEnumerable<SlaOutcome>>? decide = null);

    /// <summary>Records SLA outcomes decided outside a batch (breaches at the deadline); returns the ones not recorded before.</summary>
    IReadOnlyList<SlaOutcome> RecordOutcomes(IReadOnlyCollection<SlaOutcome> outcomes, DateTimeOffset recordedAt);

    /// <summary>
    /// Every stored conversation of one source (or all), oldest first, streamed: the rebuild at start, and when a
    /// replica takes a source over. Unreadable rows are quarantined, the rest given. The reads below do the same.
    /// </summary>
    IEnumerable<Conversation> ReadConversations(string? source = null);

    IEnumerable<SurveyResponse> ReadSurveys(string? source = null);

    IEnumerable<MessageEvent> ReadMessages(string? source = null);

    IEnumerable<AgentActivity> ReadAgentActivities(string? source = null);

    IEnumerable<CostEntry> ReadCosts(string? source = null);

    IEnumerable<MessagingUsage> ReadUsage(string? source = null);

    IEnumerable<CustomerCount> ReadCustomers(string? source = null);

    IEnumerable<SlaOutcome> ReadOutcomes(string? source = null);

    /// <summary>Row counts by kind (<c>conversation</c>, <c>survey</c>, <c>other</c>) as of the last commit, read without waiting on one.</summary>
    IReadOnlyDictionary<string, long> CountRecords();

    /// <summary>Quarantined records by source and kind, read without waiting on a commit.</summary>
    IReadOnlyDictionary<(string Source, string Kind), long> CountQuarantined();

    /// <summary>Quarantined records of one source, by kind.</summary>
    IReadOnlyDictionary<string, long> CountQuarantined(string source);

    /// <summary>The quarantined records, oldest first.</summary>
    IReadOnlyList<QuarantinedRecord> ReadQuarantine();

    /// <summary>The stored conversations created in [from, to) of one source or all, oldest first, with their SLA outcomes; streamed.</summary>
    IEnumerable<StoredConversation> ReadForExport(string? source, DateTimeOffset? from, DateTimeOffset? to);

    /// <summary>Unanswered open conversations matching the filter, oldest first (the drill-down).</summary>
    IReadOnlyList<StoredConversation> ReadUnanswered(ConversationFilter filter, int limit, bool oldestPerSource = false);

    /// <summary>The stored conversations with these keys, with their SLA outcomes.</summary>
    IReadOnlyDictionary<(string Source, string Id), StoredConversation> ReadConversations(IEnumerable<(string Source, string Id)> keys);

    /// <summary>Deliveries waiting in a source's webhook inbox.</summary>
    long CountInbox(string source);
}
