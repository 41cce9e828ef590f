#!/bin/sh
# Runs every test of `make test`: the Criterion unit tests, then the CLI tests
# (tests/cli.sh, plot.sh, check.sh, export.sh, plan.sh). Prints each suite's own
# report, then one closing line "N passed, N failed" over all of them; exits
# non-zero if anything failed. plan.sh reads $HEADROOM_MPI_BIN (make test
# sets it).
# usage: tests/run.sh UNIT_TEST_BINARY HEADROOM_BINARY
set -u
unit=$1
bin=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

{ "$unit" --jobs 2 2>&1; echo "unit-exit $?"; } | tee "$out"
unit_rc=$(sed -n 's/^unit-exit //p' "$out")
syn=$(grep 'Synthesis:' "$out" | tail -n 1)
u_pass=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
u_fail=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
u_crash=$(echo "$syn" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
[ -n "$u_pass" ] || { u_pass=0; u_fail=1; u_crash=0; echo "unit tests: no Criterion synthesis line"; }

sh tests/cli.sh "$bin" 2>&1 | tee "$out"
c_pass=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out" | tail -n 1)
c_fail=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out" | tail -n 1)
[ -n "$c_pass" ] || { c_pass=0; c_fail=1; echo "cli tests: no summary line"; }
sh tests/plot.sh "$bin" 2>&1 | tee "$out"; p=$(sed -n 's/^plot: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1); [ -n "$p" ] || { p="0 1"; echo "plot tests: no summary line"; }; c_pass=$((c_pass + ${p% *})); c_fail=$((c_fail + ${p#* }))
sh tests/check.sh "$bin" 2>&1 | tee "$out"; p=$(sed -n 's/^check: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1); [ -n "$p" ] || { p="0 1"; echo "check tests: no summary line"; }; c_pass=$((c_pass + ${p% *})); c_fail=$((c_fail + ${p#* }))
sh tests/export.sh "$bin" 2>&1 | tee "$out"; p=$(sed -n 's/^export: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1); [ -n "$p" ] || { p="0 1"; echo "export tests: no summary line"; }; c_pass=$((c_pass + ${p% *})); c_fail=$((c_fail + ${p#* }))
sh tests/plan.sh "$bin" 2>&1 | tee "$out"; p=$(sed -n 's/^plan: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1); [ -n "$p" ] || { p="0 1"; echo "plan tests: no summary line"; }; c_pass=$((c_pass + ${p% *})); c_fail=$((c_fail + ${p#* }))

passed=$((u_pass + c_pass))
failed=$((u_fail + u_crash + c_fail))
[ "$unit_rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
