-- The Merkle tree over the log (docs/integrity.md, "The Merkle tree"): leaf i is the event at sequence i + 1.
-- Stored a block of 256 leaves per row: the leaves' hashes, and the perfect subtrees the block completes at level 8 and
-- above (its own root first, then, while the block is a right child, its parent's, and so on up), 32 bytes each.
-- A block in progress is stored too (fewer leaves, no nodes) when a tree head is signed inside it, so that every signed
-- size can be proven from storage alone. Any replica writes what it built; a row is never changed, and one that exists
-- with other hashes is an alarm, not an overwrite.
-- A row belongs to the history of its epoch: once a later epoch replaced the sequences after S (kavach_stream_epochs),
-- rows of earlier epochs count only for leaves up to S, and the new history's blocks are written beside them.
CREATE TABLE IF NOT EXISTS kavach_merkle_blocks (
    block      bigint  NOT NULL,
    epoch      bigint  NOT NULL,
    leaf_count integer NOT NULL CHECK (leaf_count BETWEEN 1 AND 256),
    leaves     bytea   NOT NULL CHECK (length(leaves) = 32 * leaf_count),
    nodes      bytea   NOT NULL CHECK (length(nodes) % 32 = 0),
    PRIMARY KEY (block, epoch, leaf_count)
);
-- Hashes do not compress: out of line, without trying.
ALTER TABLE kavach_merkle_blocks ALTER COLUMN leaves SET STORAGE EXTERNAL;

-- Where the tree starts. A database upgraded from before the tree holds events nobody built leaves for, and retention
-- may already have removed the oldest: their leaves are absent (empty data) up to the head at this migration, and the
-- tree holds every event after it. A new database starts at 0.
CREATE TABLE IF NOT EXISTS kavach_merkle_tree (
    singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    starts_after bigint      NOT NULL,
    began_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO kavach_merkle_tree (singleton, starts_after) SELECT true, last_value FROM kavach_stream_sequence
    ON CONFLICT (singleton) DO NOTHING;
