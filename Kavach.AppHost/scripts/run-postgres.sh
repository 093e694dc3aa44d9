#!/usr/bin/env bash
# Runs the machine's own PostgreSQL for the AppHost when no container engine is usable.
# Environment (set by KavachInfrastructure): KAVACH_PG_BIN, KAVACH_PG_DATA, KAVACH_PG_PASSWORD (the superuser's),
# KAVACH_PG_DATABASE, KAVACH_PG_OWNER and KAVACH_PG_OWNER_PASSWORD, and PGPORT (the port Aspire allocated).
set -euo pipefail

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb and postgres refuse to run as root: run them as the postgres OS user, which must own the data.
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  mkdir -p "$KAVACH_PG_DATA"
  chown postgres:postgres "$KAVACH_PG_DATA"
fi

if [ ! -s "$KAVACH_PG_DATA/PG_VERSION" ]; then
  echo "Initialising a new PostgreSQL data directory at $KAVACH_PG_DATA"
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$KAVACH_PG_PASSWORD" > "$pwfile"
  [ ${#as_owner[@]} -eq 0 ] || chown postgres:postgres "$pwfile"
  "${as_owner[@]}" "$KAVACH_PG_BIN/initdb" -D "$KAVACH_PG_DATA" -U postgres --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --no-instructions 2>&1
  rm -f "$pwfile"
fi

# The database is created once, in single-user mode, before the server accepts connections, so the
# health check (which connects to this database) passes only when it exists.
marker="$KAVACH_PG_DATA/kavach_database_created"
if [ ! -f "$marker" ]; then
  echo "CREATE DATABASE \"$KAVACH_PG_DATABASE\";" | "${as_owner[@]}" "$KAVACH_PG_BIN/postgres" --single -D "$KAVACH_PG_DATA" postgres >/dev/null 2>&1 || true
  "${as_owner[@]}" touch "$marker"
fi

# The owner of the database and of everything Kavach keeps in it, as which the migrate step connects: it may create the
# service's own role, nothing more (not a superuser). At every start, so its password is the AppHost's and objects that
# an earlier build made as the superuser are handed over. Single-user mode again: nobody is connected yet.
bootstrap=$("${as_owner[@]}" "$KAVACH_PG_BIN/postgres" --single -j -D "$KAVACH_PG_DATA" "$KAVACH_PG_DATABASE" 2>&1 <<SQL
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$KAVACH_PG_OWNER') THEN CREATE ROLE "$KAVACH_PG_OWNER"; END IF;
END \$\$;

ALTER ROLE "$KAVACH_PG_OWNER" WITH LOGIN CREATEROLE NOSUPERUSER PASSWORD '$KAVACH_PG_OWNER_PASSWORD';

ALTER DATABASE "$KAVACH_PG_DATABASE" OWNER TO "$KAVACH_PG_OWNER";

DO \$\$ DECLARE handover text; BEGIN
    FOR handover IN
        SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, '$KAVACH_PG_OWNER') FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname LIKE 'kavach%'
          AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = 'postgres')
        UNION ALL
        SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, '$KAVACH_PG_OWNER') FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'kavach%'
          AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = 'postgres')
    LOOP
        EXECUTE handover;
    END LOOP;
END \$\$;

SQL
) || { echo "$bootstrap"; exit 1; }
if grep -q -E '(ERROR|FATAL):' <<<"$bootstrap"; then
  echo "Creating the owner role $KAVACH_PG_OWNER failed:"; grep -E '(ERROR|FATAL):' <<<"$bootstrap"; exit 1
fi

# exec so that the AppHost's SIGTERM reaches postgres (a fast, clean shutdown); its log goes to stdout.
exec "${as_owner[@]}" "$KAVACH_PG_BIN/postgres" -D "$KAVACH_PG_DATA" \
  -c listen_addresses=127.0.0.1 -c port="$PGPORT" -c unix_socket_directories='' 2>&1
