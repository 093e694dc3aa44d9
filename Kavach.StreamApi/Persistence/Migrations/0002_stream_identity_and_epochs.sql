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
