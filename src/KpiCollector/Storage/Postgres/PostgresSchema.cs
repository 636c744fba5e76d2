using Npgsql;

namespace KpiCollector.Storage.Postgres;

/// <summary>
/// The PostgreSQL store's schema, versioned in <c>schema_version</c>. Each migration runs once, in order, in one
/// transaction that holds an advisory lock, so replicas starting together migrate once; add a new one at the end,
/// never edit a shipped one. Instants are Unix milliseconds (<c>bigint</c>), as in the SQLite store, so a record reads
/// back exactly as written.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key of migrations ("KPIC" in ASCII).</summary>
    private const long MigrationLock = 0x4B504943;

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE conversations (
            source text NOT NULL,
            external_id text NOT NULL,
            channel text NOT NULL,
            status integer NOT NULL,
            priority text,
            ticket_type text,
            team text,
            requester_id text,
            assignee_id text,
            created_at bigint NOT NULL,
            first_response_at bigint,
            first_responder_kind integer,
            first_human_response_at bigint,
            first_resolved_at bigint,
            resolved_at bigint,
            closed_at bigint,
            agent_public_replies integer,
            reopens integer,
            handle_ms bigint,
            waiting_on_customer_ms bigint,
            updated_at bigint NOT NULL,
            bot_handoff_at bigint,
            csat_score double precision,
            csat_min double precision,
            csat_max double precision,
            PRIMARY KEY (source, external_id)
        );
        CREATE INDEX conversations_by_created ON conversations (created_at);
        CREATE INDEX conversations_unanswered ON conversations (created_at)
            WHERE status < 4 AND first_response_at IS NULL AND first_human_response_at IS NULL;
        CREATE TABLE surveys (
            source text NOT NULL,
            external_id text NOT NULL,
            conversation_id text,
            kind integer NOT NULL,
            score double precision,
            scale_min double precision NOT NULL,
            scale_max double precision NOT NULL,
            responded_at bigint NOT NULL,
            channel text NOT NULL,
            agent_id text,
            team text,
            PRIMARY KEY (source, external_id)
        );
        CREATE INDEX surveys_by_conversation ON surveys (source, conversation_id);
        CREATE TABLE source_state (
            source text PRIMARY KEY,
            cursor text NOT NULL,
            watermark bigint,
            saved_at bigint NOT NULL
        );
        CREATE TABLE records (
            kind text NOT NULL,
            source text NOT NULL,
            external_id text NOT NULL,
            payload text NOT NULL,
            PRIMARY KEY (kind, source, external_id)
        );
        CREATE TABLE sla_outcomes (
            policy text NOT NULL,
            source text NOT NULL,
            conversation_id text NOT NULL,
            start bigint NOT NULL,
            met bigint NOT NULL,
            decided_at bigint NOT NULL,
            channel text NOT NULL,
            team text,
            recorded_at bigint NOT NULL,
            PRIMARY KEY (policy, source, conversation_id, start)
        );
        CREATE INDEX sla_outcomes_by_conversation ON sla_outcomes (source, conversation_id);
        CREATE TABLE webhook_inbox (
            seq bigserial PRIMARY KEY,
            source text NOT NULL,
            received_at bigint NOT NULL,
            events text NOT NULL
        );
        CREATE INDEX webhook_inbox_by_source ON webhook_inbox (source, seq);
        CREATE TABLE rest_state (
            source text NOT NULL,
            key text NOT NULL,
            value text NOT NULL,
            PRIMARY KEY (source, key)
        );
        CREATE TABLE quarantine (
            kind text NOT NULL,
            source text NOT NULL,
            external_id text NOT NULL,
            reason text NOT NULL,
            row text NOT NULL,
            quarantined_at bigint NOT NULL,
            PRIMARY KEY (kind, source, external_id)
        );
        CREATE TABLE source_leases (
            source text PRIMARY KEY,
            owner text NOT NULL,
            token bigint NOT NULL,
            expires_at timestamptz NOT NULL
        );
        CREATE TABLE replicas (
            instance text PRIMARY KEY,
            seen_at timestamptz NOT NULL
        );
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>; returns the version it found.</summary>
    public static int Upgrade(NpgsqlDataSource db)
    {
        using var connection = db.OpenConnection();
        using var tx = connection.BeginTransaction();
        Execute(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLock}); CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);");
        using var read = new NpgsqlCommand("SELECT max(version) FROM schema_version;", connection, tx);
        var found = read.ExecuteScalar() is int v ? v : 0;
        if (found > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The store was written by a newer KpiCollector (schema {found}, this build knows {LatestVersion}); upgrade KpiCollector or point KpiCollector:Store:ConnectionString elsewhere.");
        }

        for (var i = found; i < LatestVersion; i++)
        {
            Execute(connection, tx, Migrations[i]);
            Execute(connection, tx, $"INSERT INTO schema_version (version) VALUES ({i + 1});");
        }

        tx.Commit();
        return found;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        cmd.ExecuteNonQuery();
    }
}
