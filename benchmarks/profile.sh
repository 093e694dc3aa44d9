#!/usr/bin/env bash
# Profiles a workload of the benchmark suite while it runs against the API: perf samples every CPU (call graphs, with
# .NET's perf maps so JIT-compiled frames have names) and PostgreSQL's pg_stat_statements, over the same stretch, and
# prints per process what the CPU went to, per acknowledged event.
#
#   bash benchmarks/profile.sh [workload] [seconds] [delay] [results-dir]   # default: w5 8 5 artifacts/profile/<time>
#
# The sampled stretch starts [delay] seconds after the API's first emitter (W5's warm-up is 3 s and its measured
# stretch 20 s), after the suite's own warm-up of the whole cluster (45 s), so the profile shows the steady state.
#
# Needs perf (linux-perf), psql, python3, and a Release build: dotnet build -c Release benchmarks/Kavach.Benchmarks
set -euo pipefail
workload=${1:-w5}
seconds=${2:-8}
delay=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${4:-$root/artifacts/profile/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 # W^X maps JIT code through a memfd perf cannot name
export KAVACH_PG_SETTINGS="shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all pg_stat_statements.track_planning=on"
dotnet run -c Release --no-build --project "$root/benchmarks/Kavach.Benchmarks" -- "$workload" --results "$out/suite" \
  >"$out/suite.out" 2>"$out/suite.err" &
suite=$!
trap 'kill $suite 2>/dev/null || true' EXIT

# The API's stretch starts with its first emitter.
deadline=$((SECONDS + 180))
until compgen -G "$out/suite/logs/generators/*-$workload-emit-api-0.log" >/dev/null; do
  ((SECONDS < deadline)) || { echo "the workload's emitter never started; see $out/suite.err" >&2; exit 1; }
  sleep 0.2
done
sleep "$delay"
conninfo=$(cat "$out/suite/logs/postgres-owner.conninfo")
replicas=$(pgrep -d, -f 'Kavach.StreamApi.dll' || true)
sql() { psql "$conninfo" -X -q -A -t -c "$1"; }
head_before=$(sql "SELECT last_value FROM kavach_stream_sequence")
sql "SELECT pg_stat_statements_reset()" >/dev/null
perf record -a -g -F 499 -o "$out/perf.data" -- sleep "$seconds" 2>"$out/perf-record.err"
head_after=$(sql "SELECT last_value FROM kavach_stream_sequence")
events=$((head_after - head_before))
sql "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
            plans, round(total_plan_time::numeric, 1) AS plan_ms, rows,
            shared_blks_hit + shared_blks_read AS blocks, wal_records, left(regexp_replace(query, '\s+', ' ', 'g'), 160) AS query
     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >"$out/pg_stat_statements.txt"
wait $suite || true
trap - EXIT

printf 'workload=%s\nseconds=%s\nevents=%s\nreplicas=%s\n' "$workload" "$seconds" "$events" "$replicas" >"$out/meta"
bash "$root/benchmarks/profile-report.sh" "$out" >"$out/profile.md"
echo "$out/profile.md"
