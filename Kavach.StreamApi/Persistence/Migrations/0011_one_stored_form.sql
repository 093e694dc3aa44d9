-- One stored form of an event: its body, the JSON that is served and hashed. Until now each event was also stored as
-- data (jsonb), which was read only for events stored before bodies were (migration 3): the read path built their body
-- from it on every read. Those events get their body here, written exactly as that read path wrote it
-- (StoredEvent.BodyOf over the JsonDocument of data::text), so a reader sees the same bytes before and after:
--   {"id":…,"type":…,"timestamp":…,"data":{…},"agentId":…,"userId":…} — compact, agentId and userId left out when null;
--   members of data in the order jsonb keeps them, numbers as jsonb writes them (1e3 as 1000);
--   strings escaped as System.Text.Json's default encoder does: printable ASCII but " & ' + < > ` as it is, \\ \b \f \n
--   \r \t, anything else as \uXXXX (upper-case hex, UTF-16, so a character beyond U+FFFF is two escapes);
--   the timestamp in UTC as yyyy-MM-ddTHH:mm:ss, its fraction without trailing zeros (none when zero), then +00:00.
-- Those events have no hash (the chain began later, migration 5) and keep none: verification counts them unchained, as
-- before. Their data is left as it was, and new events store none; the column itself is dropped by a later migration,
-- once no replica of a build that writes it can be running (a deploy runs the previous build's replicas beside the
-- migrate step, and they name data in every insert and read).

-- A JSON string as System.Text.Json's default encoder writes it. PL/pgSQL, not SQL: its statements are planned once per
-- session, not once per call.
CREATE OR REPLACE FUNCTION kavach_json_string(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
BEGIN
    IF value ~ '^[ !#-%(-*,-;=?-\[\]-_a-~]*$' THEN
        RETURN '"' || value || '"';
    END IF;

    RETURN '"' || (SELECT string_agg(CASE
            WHEN c ~ '^[ !#-%(-*,-;=?-\[\]-_a-~]$' THEN c
            WHEN ascii(c) = 92 THEN '\\'
            WHEN ascii(c) = 8 THEN '\b'
            WHEN ascii(c) = 9 THEN '\t'
            WHEN ascii(c) = 10 THEN '\n'
            WHEN ascii(c) = 12 THEN '\f'
            WHEN ascii(c) = 13 THEN '\r'
            WHEN ascii(c) < 65536 THEN '\u' || upper(lpad(to_hex(ascii(c)), 4, '0'))
            ELSE '\u' || upper(to_hex(55296 + ((ascii(c) - 65536) >> 10))) || '\u' || upper(to_hex(56320 + ((ascii(c) - 65536) & 1023)))
        END, '' ORDER BY n)
        FROM unnest(string_to_array(value, NULL)) WITH ORDINALITY AS t(c, n)) || '"';
END
$fn$;

-- A jsonb value as System.Text.Json writes the JsonDocument of its text: jsonb's text, token by token (no recursion, so
-- no depth limit), with the spaces jsonb puts between tokens taken out and every string (member names too) escaped again.
-- A string of printable ASCII that neither encoder escapes is written the same by both.
CREATE OR REPLACE FUNCTION kavach_json_compact(value jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
BEGIN
    RETURN (SELECT string_agg(CASE
            WHEN left(token[1], 1) <> '"' THEN replace(token[1], ' ', '')
            WHEN token[1] ~ '^"[ !#-%(-*,-;=?-\[\]-_a-~]*"$' THEN token[1]
            ELSE kavach_json_string(token[1]::jsonb #>> '{}')
        END, '' ORDER BY n)
        FROM regexp_matches(value::text, '"(?:[^"\\]|\\.)*"|[^"]+', 'g') WITH ORDINALITY AS t(token, n));
END
$fn$;

-- Events without a body are the oldest: every build since migration 3 wrote one. Found from the start of the primary key,
-- so a database without any costs one index probe, not a scan of the table. The update blocks no reader or writer (it
-- locks only those rows): it may take longer than the service's statement_timeout, which applies again after it.
SELECT set_config('kavach.statement_timeout', current_setting('statement_timeout'), true);
SET LOCAL statement_timeout = 0;
DO $migration$
DECLARE
    seqscan text := current_setting('enable_seqscan');
    first_bodied bigint;
BEGIN
    -- Along the primary key whatever the statistics say: a sequential scan would read the whole table.
    PERFORM set_config('enable_seqscan', 'off', true);
    first_bodied := (SELECT sequence FROM kavach_stream_events WHERE body IS NOT NULL ORDER BY sequence LIMIT 1);
    PERFORM set_config('enable_seqscan', seqscan, true);
    UPDATE kavach_stream_events SET body =
        '{"id":' || kavach_json_string(id)
        || ',"type":' || kavach_json_string(type)
        || ',"timestamp":"' || CASE
            -- Npgsql stores DateTimeOffset.MinValue and MaxValue as -infinity and infinity, and reads them back as those.
            WHEN timestamp = '-infinity' THEN '0001-01-01T00:00:00'
            WHEN timestamp = 'infinity' THEN '9999-12-31T23:59:59.9999999'
            ELSE to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                || coalesce('.' || nullif(rtrim(to_char(timestamp AT TIME ZONE 'UTC', 'US'), '0'), ''), '') END || '+00:00"'
        || ',"data":' || kavach_json_compact(data)
        || coalesce(',"agentId":' || kavach_json_string(agent_id), '')
        || coalesce(',"userId":' || kavach_json_string(user_id), '')
        || '}'
    WHERE sequence < coalesce(first_bodied, 9223372036854775807) AND body IS NULL;
END
$migration$;
SELECT set_config('statement_timeout', current_setting('kavach.statement_timeout'), true);

DROP FUNCTION kavach_json_compact(jsonb);
DROP FUNCTION kavach_json_string(text);

-- Every event has a body from now on. NOT VALID: the rows above were just written, and checking the whole table would
-- hold its ACCESS EXCLUSIVE lock (taken here, held to the commit) for a scan. Events no longer need data.
ALTER TABLE kavach_stream_events DROP CONSTRAINT IF EXISTS kavach_stream_events_body_check;
ALTER TABLE kavach_stream_events ADD CONSTRAINT kavach_stream_events_body_check CHECK (body IS NOT NULL) NOT VALID,
    ALTER COLUMN data DROP NOT NULL;
