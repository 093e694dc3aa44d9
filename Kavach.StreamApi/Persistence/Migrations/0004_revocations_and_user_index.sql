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

-- Readers scoped to users find their events by user as readers scoped to agents do by agent.
CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_user_sequence ON kavach_stream_events (user_id, sequence)
    WHERE user_id IS NOT NULL;
