#!/bin/sh
# End-to-end tests of `headroom check`, the CI gate: headroom's own CI
# scenarios pass against their committed baseline; a change that should
# regress (a slower start-up, a slower node launch, fewer replicas) fails
# it; a baseline figure beyond the tolerance fails and within it passes; a
# passing and a failing expectation of each kind; JUnit XML that parses with
# the right counts, JSON; bad input is exit 2 with file:line:col and runs
# nothing; the runs' database is temporary unless --db keeps it.
# usage: tests/check.sh HEADROOM_BINARY   (run from the repository root)
set -u
HR=$1
. tests/lib.sh
CI="scenarios/ci/checkout.yaml scenarios/ci/karpenter.yaml"
BASE=scenarios/ci/baseline.json

# xml_ok FILE: the file parses as XML (xmllint if there, else Python's parser).
xml_ok() {
  if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$1" 2>/dev/null
  else
    /usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1" 2>/dev/null
  fi
}

# junit_counts FILE: "tests failures testcases failure-elements" of a JUnit file.
junit_counts() {
  /usr/bin/python3 - "$1" <<'EOF'
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
top = d.documentElement
print(top.getAttribute("tests"), top.getAttribute("failures"),
      len(d.getElementsByTagName("testcase")), len(d.getElementsByTagName("failure")))
EOF
}

# js FILE EXPR: a Python expression over the JSON file's object `d`.
js() { /usr/bin/python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1" 2>&1; }

# ---- help and usage ----
expect "check --help" 0 'usage: headroom check SCENARIO\.\.\.' -- "$HR" check --help
expect "help check names the exit statuses" 0 '1 a check failed' -- "$HR" help check
expect "--help lists check" 0 'check +CI gate' -- "$HR" --help
expect "check without a scenario" 2 'which scenarios\?' -- "$HR" check
expect "check with an unknown option" 2 "unknown option '--frobnicate'" -- "$HR" check $CI --frobnicate
expect "check with a bad tolerance" 2 '--tolerance takes a fraction' -- "$HR" check $CI --tolerance lots

# ---- headroom's own CI scenarios against their committed baseline ----
expect "ci scenarios pass against the committed baseline" 0 'check: 2 scenario runs, [0-9]+ checks: [0-9]+ passed, 0 failed' -- \
  "$HR" check $CI --baseline $BASE --junit "$T/ci.xml" --json "$T/ci.json"
grep -q '^PASS  ci-checkout: payment.p99 <= 200ms: expected <= 200 ms, actual [0-9.]* ms$' "$T/out" &&
  ok "one line per check: PASS, expected, actual" || bad "one line per check" "$(head -c 300 "$T/out")"
grep -Eq '^PASS  ci-karpenter: baseline cost.monthly: expected <= [0-9.]+ USD \(baseline [0-9.]+ USD \+ 5 %\), actual' "$T/out" &&
  ok "baseline lines show the limit, the baseline and the tolerance" || bad "baseline line" "$(grep cost.monthly "$T/out")"
n_pass=$(grep -c '^PASS' "$T/out")
xml_ok "$T/ci.xml" && ok "JUnit XML parses" || bad "JUnit XML parses"
check "JUnit counts: tests, failures, testcases, failure elements" "$(junit_counts "$T/ci.xml")" "$n_pass 0 $n_pass 0"
check "JSON: passed, failed, two scenarios" "$(js "$T/ci.json" '(d["passed"], d["failed"], len(d["scenarios"]))')" "($n_pass, 0, 2)"
check "JSON: a check has expected and actual" \
  "$(js "$T/ci.json" '[(c["metric"], c["op"], c["expected"], c["unit"], c["pass"], c["actual"] > 0) for c in d["scenarios"][0]["checks"]][0]')" \
  "('payment.p99', '<=', 200, 'ms', True, True)"
check "JSON: key figures per scenario" \
  "$(js "$T/ci.json" 'sorted(d["scenarios"][1]["figures"])')" \
  "['cost.monthly', 'order.error_rate', 'order.p99', 'order.pod_start.p99']"

# ---- changes that should regress fail against the committed baseline ----
expect "a slower application start fails the baseline" 1 'FAIL  ci-checkout: baseline payment.pod_start.p99: expected <= [0-9.]+ s \(baseline [0-9.]+ s \+ 5 %\), actual [0-9.]+ s \(\+[0-9.]+ %\)' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline $BASE --set services.payment.startup.app_start=60s --junit "$T/slow.xml"
grep -q '^PASS  ci-checkout: payment.pod_start.p99 <= 90s' "$T/out" &&
  ok "... which its expectations alone let through" || bad "... which its expectations alone let through" "$(grep pod_start "$T/out")"
n_fail=$(grep -c '^FAIL' "$T/out")
n_all=$(grep -Ec '^(PASS|FAIL)' "$T/out")
xml_ok "$T/slow.xml" && ok "JUnit XML of a failing check parses" || bad "JUnit XML of a failing check parses"
check "JUnit counts of a failing check" "$(junit_counts "$T/slow.xml")" "$n_all $n_fail $n_all $n_fail"
grep -q 'failure message="expected &lt;= [0-9.]* s (baseline [0-9.]* s + 5 %), actual [0-9.]* s' "$T/slow.xml" &&
  ok "JUnit failure message with both values" || bad "JUnit failure message" "$(grep failure "$T/slow.xml")"
expect "a slower node launch fails the baseline" 1 'FAIL  ci-karpenter: baseline order.pod_start.p99' -- \
  "$HR" check scenarios/ci/karpenter.yaml --baseline $BASE --set cluster.karpenter.latency.registration=90s
expect "fewer replicas fail expectations and baseline" 1 'FAIL  ci-checkout: baseline payment.p99: .*actual [0-9.]+ ms \(\+[0-9.]+ %\)' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline $BASE --set services.payment.replicas=2 --set services.payment.hpa.spec.minReplicas=2
grep -q '^FAIL  ci-checkout: payment.p99 <= 200ms: expected <= 200 ms, actual' "$T/out" &&
  ok "... and the p99 expectation says both values" || bad "... p99 expectation" "$(grep 'payment.p99 <=' "$T/out")"
expect "--quiet prints only failures and totals" 1 '^check: 1 scenario run' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline $BASE --set services.payment.startup.app_start=60s -q
check "--quiet: no PASS line" "$(grep -c '^PASS' "$T/out")" 0

# ---- tolerance: a baseline 3 % below the run passes at 5 %, fails at 2 % ----
/usr/bin/python3 - "$T/ci.json" "$T/b3.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = {"format": "headroom-baseline/1", "scenarios": {}}
for s in d["scenarios"]:
    figs = {k: (v / 1.03 if k == "payment.p99" else v) for k, v in s["figures"].items()}
    out["scenarios"][s["name"]] = {"seed": s["seed"], "figures": figs}
json.dump(out, open(sys.argv[2], "w"), indent=2)
EOF
expect "3 % over the baseline within a 5 % tolerance passes" 0 'PASS  ci-checkout: baseline payment.p99: .*\(\+3\.0 %\)' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline "$T/b3.json"
expect "3 % over the baseline beyond a 2 % tolerance fails" 1 'FAIL  ci-checkout: baseline payment.p99: .*baseline [0-9.]+ ms \+ 2 %\), actual .*\(\+3\.0 %\)' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline "$T/b3.json" --tolerance 2%
check "only that figure fails" "$(grep -c '^FAIL' "$T/out")" 1
expect "--tolerance 0.04 is 4 %" 0 'check: 1 scenario run' -- "$HR" check scenarios/ci/checkout.yaml --baseline "$T/b3.json" --tolerance 0.04
# A zero baseline allows the unit's floor: 0 errors against 0 passes (the
# committed baseline has them); a baseline figure of none against a value fails.
/usr/bin/python3 - "$T/ci.json" "$T/none.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["scenarios"][0]
figs = dict(s["figures"]); figs["order.pod_start.p99"] = None; figs["gone.p99"] = 12.5
json.dump({"format": "headroom-baseline/1", "scenarios": {s["name"]: {"seed": s["seed"], "figures": figs}}}, open(sys.argv[2], "w"))
EOF
expect "none in the baseline against a value fails" 1 'FAIL  ci-checkout: baseline order.pod_start.p99: expected none \(as in the baseline\), actual [0-9.]+ s' -- \
  "$HR" check scenarios/ci/checkout.yaml --baseline "$T/none.json"
grep -q "FAIL  ci-checkout: baseline gone.p99: in the baseline, but this run has no such figure" "$T/out" &&
  ok "a baseline figure the run lacks fails" || bad "a baseline figure the run lacks fails" "$(grep gone "$T/out")"
grep -q "PASS  ci-checkout: baseline order.error_rate: expected <= 0.01 % (baseline 0 % + the 0.01 % floor), actual 0 %" "$T/out" &&
  ok "a zero baseline allows its floor" || bad "a zero baseline allows its floor" "$(grep order.error_rate "$T/out")"
expect "a scenario missing from the baseline fails" 1 "FAIL  ci-karpenter: baseline: no baseline for 'ci-karpenter' in .*none.json" -- \
  "$HR" check scenarios/ci/karpenter.yaml --baseline "$T/none.json"

# ---- --update-baseline writes, merges and reads back ----
cp "$T/none.json" "$T/upd.json"
expect "--update-baseline writes" 0 'baseline: .*upd.json \(1 scenario run\)' -- \
  "$HR" check scenarios/ci/karpenter.yaml --update-baseline "$T/upd.json"
check "... keeping the scenarios it did not run" "$(js "$T/upd.json" 'sorted(d["scenarios"])')" "['ci-checkout', 'ci-karpenter']"
check "... replacing those it ran" "$(js "$T/upd.json" 'd["scenarios"]["ci-karpenter"]["figures"] == json.load(open("'$BASE'"))["scenarios"]["ci-karpenter"]["figures"]')" "True"
expect "a fresh baseline passes at tolerance 0" 0 'check: 1 scenario run, [0-9]+ checks: [0-9]+ passed, 0 failed' -- \
  "$HR" check scenarios/ci/karpenter.yaml --baseline "$T/upd.json" --tolerance 0

# ---- expectations of every kind, passing and failing, through the CLI ----
cat >"$T/kinds.yaml" <<'EOF'
name: kinds
seed: 5
duration: 3m
cluster:
  catalog: CATALOG
  nodes:
    - {name: base, count: 2, instance: m5.xlarge}
services:
  web:
    replicas: 3
    resources: {requests: {cpu: 500m}}
    cpu_per_request: 10ms
    traffic: {rate: 50rps}
    slo: {p99: 500ms, error_rate: 1%}
expect:
  - web.p99 <= 500ms
  - web.p99 <= 1ms
  - web.error_rate <= 1%
  - web.error_rate > 50%
  - web.pod_start.p99 <= 90s
  - web.slo_met == true
  - web.slo_met == false
  - web.violation_minutes <= 1
  - web.violation_minutes >= 5
  - web.pods_started == 0
  - web.pods_started >= 1
  - web.replicas.max <= 3
  - web.ready.min > 3
  - cost.monthly <= 1000
  - cost.monthly <= 10
  - nodes.max == 2
  - nodes.hours <= 1h
EOF
sed -i "s|CATALOG|$(pwd)/scenarios/catalogs/ec2-us-east-1.csv|" "$T/kinds.yaml"
expect "expectations of each kind: some fail" 1 'check: 1 scenario run, 17 checks: 9 passed, 8 failed' -- \
  "$HR" check "$T/kinds.yaml" --junit "$T/kinds.xml"
got=$(grep -E '^(PASS|FAIL)' "$T/out" | sed 's/^\(....\)  kinds: \([^:]*\):.*/\1 \2/' | tr '\n' ';')
want="PASS web.p99 <= 500ms;FAIL web.p99 <= 1ms;PASS web.error_rate <= 1%;FAIL web.error_rate > 50%;FAIL web.pod_start.p99 <= 90s;PASS web.slo_met == true;FAIL web.slo_met == false;PASS web.violation_minutes <= 1;FAIL web.violation_minutes >= 5;PASS web.pods_started == 0;FAIL web.pods_started >= 1;PASS web.replicas.max <= 3;FAIL web.ready.min > 3;PASS cost.monthly <= 1000;FAIL cost.monthly <= 10;PASS nodes.max == 2;PASS nodes.hours <= 1h;"
check "each kind: the right ones pass and fail" "$got" "$want"
grep -q 'FAIL  kinds: web.pod_start.p99 <= 90s: expected <= 90 s, actual none (no pod started during the run)' "$T/out" &&
  ok "a metric without a value fails and says why" || bad "a metric without a value" "$(grep pod_start "$T/out")"
check "JUnit counts of the kinds" "$(junit_counts "$T/kinds.xml")" "17 8 17 8"

# ---- compare: variants, each a run with the expectations ----
cat >"$T/cmp.yaml" <<'EOF'
name: cmp
duration: 1m
services:
  web:
    replicas: 2
    resources: {requests: {cpu: "1"}}
    cpu_per_request: 10ms
    traffic: {rate: 50rps}
compare:
  two: {services.web.replicas: 2}
  one: {services.web.replicas: 1}
expect:
  - web.replicas.max >= 2
EOF
expect "compare: one run per variant" 1 'check: 2 scenario runs, 2 checks: 1 passed, 1 failed' -- "$HR" check "$T/cmp.yaml"
grep -q '^PASS  cmp/two: web.replicas.max >= 2' "$T/out" && grep -q '^FAIL  cmp/one: web.replicas.max >= 2: expected >= 2, actual 1' "$T/out" &&
  ok "compare: checks named scenario/variant" || bad "compare: checks named scenario/variant" "$(cat "$T/out")"

# ---- names that need escaping: a folder with &, <, quotes and a byte
# that is not UTF-8; expectations hold < and > ----
E="$T/a&b<\"c'$(printf '\377')"
mkdir -p "$E"
sed 's/^  - web.replicas.max >= 2$/  - web.p99 < 1ms/' "$T/cmp.yaml" >"$E/esc.yaml"
expect "a scenario in an awkward folder runs" 1 'FAIL  cmp/one: web.p99 < 1ms' -- "$HR" check "$E/esc.yaml" --junit "$T/esc.xml" --json "$T/esc.json"
xml_ok "$T/esc.xml" && ok "JUnit XML with &, <, quotes and bad bytes in names parses" || bad "JUnit XML with special names" "$(head -c 600 "$T/esc.xml")"
check "JUnit counts with special names" "$(junit_counts "$T/esc.xml")" "2 2 2 2"
check "JSON with special names parses" "$(js "$T/esc.json" 'd["scenarios"][0]["file"].endswith("esc.yaml")')" "True"

# ---- bad input: exit 2, file:line:col, nothing run ----
printf 'name: bad\nduration: 1m\nservices:\n  web:\n    replicas: 1\n    resources: {requests: {cpu: "1"}}\n    cpu_per_request: 10ms\n    traffic: {rate: 5rps}\nexpect:\n  - web.p99x <= 1s\n' >"$T/bad.yaml"
expect "an unknown metric is exit 2 at its place" 2 'bad.yaml:10:9: unknown metric .p99x. of service .web.; did you mean .web.p99.\?; valid metrics: SERVICE.\{p50, p90, p99' -- \
  "$HR" check "$T/bad.yaml" --db "$T/bad.db"
[ ! -e "$T/bad.db" ] && ok "... and runs nothing" || bad "... and runs nothing"
expect "validate reports it too" 2 'bad.yaml:10:9: unknown metric' -- "$HR" validate "$T/bad.yaml"
expect "one bad scenario stops the whole check" 2 'bad.yaml:10:9' -- "$HR" check $CI "$T/bad.yaml"
printf 'name: plan\nduration: 1m\nservices:\n  web:\n    replicas: 1\n    resources: {requests: {cpu: "1"}}\n    cpu_per_request: 10ms\n    traffic: {rate: 5rps}\nexpect:\n  - plan.variants[buffer=140%%].slo_probability >= 0.95\n' >"$T/plan.yaml"
expect "plan expectations need a sweep" 2 "plan.yaml:10:5: 'plan.variants\[buffer=140%\].slo_probability': plan expectations need a sweep:" -- \
  "$HR" check "$T/plan.yaml"
expect "a missing baseline file" 2 'cannot open the baseline' -- "$HR" check $CI --baseline "$T/nope.json"
printf '{"format": "headroom-baseline/1", "scenarios": {"x": {"figures": {"a.p99": "fast"}}}}\n' >"$T/badbase.json"
expect "a malformed baseline is file:line:col" 2 'badbase.json:1:[0-9]+: figure "a.p99": expected a number or null' -- \
  "$HR" check $CI --baseline "$T/badbase.json"
printf '{"scenarios": {}}\n' >"$T/nofmt.json"
expect "a JSON file that is not a baseline" 2 'not a headroom baseline' -- "$HR" check $CI --baseline "$T/nofmt.json"
expect "two scenarios of the same name" 2 "both named 'ci-checkout'" -- "$HR" check scenarios/ci/checkout.yaml scenarios/ci/checkout.yaml
expect "an unwritable JUnit file" 2 'cannot write the JUnit report' -- "$HR" check scenarios/ci/checkout.yaml --junit "$T/no/such/dir/j.xml"

# ---- plans: plan.* expectations run the sweep's plan ----
PB=scenarios/ci/buffers.yaml
expect "plan expectations of each kind pass" 0 'check: 3 scenario runs and 1 plan, 7 checks: 7 passed, 0 failed' -- \
  "$HR" check $PB --junit "$T/plan.xml" --json "$T/plan1.json" --jobs 1
grep -q '^ci-buffers/plan (scenarios/ci/buffers.yaml): plan of 3 variants x 20 replications (seed 5, target 80%) in [0-9.]* s; recommended: buffer=250%$' "$T/out" &&
  ok "plan: its line names the recommendation" || bad "plan: its line" "$(grep plan "$T/out" | head -3)"
grep -q '^PASS  ci-buffers/plan: plan.variants\[buffer=2.5\].slo_lower >= 80%: expected >= 80 %, actual 83.89 %$' "$T/out" &&
  ok "plan: Wilson lower bound of 20/20, the variant picked in the scenario's units" || bad "plan: slo_lower" "$(grep slo_lower "$T/out")"
xml_ok "$T/plan.xml" && ok "plan: JUnit XML parses" || bad "plan: JUnit XML parses"
check "plan: JUnit counts" "$(junit_counts "$T/plan.xml")" "7 0 7 0"
"$HR" check $PB --json "$T/plan3.json" --jobs 3 >/dev/null 2>&1
check "plan: the same figures on 1 and 3 threads" \
  "$(js "$T/plan1.json" '[c["actual"] for c in d["scenarios"][3]["checks"]] == [c["actual"] for c in json.load(open("'"$T/plan3.json"'"))["scenarios"][3]["checks"]]')" "True"
FAILING='expect=[plan.recommended.services.web.buffer < 250%, plan.recommended.slo_probability < 95%, plan.recommended.monthly_cost <= 100, "plan.variants[buffer=300%].slo_probability < 0.95", "plan.variants[buffer=2.5].slo_lower >= 90%", "plan.variants[buffer=100%].slo_lower > 20%", "plan.variants[buffer=300%].monthly_cost <= 200"]'
expect "plan expectations of each kind fail" 1 'check: 3 scenario runs and 1 plan, 7 checks: 0 passed, 7 failed' -- \
  "$HR" check $PB --set "$FAILING" --junit "$T/planf.xml"
got=$(grep -E '^FAIL' "$T/out" | sed 's/^FAIL  ci-buffers\/plan: [^:]*: //' | tr '\n' ';')
want="expected < 250 %, actual 250 %;expected < 95 %, actual 100 %;expected <= 100.00 USD, actual 359.72 USD;expected < 95 %, actual 100 %;expected >= 90 %, actual 83.89 %;expected > 20 %, actual 0 %;expected <= 200.00 USD, actual 359.72 USD;"
check "plan: each failure says both values" "$got" "$want"
"$HR" plan $PB --db "$T/pb.db" -q >/dev/null 2>&1
check "plan: the cost check sees is headroom plan's month (plan_variants.month_usd)" \
  "$(q "$T/pb.db" "select printf('%.2f', month_usd) from plan_variants where verdict = 'recommended'")" "359.72"
check "plan: JUnit counts of failures" "$(junit_counts "$T/planf.xml")" "7 7 7 7"
expect "plan: no variant meets the target" 1 'FAIL  ci-buffers/plan: plan.recommended.slo_probability >= 0: expected >= 0 %, actual none \(no variant meets the target\)' -- \
  "$HR" check $PB --set sweep.target=99% --set 'expect=[plan.recommended.slo_probability >= 0]'
expect "plan: --jobs 0 is bad usage" 2 '--jobs takes an integer from 1 to 4096' -- "$HR" check $PB --jobs 0
expect "plan: the baseline holds no plan" 0 'baseline: .*pbase.json' -- "$HR" check $PB --update-baseline "$T/pbase.json"
check "... only the variants' runs" "$(js "$T/pbase.json" 'sorted(d["scenarios"])')" "['ci-buffers/buffer=100%', 'ci-buffers/buffer=250%', 'ci-buffers/buffer=300%']"
expect "plan: checks against that baseline pass" 0 'and 1 plan, [0-9]+ checks: [0-9]+ passed, 0 failed' -- "$HR" check $PB --baseline "$T/pbase.json"
cat >"$T/psweep.yaml" <<'EOF'
name: psweep
duration: 1m
sweep:
  replications: 2
  axes:
    buffer: {services.web.buffer: [100%, 150%]}
services:
  web:
    replicas: 1
    resources: {requests: {cpu: "1"}}
    cpu_per_request: 10ms
    traffic: {rate: 5rps}
    slo: {p99: 1s}
    hpa: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 4}}
expect:
  - plan.variants[buffer=140%].slo_lower >= 0.9
  - plan.variants[bufer=150%].slo_lower >= 0.9
EOF
expect "plan: an unknown sweep value is exit 2 at its place, with the valid ones" 2 "psweep.yaml:16:26: no variant of the sweep has buffer=140%; the values of 'buffer': 100%, 150%" -- \
  "$HR" check "$T/psweep.yaml"
sed -i '/buffer=140%/d' "$T/psweep.yaml"
expect "plan: an unknown axis is exit 2 at its place, with the valid ones" 2 "psweep.yaml:16:19: unknown sweep axis 'bufer'; the sweep's axes: buffer" -- \
  "$HR" check "$T/psweep.yaml"

sed -i 's|    buffer: {services.web.buffer: \[100%, 150%\]}|    services.web.buffer: [100%, 150%]|; s|bufer=150%|buffer=150%|' "$T/psweep.yaml"
expect "plan: an axis of one key goes by its last part too" 1 'FAIL  psweep/plan: plan.variants\[buffer=150%\].slo_lower >= 0.9: expected >= 90 %, actual [0-9.]+ %' -- \
  "$HR" check "$T/psweep.yaml"

# ---- the database: temporary by default, kept with --db ----
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" "$HR" check $CI >/dev/null 2>&1
check "without --db nothing is left behind" "$(ls -A "$T/tmp" | wc -l | tr -d ' ')" 0
expect "--db keeps the runs" 0 'results: .*keep.db \(runs 1 to 2\)' -- "$HR" check $CI --db "$T/keep.db"
check "... two runs in it" "$(sqlite3 "$T/keep.db" 'select count(*) from runs' 2>&1)" 2
"$HR" check scenarios/ci/checkout.yaml --db "$T/keep.db" --set duration=5m >/dev/null 2>&1
check "... and a later check adds a run with its params" \
  "$(sqlite3 "$T/keep.db" "select params from runs where id = 3" 2>&1)" '{"duration":"5m"}'

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
