#!/usr/bin/env bash
# The console's whole-range export (/history/export/range) of a million events, timed, with the console's memory.
#
#   flock -o /tmp/kavach-heavy.lock timeout 3600 benchmarks/export-1m.sh [events] [format]    # 1000000 ndjson
#   SKIP_BUILD=1 ...                                            # with the Release builds made beforehand
#
# Release builds of the AppHost (so of the stream API and the console) and of the load generator; the AppHost in run
# mode (Development: the API issues development tokens; the script signs in to the console as alice through the
# development OpenID Connect provider, with a password it gives the AppHost's dev-users-password parameter); the events emitted
# through the API by Kavach.LoadGen (batches of 1000, 4 connections, with a small `data` padding) until at least
# [events] are stored after the start; then one export of that range through the console with curl, its lines counted.
# The console's resident memory is sampled from /proc every 100 ms during the export (its peak is reported beside the
# baseline just before it, and VmHWM, the process's peak since it started). Prints one JSON line at the end.
set -euo pipefail

events=${1:-1000000}
format=${2:-ndjson}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/kavach-export-bench.XXXXXX)
api=http://127.0.0.1:5080 # the load generator takes an IP address
console=http://localhost:5090

if [ -z "${SKIP_BUILD:-}" ]; then # SKIP_BUILD=1: built already (outside the lock, on a shared machine)
  dotnet build -c Release "$root/Kavach.AppHost" -nologo -v q >/dev/null
  dotnet build -c Release "$root/benchmarks/Kavach.LoadGen" -nologo -v q >/dev/null
  dotnet build-server shutdown >/dev/null 2>&1 || true
fi

password=$(python3 -c 'import secrets; print("bench-" + secrets.token_hex(12))')
(cd "$root" && exec env "Parameters__dev-users-password=$password" \
  dotnet run -c Release --no-build --project Kavach.AppHost --launch-profile http) >"$work/apphost.log" 2>&1 &
apphost=$!
trap 'kill -TERM $apphost 2>/dev/null; wait $apphost 2>/dev/null || true' EXIT

wait_for() { # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    if ((SECONDS > deadline)); then echo "$1 did not answer within $2 s; see $work/apphost.log" >&2; exit 1; fi
    sleep 1
  done
}
wait_for "$api/health" 300
wait_for "$console/health" 300

# The console process: the one running this checkout's Release build of Kavach.Dashboard (DCP starts it, not the AppHost).
console_pid=""
for p in $(pgrep -f "$root/Kavach.Dashboard/bin/Release" || true); do
  if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "" ] && ! tr '\0' ' ' <"/proc/$p/cmdline" | grep -q 'dotnet run'; then console_pid=$p; fi
done
[ -n "$console_pid" ] || { echo "no process runs $root/Kavach.Dashboard/bin/Release; see $work/apphost.log" >&2; ps -eo pid,args | grep -i dashboard >&2; exit 1; }
echo "console process $console_pid: $(tr '\0' ' ' <"/proc/$console_pid/cmdline")" >&2

# Sign in as alice the way a browser does: the console sends curl to the provider's form, the form's answer back to the
# console, which sets its session cookie in the jar the export then sends.
jar="$work/cookies"
form=$(curl -sfL -c "$jar" -b "$jar" -w '\n%{url_effective}' "$console/signin?returnUrl=%2F")
login=$(tail -1 <<<"$form")
field() { sed '$d' <<<"$form" | python3 -c 'import html, re, sys; print(html.unescape(re.search(r"name=\"%s\" value=\"([^\"]*)\"" % sys.argv[1], sys.stdin.read()).group(1)))' "$1"; }
curl -sfL -c "$jar" -b "$jar" -o /dev/null \
  --data-urlencode "__RequestVerificationToken=$(field __RequestVerificationToken)" --data-urlencode "returnUrl=$(field returnUrl)" \
  --data-urlencode username=alice --data-urlencode "password=$password" \
  "$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(f"{p.scheme}://{p.netloc}/account/login")' "$login")"
grep -q 'kavach.console' "$jar" || { echo "signing in to the console failed; see $work/apphost.log" >&2; exit 1; }

token=$(curl -sf -X POST "$api/api/kavach/dev/tokens" -H 'Content-Type: application/json' \
  -d '{"subject":"export-bench","scope":"events:emit","minutes":120}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

from=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M)
emitted=0
seed_started=$SECONDS
while ((emitted < events)); do
  line=$(dotnet "$root/benchmarks/Kavach.LoadGen/bin/Release/net10.0/Kavach.LoadGen.dll" emit --url "$api" --token "$token" \
    --connections 4 --batch 1000 --duration 20 --pad 64 --type audit | tail -1)
  emitted=$((emitted + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ackedTotal"])' "$line")))
  echo "seeded $emitted events" >&2
done
seed_seconds=$((SECONDS - seed_started))
sleep 2 # the last commits reach every reader

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$console_pid/status"; }
baseline=$(rss_kib)
peak=$baseline
started=$(date +%s.%N)
curl -sf -b "$jar" -D "$work/headers" \
  "$console/history/export/range?format=$format&from=$from&exportId=bench" | wc -l >"$work/lines" &
curl_pid=$!
while kill -0 "$curl_pid" 2>/dev/null; do
  rss=$(rss_kib); ((rss > peak)) && peak=$rss
  sleep 0.1
done
wait "$curl_pid"
finished=$(date +%s.%N)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$console_pid/status")
lines=$(cat "$work/lines")
[ "$format" = csv ] && written=$((lines - 1)) || written=$lines
seconds=$(python3 -c "print(round($finished - $started, 1))")
python3 -c "import json; print(json.dumps({'export': '$format', 'eventsSeeded': $emitted, 'seedSeconds': $seed_seconds,
  'eventsWritten': $written, 'seconds': $seconds, 'eventsPerSecond': round($written / $seconds),
  'consoleRssBeforeMiB': round($baseline / 1024), 'consoleRssPeakDuringMiB': round($peak / 1024), 'consoleVmHwmMiB': round($hwm / 1024),
  'filename': open('$work/headers').read().split('filename=')[1].split(';')[0].strip() if 'filename=' in open('$work/headers').read() else None}))"
