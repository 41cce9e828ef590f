# Shared by the shell test suites (cli.sh, plot.sh, plan.sh, check.sh):
# counters, one line per check, and the temporary folder $T (removed on
# exit). Source it from the repository root after `set -u`.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
# check NAME GOT WANT: the two strings are equal.
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }

# expect NAME STATUS PATTERN -- CMD...: CMD exits STATUS and its stdout+stderr
# matches the extended regex PATTERN.
expect() {
  name=$1 want=$2 pat=$3
  shift 4
  "$@" >"$T/out" 2>&1
  got=$?
  if [ "$got" -ne "$want" ]; then
    bad "$name" "exit $got, want $want: $(head -c 600 "$T/out")"
  elif ! grep -Eq -- "$pat" "$T/out"; then
    bad "$name" "output does not match /$pat/: $(head -c 600 "$T/out")"
  else
    ok "$name"
  fi
}

# q DB SQL: the query's output (errors included).
q() { sqlite3 "$1" "$2" 2>&1; }
