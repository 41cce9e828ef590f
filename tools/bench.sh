#!/bin/sh
# `make bench`: the figures BENCHMARKS.md records, one line each:
#   bench NAME requests_per_s=... events_per_s=... peak_rss_mb=... wall_s=...
# Each benchmark runs in its own process on one core (the simulator is
# single-threaded), so peak RSS is that run's own. `plan` is the exception:
# the payment-order buffer plan (5 buffers x 200 replications) with --jobs 1
# and --jobs 2 into fresh databases, its wall times and the speed-up, and a
# check that both stored the same plan:
#   bench plan runs=1000 jobs1_s=... jobs2_s=... speedup=... runs_per_s_jobs2=... same_rows=yes
# then the same plan --adaptive and --search buffer (--jobs 2) beside the
# grid: runs used, wall times, and whether they recommend what it does:
#   bench plan-modes grid_runs=1000 grid_s=... adaptive_runs=... adaptive_s=... search_runs=... search_s=... ...
# (`plan-modes` alone, with HEADROOM_BENCH_REPS=N, runs the three at N
# replications each, e.g. for a quick look.)
# `mm8` is measured against the bare M/M/8 loop of tools/bench/mmc_bare.c
# (the same model, nothing but the queue), 5 interleaved pairs (bare, then
# headroom): medians of headroom's figures and of the bare loop's requests
# per second, and the median of the 5 per-pair ratios headroom / bare:
#   bench mm8 requests_per_s=... bare_requests_per_s=... ratio=... events_per_s=... ...
# When `day` ran, a last line gives hpa-day's, karpenter-day's and
# kafka-day's wall times over day's (each within 1.5x is the target):
#   bench vs-day hpa-day=1.03 karpenter-day=1.04 kafka-day=1.20 (wall time / day's wall time)
# kafka-day is day with the SAGA on Kafka beside it (scenarios/bench/kafka-day.yaml):
# its events_per_s line reads next to day's.
# usage: tools/bench.sh HEADROOM_BINARY [NAME...]   (default: all)
# The bare loop is $HEADROOM_BARE, or build/tools/mmc_bare (`make bench` builds it).
set -eu
HR=$1
shift
want=${*:-"mm8 day-1h day hpa-day karpenter-day kafka-day plan"}
BARE=${HEADROOM_BARE:-build/tools/mmc_bare}
pairs=5

now() { date +%s.%N; }

# field KEY LINE: the value of KEY=... in a `bench` line.
field() { echo "$2" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

# bench_mm8: bare and headroom interleaved, $pairs times each. The bare loop
# simulates as many arrivals as mm8.yaml's 312,500 s at 6.4 rps bring on average.
bench_mm8() {
  [ -x "$BARE" ] || { echo "bench.sh: no bare loop $BARE (make bench builds build/tools/mmc_bare; HEADROOM_BARE names another)" >&2; exit 2; }
  runs=""
  i=0
  while [ "$i" -lt "$pairs" ]; do
    b=$("$BARE" 2000000 1)
    h=$("$HR" bench scenarios/bench/mm8.yaml --name mm8)
    runs="$runs$b
$h
"
    i=$((i + 1))
  done
  printf '%s' "$runs" | awk -v pairs="$pairs" '
    function med(a, n,    i, j, t, s) {
      for (i = 1; i <= n; i++) s[i] = a[i]
      for (i = 2; i <= n; i++) { t = s[i]; for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]; s[j + 1] = t }
      return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
    }
    function val(key,    i) { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) return substr($i, length(key) + 2); return "" }
    /^RESULT / { nb++; bare[nb] = val("n") / val("sim_s") }   # its sim_s is wall seconds
    /^bench / {
      nh++; hr[nh] = val("requests_per_s"); ev[nh] = val("events_per_s"); wall[nh] = val("wall_s")
      if (val("peak_rss_mb") + 0 > rss) rss = val("peak_rss_mb") + 0
      req = val("requests"); evs = val("events"); sim = val("sim_s")
    }
    END {
      if (nb != pairs || nh != pairs) { print "bench.sh: mm8: expected " pairs " bare and headroom lines" > "/dev/stderr"; exit 1 }
      for (i = 1; i <= pairs; i++) { ratio[i] = hr[i] / bare[i]; list = list sprintf(" %.3f", ratio[i]) }
      printf "bench mm8 requests_per_s=%.0f bare_requests_per_s=%.0f ratio=%.2f events_per_s=%.0f peak_rss_mb=%.1f wall_s=%.3f requests=%s events=%s sim_s=%s (median of %d interleaved runs; ratio: median of the per-pair ratios)\n",
        med(hr, pairs), med(bare, pairs), med(ratio, pairs), med(ev, pairs), rss, med(wall, pairs), req, evs, sim, pairs
      print "# mm8 per-pair ratios (headroom / bare, in run order):" list
    }'
}

# timed NAME SCENARIO: one `headroom bench`, its line printed and its wall
# time left in $wall for the vs-day line.
timed() {
  line=$("$HR" bench "$2" --name "$1")
  echo "$line"
  wall=$(field wall_s "$line")
}

# vs_day: hpa-day's and karpenter-day's wall times over day's, if day ran.
vs_day() {
  [ -n "${wall_day:-}" ] || return 0
  [ -n "${wall_hpa_day:-}${wall_karpenter_day:-}${wall_kafka_day:-}" ] || return 0
  awk -v d="$wall_day" -v h="${wall_hpa_day:-}" -v k="${wall_karpenter_day:-}" -v f="${wall_kafka_day:-}" 'BEGIN {
    s = "bench vs-day"
    if (h != "") s = s sprintf(" hpa-day=%.2f", h / d)
    if (k != "") s = s sprintf(" karpenter-day=%.2f", k / d)
    if (f != "") s = s sprintf(" kafka-day=%.2f", f / d)
    print s " (wall time / day'"'"'s wall time, this invocation; target <= 1.5)" }'
}

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
  bench_plan_modes "$d/j2.db" "$(awk -v b="$t1" -v c="$t2" 'BEGIN { printf "%.1f", c - b }')"
  rm -rf "$d"
}

# bench_plan_modes GRID_DB GRID_WALL_S [PLAN ARGS...]: the adaptive plan and
# the search over buffer of the same scenario, with --jobs 2, beside the
# grid: runs used, wall time, the recommended variant, and whether it is the
# grid's (the target: the search reaches it with at least 3x fewer runs):
#   bench plan-modes grid_runs=1000 grid_s=... adaptive_runs=... adaptive_s=... search_runs=... search_s=...
#     search_saving=...x same_recommendation=adaptive:yes,search:yes
bench_plan_modes() {
  g=$1 gs=$2
  shift 2
  m=$(mktemp -d)
  s=scenarios/payment-order-buffers.yaml
  t0=$(now); "$HR" plan "$s" --db "$m/ad.db" --jobs 2 --adaptive -q "$@"; t1=$(now)
  "$HR" plan "$s" --db "$m/se.db" --jobs 2 --search buffer -q "$@"; t2=$(now)
  rec() { sqlite3 "$1" "SELECT coalesce(recommended, 'none') FROM plans"; }
  runs() { sqlite3 "$1" "SELECT count(*) FROM runs"; }
  same_a=no; [ "$(rec "$m/ad.db")" = "$(rec "$g")" ] && same_a=yes
  same_s=no; [ "$(rec "$m/se.db")" = "$(rec "$g")" ] && same_s=yes
  awk -v gr="$(runs "$g")" -v gs="$gs" -v ar="$(runs "$m/ad.db")" -v sr="$(runs "$m/se.db")" \
      -v a="$t0" -v b="$t1" -v c="$t2" -v sa="$same_a" -v ss="$same_s" 'BEGIN {
    printf "bench plan-modes grid_runs=%d grid_s=%s adaptive_runs=%d adaptive_s=%.1f search_runs=%d search_s=%.1f search_saving=%.1fx same_recommendation=adaptive:%s,search:%s\n",
      gr, gs, ar, b - a, sr, c - b, gr / (sr > 0 ? sr : 1), sa, ss }'
  echo "# grid recommends variant $(rec "$g"); adaptive: $(rec "$m/ad.db"); search: $(rec "$m/se.db")"
  rm -rf "$m"
}
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for b in $want; do
  case "$b" in
    mm8) bench_mm8 ;;
    day-1h) "$HR" bench scenarios/bench/day.yaml --name day-1h --set duration=1h ;;
    day) timed day scenarios/bench/day.yaml; wall_day=$wall ;;
    hpa-day) timed hpa-day scenarios/bench/hpa-day.yaml; wall_hpa_day=$wall ;;
    karpenter-day) timed karpenter-day scenarios/bench/karpenter-day.yaml; wall_karpenter_day=$wall ;;
    kafka-day) timed kafka-day scenarios/bench/kafka-day.yaml; wall_kafka_day=$wall ;;
    plan) bench_plan ;;
    plan-modes) # the three at HEADROOM_BENCH_REPS replications (default 200)
      n=${HEADROOM_BENCH_REPS:-200}
      pd=$(mktemp -d)
      t0=$(now); "$HR" plan scenarios/payment-order-buffers.yaml --db "$pd/g.db" --jobs 2 -q -n "$n"; t1=$(now)
      bench_plan_modes "$pd/g.db" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" -n "$n"
      rm -rf "$pd" ;;
    *) echo "bench.sh: no benchmark '$b' (known: mm8 day-1h day hpa-day karpenter-day kafka-day plan plan-modes)" >&2; exit 2 ;;
  esac
done
vs_day
