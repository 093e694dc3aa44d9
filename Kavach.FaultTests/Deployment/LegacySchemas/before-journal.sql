-- The DDL every replica ran at start-up as of commit 002f49b (Kavach.StreamApi/Persistence/EventSchema.cs), kept
-- verbatim to test that the migration journal upgrades a database it created.
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
