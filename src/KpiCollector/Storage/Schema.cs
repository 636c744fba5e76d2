using Microsoft.Data.Sqlite;

namespace KpiCollector.Storage;

/// <summary>
/// The store's schema, versioned with <c>PRAGMA user_version</c>. Each migration runs once, in its own transaction,
/// in order; add a new one at the end, never edit a shipped one.
/// </summary>
internal static class Schema
{
    private static readonly string[] Migrations =
    [
        // 1: conversations, survey responses and each source's cursor.
        """
        CREATE TABLE conversations (
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            status INTEGER NOT NULL,
            priority TEXT,
            ticket_type TEXT,
            team TEXT,
            requester_id TEXT,
            assignee_id TEXT,
            created_at INTEGER NOT NULL,
            first_response_at INTEGER,
            first_responder_kind INTEGER,
            first_human_response_at INTEGER,
            first_resolved_at INTEGER,
            resolved_at INTEGER,
            closed_at INTEGER,
            agent_public_replies INTEGER,
            reopens INTEGER,
            handle_ms INTEGER,
            waiting_on_customer_ms INTEGER,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (source, external_id)
        ) WITHOUT ROWID;
        CREATE TABLE surveys (
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            conversation_id TEXT,
            kind INTEGER NOT NULL,
            score REAL NOT NULL,
            scale_min REAL NOT NULL,
            scale_max REAL NOT NULL,
            responded_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            agent_id TEXT,
            team TEXT,
            PRIMARY KEY (source, external_id)
        ) WITHOUT ROWID;
        CREATE TABLE source_state (
            source TEXT PRIMARY KEY NOT NULL,
            cursor TEXT NOT NULL,
            watermark INTEGER,
            saved_at INTEGER NOT NULL
        );
        """,

        // 2: the rest of the records (JSON payloads), SLA outcomes, the bot hand-off and the CSAT join on
        // conversations, and survey offers without a score.
        """
        ALTER TABLE conversations ADD COLUMN bot_handoff_at INTEGER;
        ALTER TABLE conversations ADD COLUMN csat_score REAL;
        ALTER TABLE conversations ADD COLUMN csat_min REAL;
        ALTER TABLE conversations ADD COLUMN csat_max REAL;
        CREATE TABLE surveys_v2 (
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            conversation_id TEXT,
            kind INTEGER NOT NULL,
            score REAL,
            scale_min REAL NOT NULL,
            scale_max REAL NOT NULL,
            responded_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            agent_id TEXT,
            team TEXT,
            PRIMARY KEY (source, external_id)
        ) WITHOUT ROWID;
        INSERT INTO surveys_v2 SELECT * FROM surveys;
        DROP TABLE surveys;
        ALTER TABLE surveys_v2 RENAME TO surveys;
        CREATE INDEX surveys_by_conversation ON surveys (source, conversation_id);
        CREATE TABLE records (
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (kind, source, external_id)
        ) WITHOUT ROWID;
        CREATE TABLE sla_outcomes (
            policy TEXT NOT NULL,
            source TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            met INTEGER NOT NULL,
            decided_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            team TEXT,
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (policy, source, conversation_id, start)
        ) WITHOUT ROWID;
        """,
        // 3: the webhook inbox: deliveries a webhook source has verified and acknowledged, in arrival order, as the
        // normalized events they carried (never the raw body: no message text, no names), until its polls process them.
        """
        CREATE TABLE webhook_inbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            events TEXT NOT NULL
        );
        CREATE INDEX webhook_inbox_by_source ON webhook_inbox (source, seq);
        """,
        // 4: reads for the drill-down and the raw export (docs/drilldown.md): conversations by creation time (the
        // export's range), the open ones with no reply yet (a small partial index: the unanswered list), and the SLA
        // outcomes of one conversation.
        """
        CREATE INDEX conversations_by_created ON conversations (created_at);
        CREATE INDEX conversations_unanswered ON conversations (created_at)
            WHERE status < 4 AND first_response_at IS NULL AND first_human_response_at IS NULL;
        CREATE INDEX sla_outcomes_by_conversation ON sla_outcomes (source, conversation_id);
        """,
        // 5: records that could not be read back, kept aside with the reason and their raw row (docs/runbooks.md,
        // "KpiCollectorRecordsQuarantined").
        """
        CREATE TABLE quarantine (
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            row TEXT NOT NULL,
            quarantined_at INTEGER NOT NULL,
            PRIMARY KEY (kind, source, external_id)
        ) WITHOUT ROWID;
        """,
        // 6: a conversation new to the store, of a source that delivers surveys, had no CSAT answer yet but was given
        // an empty one (score 0 on a 0..0 scale), counted as satisfied in the quality score. No survey has that scale.
        """
        UPDATE conversations SET csat_score = NULL, csat_min = NULL, csat_max = NULL WHERE csat_min = 0 AND csat_max = 0;
        """,
        // 7: SLA outcomes keyed by their conversation first (source, conversation_id, policy, start): the drill-down's
        // read of one conversation's outcomes walks the table itself, and sla_outcomes_by_conversation, a second B-tree
        // every outcome insert paid for, is gone (docs/performance.md, "Apply rate"). Same columns, same order.
        """
        CREATE TABLE sla_outcomes_v7 (
            policy TEXT NOT NULL,
            source TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            met INTEGER NOT NULL,
            decided_at INTEGER NOT NULL,
            channel TEXT NOT NULL,
            team TEXT,
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (source, conversation_id, policy, start)
        ) WITHOUT ROWID;
        INSERT INTO sla_outcomes_v7 SELECT policy, source, conversation_id, start, met, decided_at, channel, team, recorded_at FROM sla_outcomes;
        DROP TABLE sla_outcomes;
        ALTER TABLE sla_outcomes_v7 RENAME TO sla_outcomes;
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>; returns the version it found.</summary>
    public static int Upgrade(SqliteConnection connection)
    {
        var found = Version(connection);
        if (found > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The store was written by a newer KpiCollector (schema {found}, this build knows {LatestVersion}); upgrade KpiCollector or point KpiCollector:Store:Path elsewhere.");
        }

        for (var v = found; v < LatestVersion; v++)
        {
            using var tx = connection.BeginTransaction();
            using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = Migrations[v] + $"\nPRAGMA user_version = {v + 1};";
            cmd.ExecuteNonQuery();
            tx.Commit();
        }

        return found;
    }

    private static int Version(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
