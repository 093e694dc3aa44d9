#!/usr/bin/env bash
# Runs the whole test suite against the real system (PostgreSQL, Redis, both API replicas, the console).
# Installs what the tests need where it can (as root or with sudo): redis-server and Chromium from apt.
# PostgreSQL server binaries (initdb, postgres) must already be on the machine.
# Prints a last line "N passed, N failed, N skipped" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "Installing ${need[*]} ..."
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } >/tmp/kavach-apt.log 2>&1; then
    echo "warn: could not install ${need[*]} (see /tmp/kavach-apt.log); tests that need them will fail." >&2
  fi
fi

if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL server binaries are missing: install them with 'apt-get install postgresql'." >&2
fi

results=$(mktemp -d)
dotnet test Kavach.Tests/Kavach.Tests.csproj --logger "console;verbosity=normal" \
  --logger "trx;LogFileName=kavach.trx" --results-directory "$results"
status=$?

# The counts come from the TRX report, whatever the console verbosity.
trx="$results/kavach.trx"
if [ -f "$trx" ] && counters=$(grep -o '<Counters [^>]*>' "$trx"); then
  count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
  failed=$(( failed + $(count error) + $(count timeout) + $(count aborted) ))
  echo "$passed passed, $failed failed, $(( total - executed )) skipped"
else
  echo "The test run did not complete (build failure or crash): see the output above." >&2
  [ "$status" -ne 0 ] || status=1
fi
rm -rf "$results"
exit "$status"
