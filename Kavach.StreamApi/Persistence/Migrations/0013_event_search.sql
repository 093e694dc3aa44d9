-- Search over history (docs/api.md, `q`): a case-insensitive substring of the event's stored body — its id, type,
-- timestamp, data, agentId and userId as served — found through a trigram index. pg_trgm is a trusted extension since
-- PostgreSQL 13: the owner, who owns the database, may create it (on Azure it must be allow-listed: azure.extensions).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- On a small table the index is built here, in the migration's transaction (its SHARE lock holds emits for a moment).
-- On a large one that lock would hold every emit for the length of the build, so the index is left to SearchIndex, which
-- builds it CONCURRENTLY once this transaction has committed; searches work without it, only slower. The count stops at
-- the bound: deciding costs at most that many rows, whatever the table's size or its statistics.
DO $migration$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM kavach_stream_events LIMIT 100001) bounded) <= 100000 THEN
        CREATE INDEX IF NOT EXISTS ix_kavach_stream_events_body_trgm ON kavach_stream_events USING gin (body gin_trgm_ops);
    END IF;
END
$migration$;
