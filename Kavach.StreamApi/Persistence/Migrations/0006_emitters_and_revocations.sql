-- Who emitted each event (the token's subject): an idempotency id belongs to its emitter, and a retry by another
-- emitter is refused instead of answered with someone else's event. Null for events stored before this column.
ALTER TABLE kavach_stream_events ADD COLUMN IF NOT EXISTS emitted_by text NULL;

-- Revocations are followed in commit order, not id order: a bigserial id is taken at INSERT, so a revocation can
-- commit after one with a higher id. Each row keeps the id of the transaction that wrote it; a replica re-reads from
-- the oldest transaction that was still in progress at its last read (pg_snapshot_xmin), so a late commit is never
-- skipped.
ALTER TABLE kavach_revocations ADD COLUMN IF NOT EXISTS xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS ix_kavach_revocations_xid ON kavach_revocations (xid);

-- An agent's revocation: every token that speaks for the agent (kavach_subject = agent), issued up to revoked_at.
-- Written in the same statement that commits an agent.revoked event emitted with events:admin.
ALTER TABLE kavach_revocations DROP CONSTRAINT IF EXISTS kavach_revocations_kind_check;
ALTER TABLE kavach_revocations ADD CONSTRAINT kavach_revocations_kind_check CHECK (kind IN ('token', 'subject', 'agent'));

-- Before this migration any agent.revoked event ended its agent's authority. Those of the last week keep doing so
-- (failing closed), whoever emitted them; from now on only events:admin emitters' do.
INSERT INTO kavach_revocations (kind, value, reason, revoked_by, revoked_at, expires_at)
SELECT 'agent', agent_id, 'agent.revoked event ' || id || ' (committed before migration 6)', 'migration 6', committed_at,
       committed_at + interval '7 days'
FROM kavach_stream_events
WHERE type = 'agent.revoked' AND agent_id IS NOT NULL AND committed_at > clock_timestamp() - interval '7 days';
