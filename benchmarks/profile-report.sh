#!/usr/bin/env bash
# Summarises what benchmarks/profile.sh recorded in <dir>: per process and per library where the CPU went, the top frames
# as CPU time per committed event (the replicas' managed frames inclusive, every frame self), and PostgreSQL's side.
#
#   bash benchmarks/profile-report.sh <dir>      # reads <dir>/perf.data, <dir>/meta, <dir>/pg_stat_statements.txt
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$dir/meta" # workload, seconds, events, replicas
report() { perf report -i "$dir/perf.data" --stdio -g none "$@" 2>/dev/null || true; }
frames() { python3 "$here/profile-frames.py" "$events" "$@"; }

echo "# $workload: $events events committed in the ${seconds} s sampled (replica PIDs $replicas)"
echo
echo "## CPU by thread name, every process (perf, 499 Hz on every CPU)"
report --no-children --sort comm | grep -v '^#' | grep -v '^$' | head -12
echo
echo "## Replicas: CPU by library (share of the replicas' samples)"
perf script -i "$dir/perf.data" -F pid,ip,dso -G 2>/dev/null \
  | awk -v pids=",$replicas," 'index(pids, "," $1 ",") { d = $NF; sub(/.*\//, "", d); sub(/[()]/, "", d); sub(/\)$/, "", d);
      if (d ~ /^perf-[0-9]+\.map$/) d = "JIT-compiled .NET code"; c[d]++; n++ }
      END { for (k in c) if (c[k] / n >= 0.002) printf "%6.2f %%  %s\n", 100 * c[k] / n, k }' | sort -rn
echo
echo "## Replicas: top managed frames, inclusive (µs of CPU per event, both replicas)"
echo "| per event | of all CPU | frame |"
echo "| --- | --- | --- |"
report --pid "$replicas" --children --sort sym | frames 25 --managed
echo
echo "## Replicas: top frames, self (µs of CPU per event, both replicas)"
echo "| per event | of all CPU | frame |"
echo "| --- | --- | --- |"
report --pid "$replicas" --no-children --sort sym | frames 25
echo
echo "## PostgreSQL: top frames, self (µs of CPU per event)"
echo "| per event | of all CPU | frame |"
echo "| --- | --- | --- |"
report --comm postgres --no-children --sort sym | frames 20
echo
echo "## pg_stat_statements over the same stretch (calls, exec ms, mean exec ms, plans, plan ms, rows, blocks, WAL records, query)"
cat "$dir/pg_stat_statements.txt"
