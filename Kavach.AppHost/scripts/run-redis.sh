#!/usr/bin/env bash
# Runs the machine's own redis-server for the AppHost when no container engine is usable.
# Environment (set by LocalRedisResource): KAVACH_REDIS_BIN, KAVACH_REDIS_PASSWORD, REDIS_PORT.
# The configuration goes through stdin so the password never shows in the process list.
# Redis carries only live fan-out here (PostgreSQL is the record), so it persists nothing.
set -euo pipefail
exec "$KAVACH_REDIS_BIN" - <<CONF
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
requirepass $KAVACH_REDIS_PASSWORD
save ""
appendonly no
CONF
