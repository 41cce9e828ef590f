#!/bin/sh
# End-to-end tests of `headroom plot` and `headroom report`: the charts are
# real images (PNG signature and IHDR size, SVG that parses), the data in
# the scripts behind them is the database's, names with quotes, spaces and
# non-ASCII letters draw and inject nothing, a missing gnuplot is a clear
# error, and the report is one self-contained page with its charts inline
# and the command that reproduces the run.
# usage: tests/plot.sh HEADROOM_BINARY   (run from the repository root)
set -u
HR=$1
. tests/lib.sh

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk, or "not a PNG".
png_size() {
  sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
  ihdr=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
  if [ "$sig" != 89504e470d0a1a0a ] || [ "$ihdr" != IHDR ]; then echo "not a PNG"; return; fi
  od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216 + $2*65536 + $3*256 + $4, $5*16777216 + $6*65536 + $7*256 + $8 }'
}

# xml_ok FILE: the file parses as XML (xmllint if there, else Python's parser).
xml_ok() {
  if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$1" 2>/dev/null
  else
    /usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1" 2>/dev/null
  fi
}

# all_pngs LIST: every file listed is a 1280x720 PNG.
all_pngs() {
  n=0 good=0
  for f in $(cat "$1"); do
    n=$((n + 1))
    [ "$(png_size "$f")" = 1280x720 ] && good=$((good + 1))
  done
  echo "$good of $n"
}

# ---- help ----
expect "--help lists plot" 0 'plot +draw the charts' -- "$HR" --help
expect "--help lists report" 0 'report +write a design-review page' -- "$HR" --help
expect "plot --help shows the options" 0 '--format png\|svg' -- "$HR" plot --help
expect "help report shows the options" 0 '--out FILE\.html\|FILE\.md' -- "$HR" help report

# ---- runs to draw: the demo (no pod starts), hpa-spike (pods start, HPA) ----
D=$T/demo.db
"$HR" run scenarios/demo.yaml --db "$D" --set duration=2m -q || bad "demo run"
H=$T/hpa.db
"$HR" run scenarios/hpa-spike.yaml --db "$H" --set duration=8m -q || bad "hpa-spike run"

# ---- PNG ----
expect "plot the demo run" 0 'timeline-order\.png' -- "$HR" plot "$D" --out "$T/png"
grep '\.png$' "$T/out" >"$T/list"
check "six charts: timeline and latency of three services" "$(wc -l <"$T/list" | tr -d ' ')" 6
check "each is a 1280x720 PNG" "$(all_pngs "$T/list")" "6 of 6"
grep -q 'no startup chart: no pod of order started' "$T/out" && ok "no start-up chart, and why" || bad "no start-up chart, and why" "$(cat "$T/out")"
expect "plot hpa-spike" 0 'startup-order\.png' -- "$HR" plot "$H" --latest --out "$T/hpa"
grep '\.png$' "$T/out" >"$T/list"
check "hpa-spike: timeline, latency, start-up, all 1280x720 PNGs" "$(all_pngs "$T/list")" "3 of 3"
expect "default folder beside the database" 0 'charts/demo-run1/timeline-order\.png' -- "$HR" plot "$D"
[ -s "$T/charts/demo-run1/latency-payment.png" ] && ok "default folder written" || bad "default folder written"
ls -A "$T/png" | grep -v '\.png$' >"$T/extra"
check "no temporary files left" "$(cat "$T/extra")" ""

# ---- SVG ----
expect "plot --format svg" 0 'latency-order\.svg' -- "$HR" plot "$H" --format svg --out "$T/svg"
n=0 good=0
for f in $(grep '\.svg$' "$T/out"); do
  n=$((n + 1))
  xml_ok "$f" && grep -q '<svg' "$f" && grep -q 'viewBox="0 0 1280 720"' "$f" && good=$((good + 1))
done
check "each SVG parses, 1280x720" "$good of $n" "3 of 3"

# ---- the data behind a chart is the database's ----
expect "plot --scripts" 0 'timeline-order\.png' -- "$HR" plot "$H" --out "$T/gp" --scripts
[ -s "$T/gp/timeline-order.gp" ] && ok "script beside the chart" || bad "script beside the chart"
# The data block: t_s offered_rps served_rps failed_rps replicas desired ready pending ...
sed -n '/^\$data << EOD$/,/^EOD$/p' "$T/gp/timeline-order.gp" | grep -v '^[$#E]' | awk '{ print $1, $2, $5, $6, $7, $8 }' >"$T/chart"
q "$H" "select t_s, offered_rps, replicas, desired, ready, pending from samples where run_id = 1 and service = 'order' order by t_s" | tr '|' ' ' >"$T/db"
check "timeline data: one row per sample" "$(wc -l <"$T/chart" | tr -d ' ')" "$(wc -l <"$T/db" | tr -d ' ')"
d=$(paste -d ' ' "$T/chart" "$T/db" | awk '{ for (i = 1; i <= 6; i++) if (($i - $(i + 6))^2 > 1e-18) bad++ } END { print bad + 0 }')
check "timeline data: t_s, offered_rps, replicas, desired, ready, pending as in samples" "$d" 0
sed -n '/^\$data << EOD$/,/^EOD$/p' "$T/gp/latency-order.gp" | grep -v '^[$#E]' | awk '{ print $1, $3 }' | sed 's/NaN/-/' >"$T/chart"
q "$H" "select t_s, coalesce(p99_ms, '-') from samples where run_id = 1 and service = 'order' order by t_s" | tr '|' ' ' >"$T/db"
d=$(paste -d ' ' "$T/chart" "$T/db" | awk '$2 == "-" || $4 == "-" { if ($2 != $4) bad++; next } { if (($1 - $3)^2 + ($2 - $4)^2 > 1e-12) bad++ } END { print bad + 0 }')
check "latency data: p99_ms as in samples, NULL as NaN" "$d" 0
n=$(q "$H" "select count(*) from decisions where run_id = 1 and service = 'order' and kind = 'pod' and event = 'ready'")
m=$(sed -n '/^\$data << EOD$/,/^EOD$/p' "$T/gp/startup-order.gp" | grep -c '^[0-9]')
check "start-up data: one row per pod that became Ready" "$m" "$n"
# The capacity line: the cores the ready pods can get (samples.cpu_capacity)
# over order's 10 ms of CPU per request; a file before version 5: ready pods.
sed -n '/^\$data << EOD$/,/^EOD$/p' "$T/gp/timeline-order.gp" | grep -v '^[$#E]' | awk '{ print $1, $9 }' >"$T/chart"
q "$H" "select t_s, cpu_capacity / 0.010 from samples where run_id = 1 and service = 'order' order by t_s" | tr '|' ' ' >"$T/db"
d=$(paste -d ' ' "$T/chart" "$T/db" | awk '{ if (($1 - $3)^2 + ($2 - $4)^2 > 1e-12 * (1 + $4^2)) bad++ } END { print bad + 0 }')
check "timeline data: capacity = cpu_capacity / mean CPU per request" "$d" 0
grep -q "capacity = cores the ready pods can get on their nodes ÷ 10 ms mean CPU per request" "$T/gp/timeline-order.gp" && ok "timeline caption: capacity from the nodes" || bad "timeline caption: capacity from the nodes" "$(grep -o 'capacity = [^'"'"']*' "$T/gp/timeline-order.gp")"
O=$T/v4.db
cp "$H" "$O"
q "$O" "alter table samples drop column cpu_capacity; pragma user_version = 4" >/dev/null
expect "plot a file without samples.cpu_capacity" 0 'timeline-order\.png' -- "$HR" plot "$O" --out "$T/v4" --scripts
grep -q "capacity = ready pods × 1 core ÷ 10 ms mean CPU per request" "$T/v4/timeline-order.gp" && ok "timeline caption: capacity from the ready pods" || bad "timeline caption: capacity from the ready pods" "$(grep -o 'capacity = [^'"'"']*' "$T/v4/timeline-order.gp")"
(cd "$T/gp" && gnuplot timeline-order.gp >again.png 2>/dev/null)
check "the script draws the chart again" "$(png_size "$T/gp/again.png")" 1280x720

# ---- names with quotes, spaces and non-ASCII letters ----
# No scenario file may name itself so, but a database may hold anything.
N=$T/names.db
cp "$D" "$N"
q "$N" "update scenarios set name = 'Tom''s \"big\" spike \`touch $T/pwned\` @x ü 漢字'" >/dev/null
for t in samples summaries; do
  q "$N" "update $t set service = 'pay ment''s \"x\" ü' where service = 'payment'" >/dev/null
done
expect "a scenario and service named with quotes and spaces draw" 0 'timeline-pay_ment_s__x_+\.png' -- "$HR" plot "$N" --out "$T/names"
grep '\.png$' "$T/out" >"$T/list"
check "all six are PNGs" "$(all_pngs "$T/list")" "6 of 6"
[ ! -e "$T/pwned" ] && ok "a name ran nothing" || bad "a name ran nothing"

# ---- gnuplot missing, and other errors ----
expect "gnuplot missing: exit 2, naming the package" 2 'gnuplot-nox' -- env HEADROOM_GNUPLOT=/nonexistent/gnuplot "$HR" plot "$D" --out "$T/nognu"
n=$(ls "$T/nognu" 2>/dev/null | wc -l | tr -d ' ')
check "gnuplot missing: no file written" "$n" 0
expect "no such database" 2 'no-such\.db' -- "$HR" plot "$T/no-such.db"
[ ! -e "$T/no-such.db" ] && ok "plot creates no database" || bad "plot creates no database"
expect "no such run" 2 'no run 99 \(1 run, ids 1 to 1' -- "$HR" plot "$D" --run 99
expect "--plan without plans" 2 'this database has no plans \(run headroom plan first\)' -- "$HR" plot "$D" --plan 1
expect "report --plan without plans" 2 'this database has no plans' -- "$HR" report "$D" --plan 1 --out "$T/p.html"
expect "bad --format" 2 '--format is png or svg' -- "$HR" plot "$D" --format gif
expect "bad --run" 2 '--run takes a run id' -- "$HR" plot "$D" --run x
expect "--run and --latest" 2 'give one' -- "$HR" plot "$D" --run 1 --latest
printf 'not a database, just text that is long enough to have a header............................................\n' >"$T/text.db"
expect "not a database" 2 'not a headroom database' -- "$HR" plot "$T/text.db"
expect "no database given" 2 'which results database' -- "$HR" plot

# ---- a plan: the buffer sweep and provisioner charts ----
# Two buffers x two provisioners, 3 replications each: about a second. 250 %:
# with pods sharing their nodes' CPU, 150 % no longer meets the SLO here.
sed -e 's#catalogs/#'"$PWD"'/scenarios/catalogs/#' -e 's/^duration: 40m/duration: 8m/' \
    -e 's/start: 10m, ramp: 30s, factor: 4, hold: 10m/start: 2m, ramp: 30s, factor: 4, hold: 3m/' \
    -e '/^compare:/,/^$/c\
sweep:\
  replications: 3\
  target: 30%\
  axes:\
    buffer: {services.payment.buffer: [100%, 250%]}\
    provisioner: {cluster.provisioner: [karpenter, cluster-autoscaler]}\
' scenarios/karpenter-vs-ca.yaml >"$T/plan.yaml"
P=$T/plan.db
"$HR" plan "$T/plan.yaml" --db "$P" -q -j 2 >/dev/null 2>&1
check "a small plan" "$(q "$P" "select count(*) from runs where plan_id = 1")" 12
expect "plot --plan" 0 'sweep\.png' -- "$HR" plot "$P" --plan 1 --out "$T/pc" --scripts
grep '\.png$' "$T/out" >"$T/list"
check "plan charts are PNGs (sweep, provisioners)" "$(all_pngs "$T/list")" "2 of 2"
sed -n '/^\$data << EOD/,/^EOD/p' "$T/pc/sweep.gp" | grep -v '^[#$E]' | awk '{ printf "%d %.6f %.6f %.6f %.2f %d\n", $1, $3, $4, $5, $6, $7 }' >"$T/chart.rows"
q "$P" "select v.variant, printf('%.6f %.6f %.6f %.2f', v.p_slo, v.p_slo_low, v.p_slo_high, coalesce(v.month_usd, v.monthly_cost_usd)), coalesce(v.variant = p.recommended, 0)
        from plan_variants v join plans p on p.id = v.plan_id where p.id = 1 order by v.variant" | tr '|' ' ' >"$T/db.rows"
if [ -s "$T/db.rows" ] && cmp -s "$T/chart.rows" "$T/db.rows"; then ok "sweep chart data = plan_variants"; else bad "sweep chart data = plan_variants" "$(diff "$T/chart.rows" "$T/db.rows" | head -4)"; fi
check "provisioner chart: one row per buffer" "$(sed -n '/^\$data << EOD/,/^EOD/p' "$T/pc/provisioners.gp" | grep -c '^[0-9]')" 2
expect "plot --latest-plan, SVG" 0 'provisioners\.svg' -- "$HR" plot "$P" --latest-plan --format svg --out "$T/ps"
xml_ok "$T/ps/sweep.svg" && xml_ok "$T/ps/provisioners.svg" && ok "plan charts: SVG parses" || bad "plan charts: SVG parses"
expect "plot --plan 999" 2 'no plan 999 \(1 plan' -- "$HR" plot "$P" --plan 999
expect "bad --plan" 2 '--plan takes a plan id' -- "$HR" plot "$P" --plan x
rec=$(q "$P" "select recommended from plans where id = 1")
check "the small plan recommends variant 3" "$rec" 3
check "sweep chart: the recommendation marked" "$(awk '$6 == 1 { print $1 }' "$T/chart.rows")" "$rec"
expect "report --plan HTML" 0 'pr\.html' -- "$HR" report "$P" --plan 1 --out "$T/pr/pr.html"
R=$T/pr/pr.html
check "plan HTML: both charts inline" "$(grep -c '<svg' "$R")" 2
grep -q "$(q "$P" "select substr(recommendation, 1, 40) from plans where id = 1")" "$R" && grep -q 'Recommended: variant 3' "$R" && ok "plan HTML: the recommendation" || bad "plan HTML: the recommendation"
grep -q 'Why the cheaper variants fail' "$R" && grep -q 'lower bound 0.0% &lt; target 30%' "$R" && ok "plan HTML: why cheaper variants fail" || bad "plan HTML: why cheaper variants fail"
grep -q "headroom plan $T/plan.yaml --seed 11 --replications 3 --target 30%" "$R" && ok "plan HTML: the command" || bad "plan HTML: the command" "$(grep -A2 'headroom plan' "$R" | head -3)"
check "report leaves only the page" "$(ls -A "$T/pr")" pr.html
grep -q 'p99, ms (median / p95) \[minReplicas\]' "$R" && grep -Eq '<td[^>]*>[0-9]+ / [0-9]+ \[[0-9]+\]</td>' "$R" &&
  ok "plan HTML: each variant's minReplicas" || bad "plan HTML: each variant's minReplicas" "$(grep -m1 'minReplicas' "$R" | head -c 300)"
grep -q '<h2[^>]*>Baseline</h2>' "$R" && grep -q "payment</td><td>$(q "$P" "select json_extract(baseline, '\$.payment.formula') from plans where id = 1")" "$R" &&
  ok "plan HTML: the baseline formula" || bad "plan HTML: the baseline formula" "$(grep -A3 'Baseline' "$R" | head -c 400)"
grep -q 'Why variants fail' "$R" && grep -Eq 'payment: p99 [0-9]+%, errors [0-9]+%' "$R" &&
  ok "plan HTML: the SLO terms missed" || bad "plan HTML: the SLO terms missed"
grep -q '<h2[^>]*>Cost a month</h2>' "$R" && grep -q "<td[^>]*>$(q "$P" "select printf('%.0f', month_usd) from plan_variants where plan_id = 1 and variant = 1")</td>" "$R" &&
  ok "plan HTML: the month's cost item by item" || bad "plan HTML: the month's cost item by item" "$(grep -A3 'Cost a month' "$R" | head -c 400)"
grep -q "headroom run $T/plan.yaml --variant K --replication R" "$R" && ok "plan HTML: one run in full" || bad "plan HTML: one run in full" "$(grep 'headroom run' "$R" | head -2)"
expect "report --plan Markdown" 0 'pr\.md' -- "$HR" report "$P" --plan 1 --out "$T/pm/pr.md"
check "plan Markdown: its PNG charts beside it" "$(ls "$T/pm" | tr '\n' ' ')" "pr-provisioners.png pr-sweep.png pr.md "
expect "report --plan 999" 2 'no plan 999' -- "$HR" report "$P" --plan 999 --out "$T/p9.html"

# ---- report ----
expect "report HTML" 0 'r\.html' -- "$HR" report "$H" --out "$T/rep/r.html"
R=$T/rep/r.html
check "HTML: one inline SVG per chart" "$(grep -c '<svg' "$R")" 3
grep -q '<?xml' "$R" && bad "HTML: no XML prolog inside" || ok "HTML: no XML prolog inside"
grep -q 'headroom run scenarios/hpa-spike.yaml --seed 3' "$R" && grep -q -- "--set duration=8m" "$R" && ok "HTML: the command that reproduces the run" || bad "HTML: the command that reproduces the run"
grep -q 'Results per service' "$R" && grep -q '<td>order</td>' "$R" && ok "HTML: the summary table" || bad "HTML: the summary table"
grep -q 'cpu at 70 % of request' "$R" && grep -q 'application start uniform, mean 25 s' "$R" && ok "HTML: the assumptions (HPA, start-up)" || bad "HTML: the assumptions"
grep -q 'cpu_per_request: {distribution: lognormal, mean: 10ms, cv: 0.5}' "$R" && ok "HTML: the scenario's YAML" || bad "HTML: the scenario's YAML"
# Links within the page (SVG's href='#gpPt1') are fine; none may fetch anything.
grep -Eq "(src|href)=['\"][^#'\"]|<link|@import|url\\(['\"]?[^#'\")]" "$R" && bad "HTML: self-contained" "$(grep -Eo "(src|href)=.{30}" "$R" | grep -v "=.#" | head -3)" || ok "HTML: self-contained (nothing fetched)"
check "report leaves only the page" "$(ls -A "$T/rep")" r.html
expect "report Markdown" 0 'r\.md' -- "$HR" report "$D" --out "$T/md/r.md"
n=0 good=0
for f in $(grep -o '(<[^>]*\.png>)' "$T/md/r.md" | tr -d '()<>'); do
  n=$((n + 1))
  [ "$(png_size "$T/md/$f")" = 1280x720 ] && good=$((good + 1))
done
check "Markdown: links to its PNG charts, beside it" "$good of $n" "6 of 6"
grep -q '^headroom run scenarios/demo.yaml --seed 42 \\$' "$T/md/r.md" && ok "Markdown: the command" || bad "Markdown: the command" "$(grep -A2 '^headroom run' "$T/md/r.md")"
grep -q '| balancer | least request of two (Envoy) |' "$T/md/r.md" && ok "Markdown: the balancer" || bad "Markdown: the balancer" "$(grep '| balancer' "$T/md/r.md")"
S=$T/slow.db
"$HR" run scenarios/slow-start.yaml --variant 2 --set duration=2m --db "$S" -q || bad "slow-start envoy run"
expect "report of a slow-start run" 0 's\.md' -- "$HR" report "$S" --out "$T/ss/s.md"
grep -q "| balancer | round robin (IPVS, Envoy); Envoy slow start: a new pod's weight ramps over 2m (aggression 1, at least 10 %) |" "$T/ss/s.md" &&
  ok "Markdown: the slow start" || bad "Markdown: the slow start" "$(grep '| balancer' "$T/ss/s.md")"
q "$N" "update scenarios set name = '<script>alert(1)</script> & ''x'''" >/dev/null
expect "report of a hostile name" 0 'n\.html' -- "$HR" report "$N" --out "$T/n.html"
grep -q '<script' "$T/n.html" && bad "HTML: names are escaped" || ok "HTML: names are escaped"
# Two NodePools: the node cost of each; Cluster Autoscaler's limits among the assumptions.
PZ=$T/pz.db
"$HR" run scenarios/pci-zones.yaml --db "$PZ" --set duration=8m -q
expect "report of two NodePools" 0 'pz\.md' -- "$HR" report "$PZ" --out "$T/pz.md"
grep -q '^| general | [0-9.]* | [0-9]* |$' "$T/pz.md" && grep -q '^| pci | [0-9.]* | [0-9]* |$' "$T/pz.md" &&
  ok "report: the node cost of each pool" || bad "report: the node cost of each pool" "$(grep -A5 'by pool' "$T/pz.md")"
CL=$T/cl.db
"$HR" run scenarios/ca-spike.yaml --db "$CL" --set duration=2m --set cluster.cluster_autoscaler.max-nodes-total=10 \
  --set cluster.cluster_autoscaler.balance-similar-node-groups=true -q
expect "report of CA with limits" 0 'cl\.md' -- "$HR" report "$CL" --out "$T/cl.md"
check "report: CA's limits among the assumptions" "$(grep -c '^| Cluster Autoscaler limits | max-nodes-total 10; balance-similar-node-groups |$' "$T/cl.md")" 1
# A lost zone and spot interruptions among the assumptions.
ZO=$T/zo.db
"$HR" run scenarios/zone-outage.yaml --db "$ZO" --set duration=2m \
  --set 'cluster.outages=[{zone: us-east-1a, start: 1m, remove_after: 30s}]' -q
expect "report of a lost zone" 0 'zo\.md' -- "$HR" report "$ZO" --out "$T/zo.md"
check "report: the lost zone among the assumptions" "$(grep -c '^| zone lost | us-east-1a at 1m: .*NotReady 50 s later.* nodes removed 30 s after |$' "$T/zo.md")" 1
SP=$T/sp.db
"$HR" run scenarios/spot-vs-on-demand.yaml --db "$SP" --variant 1 --set duration=2m \
  --set 'cluster.interruptions.at=[{at: 1m}]' -q
expect "report of spot interruptions" 0 'sp\.md' -- "$HR" report "$SP" --out "$T/sp.md"
check "report: spot interruptions among the assumptions" \
  "$(grep -c '^| spot interruptions | \(any spot type: 12.5 % of instances a month .*; 2-minute notice\|1 at given times\) |$' "$T/sp.md")" 2
expect "report needs --out" 2 'where to\?' -- "$HR" report "$D"
expect "report --out of another kind" 2 'FILE\.html or FILE\.md' -- "$HR" report "$D" --out "$T/r.txt"
expect "report without gnuplot" 2 'gnuplot-nox' -- env HEADROOM_GNUPLOT=/nonexistent/gnuplot "$HR" report "$D" --out "$T/g.html"
[ ! -e "$T/g.html" ] && ok "report without gnuplot: no page" || bad "report without gnuplot: no page"

# ---- the rollout chart (docs/rollouts.md): weight, verdicts, pods, errors and p99 per version ----
"$HR" run scenarios/canary.yaml --variant 2 --db "$T/canary.db" -q >/dev/null 2>&1
expect "plot a run with a rollout draws its rollout chart" 0 'rollout-payment\.png' -- "$HR" plot "$T/canary.db" --out "$T/ro" --scripts
grep -q '^180 2 0\.04' "$T/ro/rollout-payment.gp" && ok "the rollout chart shows the Failed measurement (180 s, 4 % errors)" ||
  bad "the rollout chart shows the Failed measurement" "$(grep -n '^180 ' "$T/ro/rollout-payment.gp")"
"$HR" plot "$D" --out "$T/nor" >"$T/out" 2>&1
grep -q rollout "$T/out" && bad "a run without a rollout has no rollout chart" || ok "a run without a rollout has no rollout chart"
"$HR" report "$T/canary.db" --out "$T/canary.md" >/dev/null 2>&1
grep -q '^| payment | canary | aborted | 120.0 | 180.0 | 60.0 |' "$T/canary.md" && grep -q '| error-rate | 0.04[0-9]* | Failed |' "$T/canary.md" &&
  ok "the report has the rollout's outcome and its Failed measurement" || bad "the report's rollout section" "$(grep -n -A6 '## Rollout' "$T/canary.md")"
# one canary pod (10 % of 10) from 120 s to 30 s after the abort at 180 s: 90 s, 0.025 pod-hours; half a core of
# an m5.xlarge's 3.92: 0.025 x 0.5 / 3.92 = 0.00319 node-hours, at 0.192 USD an hour 0.000612 USD
grep -q '| 0\.025 | 0\.003 | 0\.0006 | 11 |$' "$T/canary.md" &&
  ok "the report's rollout row has the extra pod-hours, node-hours and cost by hand" ||
  bad "the report's rollout extra columns" "$(grep -n -A4 '## Rollout' "$T/canary.md" | tail -1)"
grep -q "## Rollout" "$T/pz.md" && bad "a report without a rollout has no rollout section" || ok "a report without a rollout has no rollout section"
# ---- Kafka: lag and consumers per consuming service ----
KD=$T/kafka.db
"$HR" run scenarios/kafka-saga.yaml --db "$KD" --variant 1 --set duration=3m -q
expect "plot a Kafka run" 0 'kafka-order\.png' -- "$HR" plot "$KD" --out "$T/kafka" --scripts
check "kafka chart: a 1280x720 PNG" "$(png_size "$T/kafka/kafka-order.png")" 1280x720
check "kafka chart of product (it consumes), none of payment (it does not)" \
  "$( [ -f "$T/kafka/kafka-product.png" ] && [ ! -e "$T/kafka/kafka-payment.png" ] && echo yes)" yes
want=$(sqlite3 "$KD" "select max(lag) from kafka_samples where consumer_group = 'order-update'")
got=$(awk '/^\$g1 << EOD/ { on = 1; next } /^EOD/ { on = 0 } on && $2 > m { m = $2 } END { print m + 0 }' "$T/kafka/kafka-order.gp")
check "kafka chart: the lag drawn is the database's" "$got" "$want"
expect "report of a Kafka run" 0 'k\.md' -- "$HR" report "$KD" --out "$T/k.md"
check "report: Kafka groups and sagas tables, the Kafka chart captioned" \
  "$(grep -c '^## Kafka consumer groups$\|^## Sagas$\|^!\[order: Kafka consumer lag per group' "$T/k.md")" 3

# ---- the clusters chart (docs/clusters.md): target group shares, nodes and errors per cluster ----
"$HR" run scenarios/cluster-upgrade.yaml --variant 1 --db "$T/cu.db" -q >/dev/null 2>&1
expect "plot a run with clusters draws the clusters chart" 0 'clusters\.png' -- "$HR" plot "$T/cu.db" --out "$T/cu" --scripts
n=$(awk '/^# shop\/green -> green$/ {b = 1; next} /^#/ {b = 0} b && ($1 == 1190 || $1 == 1200 || $1 == 2400) {printf "%s:%s ", $1, $2}' "$T/cu/clusters.gp")
check "the clusters chart has green's share 0, 10 and 100 %" "$n" "1190:0 1200:10 2400:100 "
grep -q '^# blue$' "$T/cu/clusters.gp" && grep -q '^# green$' "$T/cu/clusters.gp" && ok "the clusters chart has both clusters' nodes" ||
  bad "the clusters chart's clusters"
"$HR" plot "$D" --out "$T/nocl" >"$T/out" 2>&1
grep -q 'clusters\.' "$T/out" && bad "a run without clusters has no clusters chart" || ok "a run without clusters has no clusters chart"
"$HR" report "$T/cu.db" --out "$T/cu.md" >/dev/null 2>&1
grep -Eq '^\| blue \| 1\.31 \| 2 \| [0-9.]+ \| [0-9.]+ \| [0-9]+ \| [0-9]+ \| 0\.000 \| met \|$' "$T/cu.md" &&
  grep -Eq '^\| green \| 1\.32 \| 2 \|' "$T/cu.md" && ok "the report has each cluster's totals" || bad "the report's clusters section" "$(grep -n -A6 '## Clusters' "$T/cu.md")"
grep -q '^!\[the ALB.s target groups (share of the weight), nodes and errors per cluster\](<cu-clusters\.png>)$' "$T/cu.md" &&
  [ -s "$T/cu-clusters.png" ] && ok "the report draws the clusters chart" || bad "the report's clusters chart" "$(grep -n clusters "$T/cu.md")"
grep -q "## Clusters" "$T/pz.md" && bad "a report without clusters has no clusters section" || ok "a report without clusters has no clusters section"

echo "plot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
