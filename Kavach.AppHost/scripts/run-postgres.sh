#!/usr/bin/env bash
# Runs the machine's own PostgreSQL for the AppHost when no container engine is usable.
# Environment (set by LocalPostgresResource): KAVACH_PG_BIN, KAVACH_PG_DATA, KAVACH_PG_PASSWORD,
# KAVACH_PG_DATABASE, and PGPORT (the port Aspire allocated).
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

# exec so that the AppHost's SIGTERM reaches postgres (a fast, clean shutdown); its log goes to stdout.
exec "${as_owner[@]}" "$KAVACH_PG_BIN/postgres" -D "$KAVACH_PG_DATA" \
  -c listen_addresses=127.0.0.1 -c port="$PGPORT" -c unix_socket_directories='' 2>&1
