-- Alerts (docs/console.md, "Alerts"): what the console's rules saw about one entity, with the events that are its
-- evidence, and who took it where. Shared by every console instance, so restarts and reconnects neither lose nor
-- reopen them. A raise is idempotent per rule and entity (an advisory lock in the raising transaction); the evidence
-- is a list of the log's sequences, kept after retention prunes those events.
CREATE TABLE IF NOT EXISTS kavach_alerts (
    id                    bigserial   PRIMARY KEY,
    rule                  text        NOT NULL,
    kind                  text        NOT NULL,
    entity_kind           text        NOT NULL,
    entity                text        NOT NULL,
    title                 text        NOT NULL,
    detail                text        NULL,
    evidence              bigint[]    NOT NULL,
    dedupe_window_seconds integer     NULL,  -- burst rules: a raise within this long of this one returns it
    notify_destination    uuid        NULL,  -- the webhook told of the raise (kavach_destination_outbox)
    state                 text        NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    raised_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    raised_by             text        NOT NULL,  -- the raising token's subject
    changed_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    changed_by            text        NOT NULL,  -- the person of the last change (the raiser's subject until then)
    changed_subject       text        NOT NULL,  -- the token that made the last change
    note                  text        NULL
);
CREATE INDEX IF NOT EXISTS kavach_alerts_rule_entity ON kavach_alerts (rule, entity_kind, entity, id DESC);
CREATE INDEX IF NOT EXISTS kavach_alerts_state ON kavach_alerts (state, id DESC);

-- Every state an alert was put in, oldest first: the raise (open) and each person's change, with the token that made it.
CREATE TABLE IF NOT EXISTS kavach_alert_changes (
    id       bigserial   PRIMARY KEY,
    alert    bigint      NOT NULL REFERENCES kavach_alerts (id) ON DELETE CASCADE,
    state    text        NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    by_name  text        NOT NULL,
    subject  text        NOT NULL,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    note     text        NULL
);
CREATE INDEX IF NOT EXISTS kavach_alert_changes_alert ON kavach_alert_changes (alert, id);

-- The service raises alerts and changes their state; it never rewrites what an alert is about, nor its history.
INSERT INTO kavach_app_grants (object, privileges) VALUES
    ('kavach_alerts', 'SELECT, INSERT, UPDATE (state, changed_at, changed_by, changed_subject, note)'),
    ('kavach_alerts_id_seq', 'USAGE'),
    ('kavach_alert_changes', 'SELECT, INSERT'),
    ('kavach_alert_changes_id_seq', 'USAGE')
ON CONFLICT (object) DO UPDATE SET privileges = excluded.privileges;
