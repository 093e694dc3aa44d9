-- The event's JSON as served (every field but the sequence), written once at emit: the read paths send it as it
-- is instead of parsing data and serializing the event again. Null for events stored before this column.
ALTER TABLE kavach_stream_events ADD COLUMN IF NOT EXISTS body text NULL;
