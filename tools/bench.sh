#!/bin/sh
# `make bench`: the figures BENCHMARKS.md records, one line each:
#   bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...
# Each benchmark runs in its own process on one core (the simulator is
# single-threaded), so peak RSS is that run's own.
# usage: tools/bench.sh HEADROOM_BINARY [NAME...]   (default: all)
set -eu
HR=$1
shift
want=${*:-"mm8 day-1h day hpa-day karpenter-day"}
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in $want; do
  case "$b" in
    mm8) "$HR" bench scenarios/bench/mm8.yaml --name mm8 ;;
    day-1h) "$HR" bench scenarios/bench/day.yaml --name day-1h --set duration=1h ;;
    day) "$HR" bench scenarios/bench/day.yaml --name day ;;
    hpa-day) "$HR" bench scenarios/bench/hpa-day.yaml --name hpa-day ;;
    karpenter-day) "$HR" bench scenarios/bench/karpenter-day.yaml --name karpenter-day ;;
    *) echo "bench.sh: no benchmark '$b' (known: mm8 day-1h day hpa-day karpenter-day)" >&2; exit 2 ;;
  esac
done
