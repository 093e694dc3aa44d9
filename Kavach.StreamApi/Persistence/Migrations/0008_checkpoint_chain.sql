-- Checkpoints version 2 (docs/integrity.md): each also signs the Merkle tree head over the log up to it and names the
-- checkpoint before it (epoch, sequence and the SHA-256 of its signed payload), so checkpoints form a chain of their
-- own. Null on version 1 checkpoints, signed before this migration.
ALTER TABLE kavach_checkpoints ADD COLUMN IF NOT EXISTS tree_size bigint NULL;
ALTER TABLE kavach_checkpoints ADD COLUMN IF NOT EXISTS tree_root bytea NULL;
ALTER TABLE kavach_checkpoints ADD COLUMN IF NOT EXISTS previous_epoch bigint NULL;
ALTER TABLE kavach_checkpoints ADD COLUMN IF NOT EXISTS previous_sequence bigint NULL;
ALTER TABLE kavach_checkpoints ADD COLUMN IF NOT EXISTS previous_digest bytea NULL;

-- A checkpoint has at most one successor: two replicas signing from the same predecessor cannot fork the chain (the
-- second insert fails and that replica signs again from the new head).
CREATE UNIQUE INDEX IF NOT EXISTS ux_kavach_checkpoints_previous ON kavach_checkpoints (previous_epoch, previous_sequence)
    WHERE previous_sequence IS NOT NULL;

-- Retention removes events only up to a checkpoint signed before its cutoff (docs/integrity.md, "Retention"): the anchor
-- names that checkpoint's sequence, so a verifier checks the anchor's chain reaches the checkpoint's signed hash, and that
-- the checkpoint is older than the retention period. Null on anchors written before (they bind to nothing).
ALTER TABLE kavach_chain_anchor ADD COLUMN IF NOT EXISTS bound_to bigint NULL;
