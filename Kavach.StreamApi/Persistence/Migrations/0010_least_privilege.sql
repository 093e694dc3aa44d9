-- Least privilege (docs/integrity.md, "Least privilege"). The owner that runs these migrations owns every table and
-- function; the service's replicas connect as a role of their own (Kavach:Database:AppRole), to which the migrate step
-- grants exactly what kavach_app_grants lists. That role adds and reads events, checkpoints and keys; it never
-- changes or deletes them. What it must change goes through the functions below, which do one narrow thing each.

-- How old an event must be before retention may remove it, whatever the service asks: set by the migrate step from its
-- own Kavach:Stream:Retention. One minute (the setting's least value) until a migrate step writes it, so a database
-- migrated by the replicas themselves — whose role may delete anything anyway — prunes as its replicas say.
CREATE TABLE IF NOT EXISTS kavach_retention_policy (
    singleton boolean  PRIMARY KEY DEFAULT true CHECK (singleton),
    min_age   interval NOT NULL CHECK (min_age >= interval '1 minute')
);
INSERT INTO kavach_retention_policy (singleton, min_age) VALUES (true, interval '1 minute') ON CONFLICT (singleton) DO NOTHING;

-- Retention's one way to delete (RetentionStore): a batch of the oldest events, never beyond up_to_sequence (a signed,
-- witnessed checkpoint older than the retention period: IRetentionBoundary) and never one committed within the retention
-- period, the greater of older_than and the owner's min_age, by PostgreSQL's clock. It removes a prefix only: it stops
-- at the first event that is too young, so it cannot punch a hole in the chain. The anchor moves in the same statement
-- and names the checkpoint it was pruned up to (bound_to), which the verifier checks is a trusted one.
CREATE OR REPLACE FUNCTION kavach_prune_events(older_than interval, up_to_sequence bigint, batch_size integer)
    RETURNS TABLE (deleted integer, last_deleted bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
DECLARE
    cutoff timestamptz := clock_timestamp()
        - greatest(older_than, coalesce((SELECT p.min_age FROM kavach_retention_policy p), interval '1 minute'));
    -- Every event up to the anchor is gone: starting after it, no batch walks over what earlier ones removed.
    after_anchor bigint := coalesce((SELECT a.sequence FROM kavach_chain_anchor a), 0);
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 100000 THEN
        RAISE EXCEPTION 'batch_size must be between 1 and 100000 (it is %)', batch_size;
    END IF;

    RETURN QUERY
    WITH candidates AS (
        SELECT e.sequence, e.committed_at FROM kavach_stream_events e
        WHERE e.sequence > after_anchor AND e.sequence <= up_to_sequence
        ORDER BY e.sequence LIMIT batch_size),
    first_young AS (
        SELECT min(c.sequence) AS sequence FROM candidates c WHERE c.committed_at >= cutoff),
    doomed AS (
        SELECT c.sequence FROM candidates c, first_young y WHERE y.sequence IS NULL OR c.sequence < y.sequence),
    gone AS (
        DELETE FROM kavach_stream_events e USING doomed d WHERE e.sequence = d.sequence RETURNING e.sequence, e.hash),
    newest AS (
        SELECT g.sequence, g.hash FROM gone g ORDER BY g.sequence DESC LIMIT 1),
    anchored AS (
        INSERT INTO kavach_chain_anchor (singleton, sequence, hash, bound_to) SELECT true, n.sequence, n.hash, up_to_sequence FROM newest n
        ON CONFLICT (singleton) DO UPDATE SET sequence = excluded.sequence, hash = excluded.hash, bound_to = excluded.bound_to,
            pruned_at = clock_timestamp()
        WHERE kavach_chain_anchor.sequence < excluded.sequence
        RETURNING 1)
    SELECT count(*)::integer, max(g.sequence) FROM gone g;
END
$fn$;
REVOKE ALL ON FUNCTION kavach_prune_events(interval, bigint, integer) FROM PUBLIC;

-- A new epoch (EventStore.BeginEpochAsync), so the service's role needs no UPDATE of the epochs it has recorded, nor of
-- the sequence row's epoch.
CREATE OR REPLACE FUNCTION kavach_begin_epoch(seen_epoch bigint, at_least bigint, starts_after bigint, reason text)
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
    WITH begun AS (
        UPDATE kavach_stream_sequence
        SET epoch = GREATEST(epoch + 1, $2), epoch_starts_after = LEAST($3, last_value)
        WHERE epoch = $1
        RETURNING epoch, epoch_starts_after, last_value)
    INSERT INTO kavach_stream_epochs (epoch, starts_after, chain_starts_after, reason)
    SELECT b.epoch, b.epoch_starts_after, b.last_value, $4 FROM begun b
    ON CONFLICT (epoch) DO UPDATE SET starts_after = EXCLUDED.starts_after, chain_starts_after = EXCLUDED.chain_starts_after,
        reason = EXCLUDED.reason, began_at = clock_timestamp()
$fn$;
REVOKE ALL ON FUNCTION kavach_begin_epoch(bigint, bigint, bigint, text) FROM PUBLIC;

-- What the service's role may do, object by object: the migrate step grants exactly this, and revokes anything else.
-- A migration that adds a table, sequence or function the service uses adds its row here (INSERT ... ON CONFLICT DO
-- UPDATE), in the same migration: without one the service is refused it. The rule for event data: SELECT and INSERT,
-- never UPDATE or DELETE.
CREATE TABLE IF NOT EXISTS kavach_app_grants (
    object     text PRIMARY KEY, -- a table or sequence, or a function with its argument types
    privileges text NOT NULL     -- as GRANT takes them: 'SELECT, INSERT', 'SELECT, UPDATE (a, b)', 'USAGE', 'EXECUTE'
);
INSERT INTO kavach_app_grants (object, privileges) VALUES
    ('kavach_schema_migrations', 'SELECT'),
    ('kavach_stream_events', 'SELECT, INSERT'),
    -- Each commit claims its sequences and extends the chain on this one row, under its lock.
    ('kavach_stream_sequence', 'SELECT, UPDATE (last_value, chain_hashes)'),
    ('kavach_stream_epochs', 'SELECT'),
    ('kavach_revocations', 'SELECT, INSERT'),
    ('kavach_revocations_id_seq', 'USAGE'),
    ('kavach_chain_anchor', 'SELECT'),
    ('kavach_checkpoint_keys', 'SELECT, INSERT'),
    ('kavach_checkpoints', 'SELECT, INSERT'),
    ('kavach_retention_policy', 'SELECT'),
    -- The Merkle tree's blocks are written once and never changed (migration 9).
    ('kavach_merkle_blocks', 'SELECT, INSERT'),
    ('kavach_merkle_tree', 'SELECT'),
    ('kavach_prune_events(interval, bigint, integer)', 'EXECUTE'),
    ('kavach_begin_epoch(bigint, bigint, bigint, text)', 'EXECUTE')
ON CONFLICT (object) DO UPDATE SET privileges = excluded.privileges;

-- Run by the migrate step, as the owner, after every migration: the service's role gets what kavach_app_grants lists
-- and nothing else, whatever it was granted before.
CREATE OR REPLACE FUNCTION kavach_grant_app_role(app_role name) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    g record;
    kind "char";
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app_role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app_role);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM %I', app_role);
    -- PostgreSQL 15 and later create no objects for PUBLIC in schema public; older ones did.
    EXECUTE format('REVOKE CREATE ON SCHEMA public FROM %I', app_role);
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    FOR g IN SELECT object, privileges FROM kavach_app_grants ORDER BY object LOOP
        IF position('(' IN g.object) > 0 THEN
            EXECUTE format('GRANT %s ON FUNCTION %s TO %I', g.privileges, g.object::regprocedure, app_role);
        ELSE
            SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = to_regclass(g.object);
            IF kind IS NULL THEN
                RAISE EXCEPTION 'kavach_app_grants lists %, which does not exist', g.object;
            END IF;
            EXECUTE format('GRANT %s ON %s %s TO %I', g.privileges, CASE kind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                to_regclass(g.object), app_role);
        END IF;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION kavach_grant_app_role(name) FROM PUBLIC;
