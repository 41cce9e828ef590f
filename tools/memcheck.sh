#!/bin/sh
# `make memcheck`: valgrind's memcheck over end-to-end runs of the program
# (validate, run into a fresh database, a bad scenario, a compare scenario,
# a placement scenario and its report, a lost zone, spot shortages and
# interruptions, placeholders and preemption, a cron floor,
# plot). Fails on any invalid access, use of uninitialised memory, or leak
# ("definitely" or "indirectly" lost) in headroom's own code. Library leaks
# that are not ours are listed in tests/valgrind.supp.
# usage: tools/memcheck.sh HEADROOM_BINARY
set -u
HR=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --track-origins=yes --suppressions=tests/valgrind.supp"
fail=0
check() {
  name=$1
  shift
  # shellcheck disable=SC2086
  $VG "$@" >"$T/out" 2>&1
  rc=$?
  if [ "$rc" -eq 99 ]; then
    fail=$((fail + 1))
    echo "FAIL memcheck: $name"
    head -60 "$T/out"
  else
    echo "ok   memcheck: $name (exit $rc)"
  fi
}
check "validate demo" "$HR" validate scenarios/demo.yaml
check "run demo 2m" "$HR" run scenarios/demo.yaml --db "$T/a.db" --set duration=2m -q
check "run hpa-spike 6m" "$HR" run scenarios/hpa-spike.yaml --db "$T/a.db" --set duration=6m -q
check "run karpenter-vs-ca 15m" "$HR" run scenarios/karpenter-vs-ca.yaml --db "$T/a.db" --set duration=15m -q
check "run pci-zones 12m (placement, two NodePools, report)" "$HR" run scenarios/pci-zones.yaml --db "$T/p.db" --set duration=12m -q
check "report pci-zones" "$HR" report "$T/p.db" --latest --out "$T/p.md"
check "run zone-outage 15m (a lost zone, spot offerings)" "$HR" run scenarios/zone-outage.yaml --db "$T/z.db" --set duration=15m -q
check "run karpenter-spot 12m (insufficient capacity, fallback)" "$HR" run scenarios/karpenter-spot.yaml --db "$T/s.db" --set duration=12m -q
check "run spot-vs-on-demand variant 6 (interruptions)" "$HR" run scenarios/spot-vs-on-demand.yaml --variant 6 --db "$T/v.db" -q
check "run strategies variant 12 (placeholders, preemption, slow start)" "$HR" run scenarios/strategies.yaml --variant 12 --db "$T/g.db" -q
check "run scheduled-floor (a cron floor through an External metric)" "$HR" run scenarios/scheduled-floor.yaml --db "$T/f.db" -q
printf 'name: x\nduration: 1m\nservices:\n  a: [1, 2\n' >"$T/bad.yaml"
check "bad scenario" "$HR" validate "$T/bad.yaml"
check "plot" "$HR" plot "$T/a.db" --latest --out "$T/charts"
echo "memcheck: $fail failed"
[ "$fail" -eq 0 ]
