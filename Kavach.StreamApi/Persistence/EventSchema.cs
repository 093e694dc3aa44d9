using Npgsql;

namespace Kavach.StreamApi.Persistence;

/// <summary>
/// Creates the event table at start-up. Replicas starting together serialise on a transaction-scoped
/// advisory lock, so the DDL never races; every statement is idempotent.
/// </summary>
public sealed class EventSchema(
    NpgsqlDataSource dataSource,
    Microsoft.Extensions.Options.IOptions<Options.DatabaseOptions> databaseOptions,
    ILogger<EventSchema> logger)
{
    private const long SchemaLockKey = 0x4B61766163680001; // "Kavach" + 1

    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS kavach_stream_events (
            sequence   bigint      PRIMARY KEY,
            id         text        NOT NULL UNIQUE,
            type       text        NOT NULL,
            timestamp  timestamptz NOT NULL,
            data       jsonb       NOT NULL,
            agent_id   text        NULL,
            user_id      text        NULL,
            committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        ALTER TABLE kavach_stream_events
            ADD COLUMN IF NOT EXISTS committed_at timestamptz NOT NULL DEFAULT clock_timestamp();
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_timestamp ON kavach_stream_events (timestamp);
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_committed_at ON kavach_stream_events (committed_at);
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_type_sequence ON kavach_stream_events (type, sequence);
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_agent_sequence ON kavach_stream_events (agent_id, sequence)
            WHERE agent_id IS NOT NULL;

        -- One row holding the last assigned sequence. Emitters take its row lock for the length of their
        -- transaction, so sequences are gap-free and commit in order: a reader that has seen N can never
        -- later find a committed event below N.
        CREATE TABLE IF NOT EXISTS kavach_stream_sequence (
            singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last_value bigint  NOT NULL
        );
        INSERT INTO kavach_stream_sequence (singleton, last_value)
            SELECT true, coalesce((SELECT max(sequence) FROM kavach_stream_events), 0)
            ON CONFLICT (singleton) DO NOTHING;

        -- The stream's identity (it namespaces fan-out in Redis) and its epoch: a new epoch begins when the sequence
        -- is found to have gone backwards (a restore or a failover to a standby that was behind), so that a cursor
        -- from before can never be mistaken for a place in the new history.
        ALTER TABLE kavach_stream_sequence ADD COLUMN IF NOT EXISTS stream_id uuid NOT NULL DEFAULT gen_random_uuid();
        ALTER TABLE kavach_stream_sequence ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL DEFAULT 1;
        ALTER TABLE kavach_stream_sequence ADD COLUMN IF NOT EXISTS epoch_starts_after bigint NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS kavach_stream_epochs (
            epoch        bigint      PRIMARY KEY,
            starts_after bigint      NOT NULL,
            began_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
            reason       text        NOT NULL
        );
        INSERT INTO kavach_stream_epochs (epoch, starts_after, reason) VALUES (1, 0, 'created') ON CONFLICT (epoch) DO NOTHING;

        -- The event's JSON as served (every field but the sequence), written once at emit: the read paths send it as it
        -- is instead of parsing data and serializing the event again. Null for events stored before this column.
        ALTER TABLE kavach_stream_events ADD COLUMN IF NOT EXISTS body text NULL;

        -- Readers scoped to users find their events by user as readers scoped to agents do by agent.
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_user_sequence ON kavach_stream_events (user_id, sequence)
            WHERE user_id IS NOT NULL;

        -- Revoked tokens (by jti) and subjects (every token issued to it until then). Every replica loads them and
        -- follows new ones, closing the matching streams.
        CREATE TABLE IF NOT EXISTS kavach_revocations (
            id         bigserial   PRIMARY KEY,
            kind       text        NOT NULL CHECK (kind IN ('token', 'subject')),
            value      text        NOT NULL,
            reason     text        NULL,
            revoked_by text        NOT NULL,
            revoked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            expires_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_kavach_revocations_expires_at ON kavach_revocations (expires_at);

        -- The hash chain (docs/integrity.md): each event's hash covers its JSON as served (sequence included, hash
        -- left out), its epoch and the previous event's hash. The sequence row keeps the last commit's hashes (the
        -- chain's head is the last of them), so a commit extends the chain in the statement that claims its sequences.
        -- Null for events stored before the chain began.
        ALTER TABLE kavach_stream_events ADD COLUMN IF NOT EXISTS hash bytea NULL;
        ALTER TABLE kavach_stream_sequence ADD COLUMN IF NOT EXISTS chain_hashes bytea[] NULL;
        CREATE OR REPLACE FUNCTION kavach_chain(prev bytea, base bigint, epoch bigint, bodies text[]) RETURNS bytea[]
            LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
        DECLARE
            h bytea := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
            hashes bytea[] := '{}';
        BEGIN
            FOR i IN 1 .. coalesce(array_length(bodies, 1), 0) LOOP
                h := sha256(h || int8send(epoch) || sha256(convert_to(
                    left(bodies[i], -1) || ',"sequence":' || (base + i)::text || '}', 'UTF8')));
                hashes[i] := h;
            END LOOP;
            RETURN hashes;
        END
        $fn$;

        -- What retention removed: the hash of the last pruned event, so the chain of what remains can still be verified.
        CREATE TABLE IF NOT EXISTS kavach_chain_anchor (
            singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
            sequence   bigint      NOT NULL,
            hash       bytea       NULL,
            pruned_at  timestamptz NOT NULL DEFAULT clock_timestamp()
        );

        -- Signed checkpoints of the chain, and the public keys that verify them (old keys stay after a rotation).
        CREATE TABLE IF NOT EXISTS kavach_checkpoint_keys (
            key_id     text        PRIMARY KEY,
            algorithm  text        NOT NULL,
            public_key text        NOT NULL,
            added_at   timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE TABLE IF NOT EXISTS kavach_checkpoints (
            epoch      bigint      NOT NULL,
            sequence   bigint      NOT NULL,
            hash       bytea       NOT NULL,
            signed_at  timestamptz NOT NULL,
            key_id     text        NOT NULL,
            signature  bytea       NOT NULL,
            PRIMARY KEY (epoch, sequence)
        );
        CREATE INDEX IF NOT EXISTS ix_kavach_checkpoints_signed_at ON kavach_checkpoints (signed_at);
        """;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", SchemaLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var ddl = new NpgsqlCommand(Ddl, connection, transaction))
        {
            await ddl.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Event schema is ready");
        await ReportConnectionBudgetAsync(connection, cancellationToken);
    }

    /// <summary>How many replicas PostgreSQL's connection limit leaves room for, so an operator sees it before it bites.</summary>
    private async Task ReportConnectionBudgetAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int", connection);
        var available = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        var options = databaseOptions.Value;
        var perReplica = options.MaxPoolSize + options.HistoryPoolSize;
        var replicas = available / perReplica;
        if (replicas < 2)
        {
            logger.LogWarning(
                "PostgreSQL allows {Available} connections and each replica may open {PerReplica} (Kavach:Database:MaxPoolSize + HistoryPoolSize): " +
                "fewer than two replicas fit. Raise max_connections or lower the pool sizes.", available, perReplica);
        }
        else
        {
            logger.LogInformation("PostgreSQL allows {Available} connections; each replica may open {PerReplica}: up to {Replicas} replicas fit",
                available, perReplica, replicas);
        }
    }
}
