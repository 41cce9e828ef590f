#!/bin/sh
# `make bench`: the figures BENCHMARKS.md records, one line each:
#   bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...
# Each benchmark runs in its own process on one core (the simulator is
# single-threaded), so peak RSS is that run's own. `plan` is the exception:
# the payment-order buffer plan (5 buffers x 200 replications) with --jobs 1
# and --jobs 2 into fresh databases, its wall times and the speed-up, and a
# check that both stored the same plan:
#   bench plan runs=1000 jobs1_s=... jobs2_s=... speedup=... runs_per_s_jobs2=... same_rows=yes
# usage: tools/bench.sh HEADROOM_BINARY [NAME...]   (default: all)
set -eu
HR=$1
shift
want=${*:-"mm8 day-1h day hpa-day karpenter-day plan"}

now() { date +%s.%N; }

# plan_rows DB: what a plan stored, without wall-clock times.
plan_rows() {
  sqlite3 "$1" "SELECT variants, replications, target, status, recommended, runner_up, recommendation FROM plans;
                SELECT * FROM plan_variants ORDER BY variant; SELECT * FROM plan_services ORDER BY variant, service;"
}

bench_plan() {
  d=$(mktemp -d)
  s=scenarios/payment-order-buffers.yaml
  t0=$(now); "$HR" plan "$s" --db "$d/j1.db" --jobs 1 -q; t1=$(now)
  "$HR" plan "$s" --db "$d/j2.db" --jobs 2 -q; t2=$(now)
  same=no
  [ "$(plan_rows "$d/j1.db")" = "$(plan_rows "$d/j2.db")" ] && same=yes
  runs=$(sqlite3 "$d/j2.db" "SELECT count(*) FROM runs")
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$runs" -v same="$same" 'BEGIN {
    printf "bench plan runs=%d jobs1_s=%.1f jobs2_s=%.1f speedup=%.2f runs_per_s_jobs2=%.1f same_rows=%s\n",
      n, b - a, c - b, (b - a) / (c - b), n / (c - b), same }'
  echo "# plan recommendation: $(sqlite3 "$d/j2.db" "SELECT recommendation FROM plans")"
  rm -rf "$d"
}
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in $want; do
  case "$b" in
    mm8) "$HR" bench scenarios/bench/mm8.yaml --name mm8 ;;
    day-1h) "$HR" bench scenarios/bench/day.yaml --name day-1h --set duration=1h ;;
    day) "$HR" bench scenarios/bench/day.yaml --name day ;;
    hpa-day) "$HR" bench scenarios/bench/hpa-day.yaml --name hpa-day ;;
    karpenter-day) "$HR" bench scenarios/bench/karpenter-day.yaml --name karpenter-day ;;
    plan) bench_plan ;;
    *) echo "bench.sh: no benchmark '$b' (known: mm8 day-1h day hpa-day karpenter-day plan)" >&2; exit 2 ;;
  esac
done
