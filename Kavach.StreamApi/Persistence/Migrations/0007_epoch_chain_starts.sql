-- Where each epoch's hashing begins (docs/integrity.md, "Epochs"). An epoch starts after the last sequence both
-- histories share (starts_after), which can be below the database's last sequence at that moment: after a restore,
-- replicas that had not noticed it yet went on committing. Those events were committed, and hashed, in the epoch
-- before. chain_starts_after is the last sequence committed when the epoch began (the statement that begins it holds
-- the sequence row's lock): events after it are hashed with the new epoch.
ALTER TABLE kavach_stream_epochs ADD COLUMN IF NOT EXISTS chain_starts_after bigint NULL;

-- Epochs begun before this column: found from the stored hashes, by walking from the epoch's start while the events
-- still chain in the epoch before it. Where that cannot be told (the event before them is gone, without the retention
-- anchor), the epoch's start, as verifiers assumed until now.
DO $migration$
DECLARE
    e record;
    r record;
    before_epoch bigint;
    previous bytea;
    known boolean;
    boundary bigint;
BEGIN
    FOR e IN SELECT epoch, starts_after FROM kavach_stream_epochs WHERE chain_starts_after IS NULL ORDER BY epoch LOOP
        boundary := e.starts_after;
        SELECT max(epoch) INTO before_epoch FROM kavach_stream_epochs WHERE epoch < e.epoch;
        previous := NULL;
        known := e.starts_after = 0;
        IF NOT known AND EXISTS (SELECT 1 FROM kavach_stream_events WHERE sequence = e.starts_after) THEN
            SELECT hash INTO previous FROM kavach_stream_events WHERE sequence = e.starts_after;
            known := true;
        ELSIF NOT known AND EXISTS (SELECT 1 FROM kavach_chain_anchor WHERE sequence = e.starts_after) THEN
            SELECT hash INTO previous FROM kavach_chain_anchor;
            known := true;
        END IF;

        IF known AND before_epoch IS NOT NULL THEN
            FOR r IN SELECT sequence, body, hash FROM kavach_stream_events WHERE sequence > e.starts_after ORDER BY sequence LOOP
                EXIT WHEN r.sequence <> boundary + 1 OR r.hash IS NULL OR r.body IS NULL
                    OR r.hash <> sha256(coalesce(previous, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                        || int8send(before_epoch)
                        || sha256(convert_to(left(r.body, -1) || ',"sequence":' || r.sequence::text || '}', 'UTF8')));
                boundary := r.sequence;
                previous := r.hash;
            END LOOP;
        END IF;

        UPDATE kavach_stream_epochs SET chain_starts_after = boundary WHERE epoch = e.epoch;
    END LOOP;
END
$migration$;
