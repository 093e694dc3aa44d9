#!/usr/bin/env python3
"""Top frames of a `perf report --stdio -g none` listing as CPU time per event.

    perf report ... | python3 benchmarks/profile-frames.py <events> [top] [--managed]

Reads the report's event count (cpu-clock: nanoseconds of CPU sampled) and each line's percentage, merges frames of the
same name (two replicas are two processes; a method JIT-compiled at two tiers is one frame), and prints the top ones as
microseconds of CPU per event. With --managed, only frames JIT-compiled from .NET code (perf map names) are kept.
"""
import re
import sys

events = int(sys.argv[1])
top = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 10
managed_only = "--managed" in sys.argv

total_ns = None
frames = {}
line_re = re.compile(r"^\s+([\d.]+)%\s+(?:([\d.]+)%\s+)?\[(.)\]\s+(.*)$")
for line in sys.stdin:
    if line.startswith("# Event count"):
        total_ns = int(line.split(":")[1].split()[0])
        continue
    match = line_re.match(line)
    if not match:
        continue
    percent, _, kind, name = match.groups()
    if managed_only and not re.search(r"\[(OptimizedTier1|Optimized|QuickJitted|InstrumentedTier|InstrumentedTierOptimized|OptimizedTier1OSR|PreJIT)\]$", name):
        continue
    name = re.sub(r"\[(OptimizedTier1|Optimized|QuickJitted|InstrumentedTier|InstrumentedTierOptimized|OptimizedTier1OSR|PreJIT)\]$", "", name)
    name = re.sub(r"/\* MT: 0x[0-9a-f]+ \*/ ?", "", name)
    name = re.sub(r"\b(class|valuetype|instance) ", "", name)
    name = re.sub(r"\[[A-Za-z.]+\] ", "", name)
    name = name if kind != "k" else name + " (kernel)"
    frames[name] = frames.get(name, 0.0) + float(percent)

if total_ns is None or events <= 0:
    sys.exit("no event count in the report, or no events")

for name, percent in sorted(frames.items(), key=lambda item: -item[1])[:top]:
    micros = percent / 100 * total_ns / 1000 / events
    print(f"| {micros:7.2f} µs | {percent:5.2f} % | `{name[:150]}` |")
