-- Push delivery (docs/webhooks.md, docs/ssf.md): destinations that receive the log by push (webhooks, SSF push
-- streams) or poll (SSF poll streams), each with its own cursor. The cursor moves only when the receiver accepted
-- everything up to it, so delivery is at-least-once and in order per destination, and nothing is dropped.

-- One row per destination. cursor: the last sequence decided for this destination (delivered, or not meant for it);
-- the sender starts after it. lease_owner/lease_until: the one replica that sends to it now (the engine takes a lease
-- that has run out, so a dead replica's destinations move on within a lease).
CREATE TABLE IF NOT EXISTS kavach_destinations (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('webhook', 'ssf')),
    url             text        NULL,      -- where to push; null for an SSF poll stream
    description     text        NULL,
    event_types     text[]      NULL,      -- null: every type the grant allows
    grant_types     text[]      NULL,      -- the read grant, as a token's kavach_types / kavach_agents / kavach_users
    grant_agents    text[]      NULL,
    grant_users     text[]      NULL,
    config          jsonb       NOT NULL DEFAULT '{}'::jsonb, -- the kind's own settings (SSF: audience, format, delivery)
    state           text        NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'paused', 'disabled')),
    state_reason    text        NULL,
    cursor          bigint      NOT NULL CHECK (cursor >= 0),
    cursor_epoch    bigint      NOT NULL DEFAULT 0,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    lease_owner     text        NULL,
    lease_until     timestamptz NULL,
    attempts        integer     NOT NULL DEFAULT 0,  -- failed attempts at the event after the cursor
    failing_since   timestamptz NULL,                -- first failure of the current run of failures
    next_attempt_at timestamptz NULL,
    last_error      text        NULL,
    last_error_at   timestamptz NULL,
    last_success_at timestamptz NULL,
    delivered       bigint      NOT NULL DEFAULT 0   -- deliveries accepted, for the console
);
CREATE INDEX IF NOT EXISTS kavach_destinations_due ON kavach_destinations (lease_until) WHERE state = 'enabled' AND url IS NOT NULL;

-- A webhook's signing secrets (Standard Webhooks, whsec_…). Several at once while a rotation overlaps: every one not
-- expired signs each message, so a receiver that knows either verifies.
CREATE TABLE IF NOT EXISTS kavach_webhook_secrets (
    destination uuid        NOT NULL REFERENCES kavach_destinations (id) ON DELETE CASCADE,
    id          text        NOT NULL,
    secret      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at  timestamptz NULL,
    PRIMARY KEY (destination, id)
);

-- Messages that are not events of the log but go to one destination ahead of its next event: an SSF verification
-- event, a stream-updated event. Delivered by the same engine, removed once accepted (or acknowledged, when polled).
CREATE TABLE IF NOT EXISTS kavach_destination_outbox (
    id          bigserial   PRIMARY KEY,
    destination uuid        NOT NULL REFERENCES kavach_destinations (id) ON DELETE CASCADE,
    message_id  text        NOT NULL,  -- the webhook-id or jti the receiver sees
    kind        text        NOT NULL,
    payload     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (destination, message_id)
);

-- SSF: the subjects a stream was told to add or remove (RFC 9493 subject identifiers), matched by their canonical key.
-- Streams carry every subject by default ("default_subjects": "ALL"); included = false holds a removed subject's events
-- back (the removed ones are copied into the stream's config, which the sender reads with the stream).
CREATE TABLE IF NOT EXISTS kavach_ssf_subjects (
    destination uuid        NOT NULL REFERENCES kavach_destinations (id) ON DELETE CASCADE,
    subject_key text        NOT NULL,
    subject     jsonb       NOT NULL,
    verified    boolean     NULL,
    included    boolean     NOT NULL DEFAULT true,
    added_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (destination, subject_key)
);

-- SSF poll (RFC 8936): SETs a receiver acknowledged beyond its cursor (acknowledgements may come out of order).
CREATE TABLE IF NOT EXISTS kavach_ssf_acks (
    destination uuid   NOT NULL REFERENCES kavach_destinations (id) ON DELETE CASCADE,
    sequence    bigint NOT NULL,
    PRIMARY KEY (destination, sequence)
);

-- The RSA keys that sign SETs (RS256, at least 2048 bits), shared by every replica; the newest signs, all are published.
CREATE TABLE IF NOT EXISTS kavach_ssf_keys (
    kid         text        PRIMARY KEY,
    private_pem text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

INSERT INTO kavach_app_grants (object, privileges) VALUES
    ('kavach_destinations', 'SELECT, INSERT, UPDATE, DELETE'),
    ('kavach_webhook_secrets', 'SELECT, INSERT, UPDATE, DELETE'),
    ('kavach_destination_outbox', 'SELECT, INSERT, DELETE'),
    ('kavach_destination_outbox_id_seq', 'USAGE'),
    ('kavach_ssf_subjects', 'SELECT, INSERT, UPDATE, DELETE'),
    ('kavach_ssf_acks', 'SELECT, INSERT, DELETE'),
    ('kavach_ssf_keys', 'SELECT, INSERT')
ON CONFLICT (object) DO UPDATE SET privileges = excluded.privileges;
