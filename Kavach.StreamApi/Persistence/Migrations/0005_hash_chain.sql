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
