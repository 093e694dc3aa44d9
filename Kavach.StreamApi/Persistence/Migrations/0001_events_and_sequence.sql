-- The first schema (every replica ran it at start-up, without a journal, until migration journals came in).
-- Every statement here and below is idempotent, so a database created by any earlier build is brought up to date by
-- running the migrations it has no journal rows for.
CREATE TABLE IF NOT EXISTS kavach_stream_events (
    sequence     bigint      PRIMARY KEY,
    id           text        NOT NULL UNIQUE,
    type         text        NOT NULL,
    timestamp    timestamptz NOT NULL,
    data         jsonb       NOT NULL,
    agent_id     text        NULL,
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
