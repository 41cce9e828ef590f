#!/bin/sh
# End-to-end tests of the headroom command: help and version, validate, run
# into SQLite, determinism across runs, bad input (exit status 2, a
# file:line:col message, no database left behind), and a killed run.
# usage: tests/cli.sh HEADROOM_BINARY   (run from the repository root)
set -u
HR=$1
. tests/lib.sh

# ---- help and version ----
expect "--help lists the commands" 0 'run +simulate' -- "$HR" --help
expect "--version names the schema" 0 '^headroom [0-9.]+ \(results schema [0-9]+\)' -- "$HR" --version
expect "help run shows the options" 0 '--seed N' -- "$HR" help run
expect "run --help shows the options" 0 '--set KEY=VALUE' -- "$HR" run --help
expect "no command is a usage error" 2 'usage: headroom' -- "$HR"
expect "unknown command" 2 "no command 'frobnicate'" -- "$HR" frobnicate
expect "unknown option" 2 "unknown option '--bogus'" -- "$HR" run scenarios/demo.yaml --bogus
expect "missing scenario" 2 'which scenario' -- "$HR" run
expect "bad seed" 2 '--seed takes an integer' -- "$HR" run scenarios/demo.yaml --seed -4

# ---- the repository stands alone ----
# No tracked file cites the design notes or fact sheets the project began
# from, which live outside the repository: docs/model.md holds the rules and
# their upstream sources.
if git ls-files >/dev/null 2>&1; then
  out=$(git ls-files -z | xargs -0 grep -nI -e '\.\./shared' -e 'FACTS\.md' 2>/dev/null | grep -v '^tests/cli\.sh:')
  check "no tracked file cites the notes outside the repository" "$out" ""
else
  ok "no tracked file cites the notes outside the repository (not a git checkout: skipped)"
fi

# ---- validate ----
for f in scenarios/*.yaml scenarios/bench/*.yaml; do
  expect "validate $f" 0 ': ok \(' -- "$HR" validate "$f"
done

# ---- run into a database ----
DB=$T/r.db
expect "run demo (2 min)" 0 'results: .*r\.db \(run 1\)' -- "$HR" run scenarios/demo.yaml --db "$DB" --set duration=2m
n=$(q "$DB" "select count(*) from summaries where run_id=1")
[ "$n" = 3 ] && ok "3 summaries" || bad "3 summaries" "got $n"
n=$(q "$DB" "select count(*) from samples where run_id=1")
[ "$n" = 36 ] && ok "36 samples (3 services x 12 intervals of 10 s)" || bad "36 samples" "got $n"
n=$(q "$DB" "select count(*) from samples where run_id=1 and service='order' and offered_rps between 150 and 250")
[ "$n" = 12 ] && ok "order offered about 200 rps in every interval" || bad "order offered ~200 rps" "got $n of 12"
n=$(q "$DB" "select status || ' ' || (events > 0) || ' ' || (requests > 0) from runs where id=1")
[ "$n" = "ok 1 1" ] && ok "runs row complete" || bad "runs row complete" "got $n"

# Determinism: the same seed gives the same rows.
"$HR" run scenarios/demo.yaml --db "$DB" --set duration=2m -q
"$HR" run scenarios/demo.yaml --db "$DB" --set duration=2m --seed 43 -q
cols="t_s, service, offered_rps, served_rps, errors, timeouts, rejected, mean_ms, p50_ms, p99_ms, replicas, ready, in_flight, cpu_util"
a=$(q "$DB" "select $cols from samples where run_id=1 order by service, t_s" | md5sum)
b=$(q "$DB" "select $cols from samples where run_id=2 order by service, t_s" | md5sum)
c=$(q "$DB" "select $cols from samples where run_id=3 order by service, t_s" | md5sum)
[ "$a" = "$b" ] && ok "same seed, same samples" || bad "same seed, same samples"
[ "$a" != "$c" ] && ok "other seed, other samples" || bad "other seed, other samples"
scols="service, requests, served, errors, timeouts, rejected, mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms, error_rate, cpu_util, violation_minutes, slo_met"
a=$(q "$DB" "select $scols from summaries where run_id=1 order by service" | md5sum)
b=$(q "$DB" "select $scols from summaries where run_id=2 order by service" | md5sum)
[ "$a" = "$b" ] && ok "same seed, same summaries" || bad "same seed, same summaries"
n=$(q "$DB" "select count(distinct scenario_id) from runs")
[ "$n" = 1 ] && ok "one scenarios row for three runs" || bad "one scenarios row" "got $n"

# --set reaches the model: twice the replicas, half the utilisation.
"$HR" run scenarios/demo.yaml --db "$DB" --set duration=2m --set services.payment.replicas=16 -q
u=$(q "$DB" "select round((select cpu_util from summaries where run_id=1 and service='payment') / (select cpu_util from summaries where run_id=4 and service='payment'), 1)")
[ "$u" = "2.0" ] && ok "--set replicas=16 halves payment's cpu_util" || bad "--set replicas halves cpu_util" "ratio $u"
n=$(q "$DB" "select params from runs where id=4")
[ "$n" = '{"duration":"2m","services.payment.replicas":"16"}' ] && ok "params recorded" || bad "params recorded" "got $n"

# ---- bad input: exit 2, file:line:col, nothing left behind ----
B=$T/bad
mkdir -p "$B"
printf 'name: x\nduration: 1m\nservices:\n  a: [1, 2\n' >"$B/syntax.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replica: 1\n' >"$B/unknown.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20parsecs\n' >"$B/unit.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: -3\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n' >"$B/negative.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 100000000\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n' >"$B/absurd.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n    traffic: {pattern: {type: trace, file: nope.csv}}\n' >"$B/trace.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n' >"$B/overlimit.yaml"
printf 'name: x\nduration: 1m\ncluster:\n  cpu_weight_mapping: cgroup-v3\n  nodes: [{name: n, allocatable: {cpu: "4", memory: 8Gi}}]\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n' >"$B/weights.yaml"
for case in "syntax:[0-9]+:[0-9]+:" "unknown:5:5:.*did you mean 'replicas'" "unit:7:22:" "negative:5:15:" "absurd:5:15:" "trace:8:44:.*nope.csv" \
            "overlimit:6:54:.*limits.cpu must be >= requests.cpu" "weights:4:23:.*cgroup-v1"; do
  f=${case%%:*}
  pat="$B/$f.yaml:${case#*:}"
  rm -f "$T/bad.db"
  expect "bad input: $f" 2 "$pat" -- "$HR" run "$B/$f.yaml" --db "$T/bad.db"
  [ ! -e "$T/bad.db" ] && ok "bad input: $f leaves no database" || bad "bad input: $f leaves no database"
  expect "validate: $f" 2 "$pat" -- "$HR" validate "$B/$f.yaml"
done
# Lost zones and spot interruptions: an unknown zone, a rate of 100 % or more.
F='name: x\nduration: 1m\ncluster:\n  nodes: [{name: n, allocatable: {cpu: "4", memory: 8Gi}}]\n'
S='services:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n'
printf "$F"'  outages: [{zone: eu-west-1a, start: 10s}]\n'"$S" >"$B/outage-zone.yaml"
printf "$F"'  interruptions: {rates: [{rate: 120%%}]}\n'"$S" >"$B/spot-rate.yaml"
# Slow start: an ALB's with least request, Envoy's with random.
printf 'name: x\nduration: 1m\n'"$S"'    balancer: {type: least-request, slow_start: {duration_seconds: 60}}\n' >"$B/alb-lr.yaml"
printf 'name: x\nduration: 1m\n'"$S"'    balancer: {warmupDurationSecs: 60s}\n' >"$B/envoy-random.yaml"
for case in "outage-zone:5:20:.*'eu-west-1a' is not one of the cluster's zones" "spot-rate:5:34:.*rate: 120% is out of range" \
            "alb-lr:9:49:.*round-robin only" "envoy-random:9:36:.*not random"; do
  f=${case%%:*}
  rm -f "$T/bad.db"
  expect "bad fault or balancer: $f" 2 "$B/$f.yaml:${case#*:}" -- "$HR" run "$B/$f.yaml" --db "$T/bad.db"
  [ ! -e "$T/bad.db" ] && ok "bad fault or balancer: $f leaves no database" || bad "bad fault or balancer: $f leaves no database"
done
# HPA manifests: an unknown field, an unsupported metric type, min > max.
H='name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n    hpa:\n      apiVersion: autoscaling/v2\n      kind: HorizontalPodAutoscaler\n      spec:\n        scaleTargetRef: {kind: Deployment, name: a}\n'
printf "$H"'        maxReplicas: 5\n        targetCPUUtilizationPercentage: 70\n' >"$B/hpa-unknown.yaml"
printf "$H"'        maxReplicas: 5\n        metrics:\n        - type: Object\n' >"$B/hpa-metric.yaml"
printf "$H"'        maxReplicas: 5\n        metrics:\n        - {type: External, external: {metric: {name: launch}, target: {type: AverageValue, averageValue: "1"}}}\n' >"$B/hpa-external.yaml"
printf "$H"'        minReplicas: 5\n        maxReplicas: 3\n' >"$B/hpa-minmax.yaml"
for case in "hpa-unknown:15:9:.*unknown key 'targetCPUUtilizationPercentage'" "hpa-metric:16:17:.*Object metrics are not modelled" "hpa-external:16:54:.*no series of the external metrics API is called 'launch'" "hpa-minmax:15:22:.*maxReplicas \(3\) must be >= minReplicas \(5\)"; do
  f=${case%%:*}
  rm -f "$T/bad.db"
  expect "bad HPA: $f" 2 "$B/$f.yaml:${case#*:}" -- "$HR" run "$B/$f.yaml" --db "$T/bad.db"
  [ ! -e "$T/bad.db" ] && ok "bad HPA: $f leaves no database" || bad "bad HPA: $f leaves no database"
done
# Deployments and PodDisruptionBudgets (validate): exit 2 at file:line:col.
MD='name: x\nduration: 1m\nservices:\n  a:\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n      spec:\n'
MS='        selector: {matchLabels: {app: a}}\n'
MT='        template:\n          metadata: {labels: {app: a}}\n          spec:\n            containers:\n            - name: app\n              image: app\n'
MR='              resources: {requests: {cpu: 500m}}\n'
MQ='              readinessProbe: {tcpSocket: {port: 80}}\n'
MP='pdbs:\n  - apiVersion: policy/v1\n    kind: PodDisruptionBudget\n'
printf "$MD$MS$MT$MR$MQ$MP"'    spec: {maxUnavailable: 1, selector: {matchLabels: {app: b}}}\n' >"$B/pdb-none.yaml"
printf "$MD$MS$MT$MR$MQ$MP"'    spec: {minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: a}}}\n' >"$B/pdb-both.yaml"
printf "$MD$MS$MT$MR$MQ$MP"'    spec: {selector: {matchLabels: {app: a}}}\n' >"$B/pdb-neither.yaml"
printf "$MD$MS$MT$MR$MQ$MP"'    spec: {minAvailable: 150%%, selector: {matchLabels: {app: a}}}\n' >"$B/pdb-pct.yaml"
printf "$MD"'        selector: {matchLabels: {app: b}}\n'"$MT$MR$MQ" >"$B/deploy-selector.yaml"
printf "$MD$MS$MT"'              resources: {requests: {cpu: 2}, limits: {cpu: 1}}\n'"$MQ" >"$B/deploy-limit.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 2}, limits: {cpu: 1}}\n    cpu_per_request: 20ms\n    traffic: {rate: 10rps}\n' >"$B/service-limit.yaml"
printf "$MD"'        replica: 3\n'"$MS$MT$MR$MQ" >"$B/deploy-typo.yaml"
printf "$MD"'        replicas: "three"\n'"$MS$MT$MR$MQ" >"$B/deploy-type.yaml"
printf 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec:\n  minAvailble: 1\n' >"$B/typo-pdb.yaml"
printf "$MD$MS$MT$MR$MQ"'pdbs:\n  - {file: typo-pdb.yaml}\n' >"$B/pdb-file.yaml"
for case in "pdb-none:23:41: selector: PodDisruptionBudget 'pdbs\[0\]' selects no service's pods" \
  "pdb-both:23:29: maxUnavailable: minAvailable \(line 23\) is given too" \
  "pdb-neither:23:11: spec needs minAvailable or maxUnavailable" \
  "pdb-pct:23:26: minAvailable: 150% must not be greater than 100%" \
  "deploy-selector:11:19: selector does not match the template's labels \(line 13\)" \
  "deploy-limit:18:43: requests.cpu \(2 cores\) must be <= limits.cpu \(1 cores\) in container 'app'" \
  "service-limit:6:51: limits.cpu must be >= requests.cpu \(2 cores\)" \
  "deploy-typo:11:9: unknown key 'replica' in the Deployment's spec; did you mean 'replicas'\?" \
  "deploy-type:11:20: replicas: 'three' is not an integer"; do
  f=${case%%:*}
  expect "bad manifest: $f" 2 "^$B/$f.yaml:${case#*:}" -- "$HR" validate "$B/$f.yaml"
done
expect "bad manifest: an error in a PDB file is located there" 2 "^$B/typo-pdb.yaml:4:3: unknown key 'minAvailble'.*did you mean 'minAvailable'" -- "$HR" validate "$B/pdb-file.yaml"
expect "validate lists the PDBs and what they select" 0 'PodDisruptionBudget payment: maxUnavailable 1 \(unhealthy pods: AlwaysAllow\) over payment' -- "$HR" validate scenarios/deployment-pdb.yaml
# PriorityClasses (validate): exit 2 at file:line:col, in a class file too;
# a placeholder not below a serving service is a warning (exit 0).
PC='priorityClasses:\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: low}, value: -5}\n'
MTP='        template:\n          metadata: {labels: {app: a}}\n          spec:\n            priorityClassName: lwo\n            containers:\n            - name: app\n              image: app\n'
printf "$PC$MD$MS$MTP$MR$MQ" >"$B/pc-unknown.yaml"
printf "$PC"'  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: a}, value: 1, globalDefault: true}\n  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: b}, value: 2, globalDefault: true}\n'"$MD$MS$MT$MR$MQ" >"$B/pc-defaults.yaml"
printf "$PC"'  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: a}, value: 1000000001}\n'"$MD$MS$MT$MR$MQ" >"$B/pc-range.yaml"
printf 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: a}\nvalue: 1\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: b}\nvalu: 2\n' >"$B/classes.yaml"
printf 'priorityClasses:\n  - {file: classes.yaml}\n'"$MD$MS$MT$MR$MQ" >"$B/pc-file.yaml"
for case in "pc-unknown:17:32: priorityClassName: no PriorityClass with name lwo was found; did you mean 'low'\?" \
  "pc-defaults:4:107: globalDefault: PriorityClass a \(line 3\) is already marked as default" \
  "pc-range:3:89: value: 1000000001 is above 1000000000"; do
  f=${case%%:*}
  expect "bad PriorityClass: $f" 2 "^$B/$f.yaml:${case#*:}" -- "$HR" validate "$B/$f.yaml"
done
expect "bad PriorityClass: an error in a class file is located there" 2 "^$B/classes.yaml:9:1: unknown key 'valu'" -- "$HR" validate "$B/pc-file.yaml"
expect "validate lists the PriorityClasses" 0 'PriorityClass overprovisioning: -5, preemptionPolicy Never: placeholder' -- "$HR" validate scenarios/overprovisioning.yaml
expect "a placeholder above a serving service warns" 0 "overprovisioning.yaml:[0-9]+:3: warning: service 'placeholder' is a placeholder \(pause containers\) at priority 2000 .*not below service 'payment' at 1000" -- "$HR" validate scenarios/overprovisioning.yaml --set priorityClasses.0.value=2000
# --sandbox: a trace outside the sandbox is refused at its place in the file.
mkdir -p "$B/box"
printf 'timestamp,rps\n1700000000,10\n1700000060,20\n' >"$T/outside.csv"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 20ms\n    traffic: {pattern: {type: trace, file: ../../outside.csv}}\n' >"$B/box/esc.yaml"
expect "sandbox refuses an escaping path" 2 "esc.yaml:8:44: file: '../../outside.csv' is outside the sandbox" -- "$HR" validate "$B/box/esc.yaml" --sandbox "$B/box"
expect "without --sandbox the same file loads" 0 ': ok' -- "$HR" validate "$B/box/esc.yaml"
expect "plan --sandbox refuses it too" 2 "outside the sandbox" -- "$HR" plan "$B/box/esc.yaml" --sandbox "$B/box" --db "$T/sb.db"
expect "check --sandbox refuses it too" 2 "outside the sandbox" -- "$HR" check "$B/box/esc.yaml" --sandbox "$B/box"
expect "run --sandbox refuses it too" 2 "outside the sandbox" -- "$HR" run "$B/box/esc.yaml" --sandbox "$B/box" --db "$T/sb.db"
expect "missing scenario file" 2 'nope\.yaml' -- "$HR" run "$B/nope.yaml" --db "$T/bad.db"
expect "unwritable database" 2 'cannot open|unable to open' -- "$HR" run scenarios/demo.yaml --db "$T/no/such/dir/x.db" --set duration=1m
[ ! -e "$T/no/such/dir/x.db" ] && ok "unwritable database: nothing created" || bad "unwritable database: nothing created"
printf 'not a database, just text that is long enough to have a header............................................\n' >"$T/text.db"
expect "not a database" 2 'not a headroom database|not a database' -- "$HR" run scenarios/demo.yaml --db "$T/text.db" --set duration=1m
expect "bad --set path" 2 'services\.nope' -- "$HR" run scenarios/demo.yaml --db "$T/bad.db" --set services.nope.replicas=3
expect "bad --set value" 2 'replicas' -- "$HR" run scenarios/demo.yaml --db "$T/bad.db" --set services.payment.replicas=lots
# Spot only over a catalog without spot offerings: located at the requirement.
cat >"$T/spot-only.yaml" <<EOF
name: spot-only
duration: 1m
cluster:
  catalog: $(pwd)/scenarios/catalogs/ec2-us-east-1.csv
  provisioner: karpenter
  karpenter:
    nodepools:
      - apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: default}
        spec:
          template:
            spec:
              requirements:
                - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
services:
  a: {replicas: 1, resources: {requests: {cpu: 500m}}, cpu_per_request: 1ms, traffic: {rate: 1rps}}
EOF
expect "spot-only NodePool, no spot offering" 2 "^$T/spot-only\\.yaml:15:19: NodePool 'default': none of the 53 instance types its requirements allow has a spot offering in its zones" -- \
  "$HR" run "$T/spot-only.yaml" --db "$T/bad.db"
expect "the same with the spot offerings" 0 ': ok' -- "$HR" validate "$T/spot-only.yaml" \
  --set "cluster.offerings=$(pwd)/scenarios/catalogs/ec2-us-east-1-spot.csv"
expect "capacity window ending before it starts" 2 "end: 1m is not after start \\(5m\\)" -- \
  "$HR" run scenarios/karpenter-spot.yaml --db "$T/bad.db" --set 'cluster.capacity=[{start: 5m, end: 1m}]'
[ ! -e "$T/bad.db" ] && ok "bad offerings input leaves no database" || bad "bad offerings input leaves no database"

# ---- spot and insufficient capacity: the rows, and the same rows again ----
S=$T/spot.db
expect "run karpenter-spot" 0 '^spot-shortage ' -- "$HR" run scenarios/karpenter-spot.yaml --db "$S" --set duration=12m
n=$(q "$S" "select count(*) from decisions where run_id=1 and kind='node' and event='insufficient-capacity'")
[ "$n" -ge 1 ] && ok "the shortage gives insufficient-capacity rows ($n)" || bad "insufficient-capacity rows" "got $n"
n=$(q "$S" "select count(*) from decisions where run_id=2 and event='insufficient-capacity'")
[ "$n" = 0 ] && ok "no shortage, no error" || bad "no shortage, no error" "got $n"
"$HR" run scenarios/karpenter-spot.yaml --db "$S" -q --set duration=12m --variant 1 >/dev/null
a=$(q "$S" "select t_s, kind, pod, event, detail from decisions where run_id=1 order by rowid" | md5sum)
b=$(q "$S" "select t_s, kind, pod, event, detail from decisions where run_id=4 order by rowid" | md5sum)
[ "$a" = "$b" ] && ok "karpenter-spot: same seed, same decisions" || bad "karpenter-spot: same seed, same decisions"

# ---- an upgrade by drift: its rows, its summary line, the same rows again ----
U=$T/drift.db
expect "run drift-upgrade" 0 '^upgrade: NodePool default on al2023 1.32 \(ami-0f1e2d3c\): [0-9]+ s' -- \
  "$HR" run scenarios/drift-upgrade.yaml --db "$U"
grep -Eq '^  meanwhile: [0-9.e+-]+ % of [0-9]+ requests failed, the worst sample p99 [0-9.]+ ms \((order|payment)\)$' "$T/out" &&
  ok "the run tells the services during the upgrade" || bad "the services during the upgrade" "$(cat "$T/out")"
n=$(q "$U" "select count(*) from decisions where run_id=1 and event='drifted'")
m=$(q "$U" "select count(*) from decisions where run_id=1 and event='draining' and detail='drifted'")
[ "$n" -ge 5 ] && [ "$m" -ge 1 ] && ok "drift rows ($n drifted, $m drained for it)" || bad "drift rows" "$n drifted, $m drained"
n=$(q "$U" "select count(*) from decisions where run_id=1 and event='replacing' and t_s >= 1800 and t_s < 2700")
[ "$n" = 0 ] && ok "no drift command in the 09:00-09:15 UTC window of the Drifted budget of 0" || bad "drift window" "$n commands"
n=$(q "$U" "select max(d) from (select sum(drifted) d from nodes where run_id=1 group by t_s)")
m=$(q "$U" "select sum(drifted) from nodes where run_id=1 and t_s = (select max(t_s) from nodes where run_id=1)")
[ "$n" -ge 5 ] && [ "$m" = 0 ] && ok "nodes.drifted: $n at most, none at the end" || bad "nodes.drifted" "max $n, end $m"
n=$(q "$U" "select group_concat(r.variant || ':' || (d.t_s > 0), ' ') from runs r join decisions d on d.run_id = r.id and d.event = 'drift-complete' order by r.id")
[ "$n" = "1:1 2:1 3:1" ] && ok "each of the three variants completes its upgrade" || bad "three variants' upgrades" "got $n"
"$HR" run scenarios/drift-upgrade.yaml --db "$U" -q
a=$(q "$U" "select t_s, kind, pod, event, detail from decisions where run_id=1 and kind='node' order by rowid" | md5sum)
b=$(q "$U" "select t_s, kind, pod, event, detail from decisions where run_id=4 and kind='node' order by rowid" | md5sum)
[ "$a" = "$b" ] && ok "drift-upgrade: same seed, same node rows" || bad "drift-upgrade: same seed, same node rows"
"$HR" report "$U" --run 1 --out "$T/drift.md" >/dev/null 2>&1
n=$(grep -c '^Upgrade by drift: NodePool default on al2023 1.32 (ami-0f1e2d3c): [0-9]* s' "$T/drift.md")
m=$(grep -c "node class change | NodePool 'default' at 25m" "$T/drift.md")
[ "$n" = 1 ] && [ "$m" = 1 ] && ok "the report tells the upgrade and the node class change" || bad "report of drift" "$n, $m"
sed 's/nodepool: default, nodeclass/nodepool: gpu, nodeclass/' scenarios/drift-upgrade.yaml >"$T/drift-bad.yaml"
expect "a drift naming no NodePool" 2 "^$T/drift-bad\.yaml:59:27: nodepool: no NodePool 'gpu' in karpenter\.nodepools \(there are 'default'\)" -- \
  "$HR" run "$T/drift-bad.yaml" --db "$T/bad.db" --set "cluster.catalog=$(pwd)/scenarios/catalogs/ec2-us-east-1.csv"
[ ! -e "$T/bad.db" ] && ok "a bad drift leaves no database" || bad "a bad drift leaves no database"

# ---- the control plane: decisions and the new sample columns ----
D=$T/hpa.db
expect "run hpa-spike" 0 'results: .*hpa\.db \(run 1\)' -- "$HR" run scenarios/hpa-spike.yaml --db "$D"
n=$(q "$D" "select t_s || ' ' || replicas || ' ' || desired || ' ' || bound from decisions where kind='hpa' and desired > replicas order by t_s limit 1")
[ "$n" = "320.0 4 8 scale_up_limit" ] && ok "first scale-up at 320 s, 4 -> 8 (legacy limit)" || bad "first scale-up" "got $n"
n=$(q "$D" "select count(*) from decisions where kind='pod' and event='ready' and t_s > 0")
[ "$n" -gt 10 ] && ok "pods became ready ($n)" || bad "pods became ready" "got $n"
n=$(q "$D" "select count(*) from samples where desired is null or pending is null")
[ "$n" = 0 ] && ok "samples carry desired and pending" || bad "samples carry desired and pending" "$n rows without"
n=$(q "$D" "select count(*) from samples where t_s between 325 and 340 and desired > ready")
[ "$n" = 4 ] && ok "desired ahead of ready while pods start" || bad "desired ahead of ready" "got $n of 4"

# ---- a killed run leaves no partial rows ----
K=$T/kill.db
"$HR" run scenarios/demo.yaml --db "$K" --set duration=1m -q
"$HR" run scenarios/bench/day.yaml --db "$K" -q &
pid=$!
sleep 1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(q "$K" "pragma integrity_check")
[ "$n" = ok ] && ok "killed run: integrity_check ok" || bad "killed run: integrity_check ok" "$n"
n=$(q "$K" "select count(*) from runs")
m=$(q "$K" "select count(*) from samples where run_id not in (select id from runs)")
[ "$n" = 1 ] && [ "$m" = 0 ] && ok "killed run: only the complete run" || bad "killed run: only the complete run" "runs $n, orphans $m"

# ---- kill -9 at many points: only complete runs, always a sound file ----
K2=$T/kills.db
"$HR" run scenarios/demo.yaml --db "$K2" --set duration=1m -q
for d in 0.05 0.15 0.3 0.45 0.6 0.8 1.0 1.3; do
  "$HR" run scenarios/bench/day.yaml --db "$K2" --set duration=2h -q &
  pid=$!
  sleep "$d"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
done
n=$(q "$K2" "pragma integrity_check")
[ "$n" = ok ] && ok "8 kills: integrity_check ok" || bad "8 kills: integrity_check ok" "$n"
# Every run present is whole: 1 min of demo is 18 samples, 2 h of day 2160.
n=$(q "$K2" "select count(*) from runs r where (select count(*) from samples s where s.run_id = r.id) not in (18, 2160) or status != 'ok'")
m=$(q "$K2" "select (select count(*) from samples where run_id not in (select id from runs)) + (select count(*) from decisions where run_id not in (select id from runs)) + (select count(*) from pod_samples where run_id not in (select id from runs))")
[ "$n" = 0 ] && [ "$m" = 0 ] && ok "8 kills: only whole runs, no orphan rows" || bad "8 kills: only whole runs" "partial $n, orphans $m"
"$HR" run scenarios/demo.yaml --db "$K2" --set duration=1m -q
n=$(q "$K2" "select count(*) from runs where scenario_id = (select scenario_id from runs where id = 1)")
[ "$n" -ge 2 ] && ok "after the kills the database takes new runs" || bad "after the kills, new runs" "$n"

# ---- a full disk (a file size limit): a clear error, the earlier runs intact ----
F=$T/full.db
"$HR" run scenarios/demo.yaml --db "$F" --set duration=1m -q
(trap '' XFSZ; ulimit -f 40; exec "$HR" run scenarios/demo.yaml --db "$F" --set duration=30m -q) >"$T/out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q 'disk full' "$T/out" && ok "full disk: exit 2 and says so" || bad "full disk: exit 2 and says so" "exit $rc: $(head -c 300 "$T/out")"
n=$(q "$F" "pragma integrity_check")
m=$(q "$F" "select count(*) || ' ' || (select count(*) from samples) from runs")
[ "$n" = ok ] && [ "$m" = "1 18" ] && ok "full disk: the file is sound and holds the earlier run only" || bad "full disk: file sound" "$n / $m"

# Without the trap (a shell's default: SIGXFSZ kills): headroom ignores the
# signal itself, so it is never killed by it, and its exit status tells
# whether the run was stored, whatever the limit (0: stored; 2: not).
for lim in 40 120 300 450 600; do
  G=$T/xfsz-$lim.db
  "$HR" run scenarios/demo.yaml --db "$G" --set duration=1m -q
  (ulimit -f $lim; exec "$HR" run scenarios/demo.yaml --db "$G" --set duration=30m -q) >"$T/out" 2>&1
  rc=$?
  runs=$(q "$G" "select count(*) from runs")
  if [ "$rc" -ge 128 ]; then
    bad "file size limit $lim KiB: not killed by a signal" "exit $rc"
  elif { [ "$rc" = 0 ] && [ "$runs" = 2 ]; } || { [ "$rc" = 2 ] && [ "$runs" = 1 ] && grep -q 'file size limit' "$T/out"; }; then
    ok "file size limit $lim KiB: exit $rc tells the truth ($runs runs stored)"
  else
    bad "file size limit $lim KiB: exit status and the database agree" "exit $rc, $runs runs: $(head -c 300 "$T/out")"
  fi
done

# ---- files a scenario names: regular files within their limits ----
B2=$T/files
mkdir -p "$B2"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n    traffic: {pattern: {type: trace, file: /dev/zero}}\n' >"$B2/trace.yaml"
expect "a device as a trace" 2 'trace\.yaml:8:[0-9]+: file: .*/dev/zero.*not a regular file' -- "$HR" validate "$B2/trace.yaml"
printf 'name: x\nduration: 1m\ncluster:\n  catalog: /dev/zero\n  nodes: [{name: n, instance: m5.large}]\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n' >"$B2/cat.yaml"
expect "a device as a catalog" 2 'cat\.yaml:4:[0-9]+: catalog: /dev/zero: is not a regular file' -- "$HR" validate "$B2/cat.yaml"
printf 'name: x\nduration: 1m\ncluster:\n  catalog: %s/scenarios/catalogs/ec2-us-east-1.csv\n  offerings: /dev/zero\n  nodes: [{name: n, instance: m5.large}]\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n' "$(pwd)" >"$B2/off.yaml"
expect "a device as an offerings file" 2 'off\.yaml:5:[0-9]+: offerings: /dev/zero: is not a regular file' -- "$HR" validate "$B2/off.yaml"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 100m}}\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n    hpa: {file: %s}\n' /dev/zero >"$B2/hpa.yaml"
expect "a device as an HPA manifest" 2 'hpa\.yaml:9:[0-9]+: file: an HPA manifest .*not a regular file' -- "$HR" validate "$B2/hpa.yaml"
expect "a device as the scenario" 2 '/dev/zero: is not a regular file' -- "$HR" validate /dev/zero
expect "a directory as the scenario" 2 'is a directory' -- "$HR" validate "$B2"
# An HPA manifest over the 4 MiB limit, a misspelt key at its end: refused
# whole (never cut before the key).
{ printf 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n'
  awk 'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "x", s); for (i = 0; i < 4300; i++) print "# " s }'
  printf 'spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: a}\n  minReplicas: 1\n  maxReplicas: 3\n  bogus: 1\n'
} >"$B2/big-hpa.yaml"
sed 's|/dev/zero|big-hpa.yaml|' "$B2/hpa.yaml" >"$B2/hpa2.yaml"
expect "an HPA manifest over its limit" 2 'hpa2\.yaml:9:[0-9]+: file: .*too large \([0-9]+ bytes, the limit is 4194304\)' -- "$HR" validate "$B2/hpa2.yaml"
# 100,000 keys in one mapping load in linear time (about 0.2 s here; the
# bound is generous for a loaded machine).
awk 'BEGIN { print "name: x\nduration: 1m\nservices:\n  a:\n    cpu_per_request: 1ms\n    traffic: {rate: 1rps}\n    deployment:\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: a\n        labels:"
  for (i = 0; i < 100000; i++) printf "          k%d: v\n", i
  print "      spec:\n        replicas: 1\n        selector: {matchLabels: {app: a}}\n        template:\n          metadata: {labels: {app: a}}\n          spec:\n            containers: [{name: a, image: a, resources: {requests: {cpu: 100m}}, readinessProbe: {tcpSocket: {port: 80}}}]" }' >"$B2/keys.yaml"
t0=$(date +%s.%N)
expect "100,000 keys in one mapping" 0 ': ok' -- "$HR" validate "$B2/keys.yaml"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 15) }' && ok "100,000 keys validated within 15 s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)" || bad "100,000 keys validated within 15 s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
printf 'name: x\nduration: 1m\nservices:\n  a:\n    replicas: 1\n    replicas: 2\n' >"$B2/dup.yaml"
expect "a duplicate key still names both lines" 2 'dup\.yaml:6:5: duplicate key .replicas. \(first given at line 5\)' -- "$HR" validate "$B2/dup.yaml"

# ---- readers while a plan writes ----
# A reader waits for a lock as `headroom plot` does (60 s busy timeout): the
# plan's closing checkpoint holds the file exclusively for a moment, and a
# reader without a timeout (the sqlite3 shell's default) gets "database is
# locked" at once if it comes then (results/SCHEMA.md, "How a run is written").
P=$T/plan.db
"$HR" plan scenarios/payment-order-buffers.yaml --db "$P" -n 6 --jobs 2 -q >/dev/null 2>&1 &
ppid=$!
reads=0 readfail=0 readerr=""
# Read only once the plan has stored a run (a slow build, a busy machine or
# the sanitizers may take a while to get there): before, there is nothing to plot.
i=0
while kill -0 $ppid 2>/dev/null && [ $i -lt 240 ] &&
      [ "$(sqlite3 "$P" "select count(*) from runs" 2>/dev/null || echo 0)" = 0 ]; do
  sleep 0.25; i=$((i + 1))
done
while kill -0 $ppid 2>/dev/null && [ $reads -lt 6 ]; do
  if ! "$HR" plot "$P" --latest --out "$T/pc" >/dev/null 2>"$T/rerr"; then
    readfail=$((readfail + 1)) readerr="$readerr [plot] $(head -c 300 "$T/rerr")"
  elif ! sqlite3 -cmd '.timeout 60000' "$P" "select count(*) from runs" >/dev/null 2>"$T/rerr"; then
    readfail=$((readfail + 1)) readerr="$readerr [sqlite3] $(head -c 300 "$T/rerr")"
  else
    reads=$((reads + 1))
  fi
  sleep 0.5
done
wait $ppid
prc=$?
[ "$prc" = 0 ] && [ "$readfail" = 0 ] && [ "$reads" -ge 1 ] && ok "plot and sqlite read while a plan writes ($reads reads)" ||
  bad "readers while a plan writes" "plan exit $prc, $reads reads, $readfail failed:$readerr"

# ---- four writers at once ----
W=$T/writers.db
for s in 1 2 3 4; do
  "$HR" run scenarios/demo.yaml --db "$W" --set duration=2m --seed $s -q &
done
wait
n=$(q "$W" "select count(*) || ' ' || count(distinct seed) from runs where status = 'ok'")
m=$(q "$W" "select count(*) from samples")
[ "$n" = "4 4" ] && [ "$m" = 144 ] && ok "four concurrent writers all land" || bad "four concurrent writers" "runs $n, samples $m"

# ---- a rollout's bad input: file:line:col, exit 2 (docs/rollouts.md) ----
CAT="s|catalogs/|$(pwd)/scenarios/catalogs/|"
sed -e "$CAT" -e 's/- setWeight: 50$/- setWeight: 5/' scenarios/canary.yaml >"$T/ro-down.yaml"
expect "a rollout's weight going down" 2 'ro-down.yaml:[0-9]+:[0-9]+: setWeight: 5 after 10 \(line [0-9]+\): weights may not go down' -- \
  "$HR" validate "$T/ro-down.yaml"
sed -e "$CAT" -e 's/query: canary-p99-delta/query: canary-p99-diff/' scenarios/canary.yaml >"$T/ro-query.yaml"
expect "an analysis metric that does not exist" 2 "ro-query.yaml:[0-9]+:[0-9]+: query: 'canary-p99-diff' is not one of" -- \
  "$HR" validate "$T/ro-query.yaml"
sed -e "$CAT" -e '/^      version:/d' scenarios/canary.yaml >"$T/ro-nover.yaml"
expect "a rollout without a second version" 2 'ro-nover.yaml:[0-9]+:[0-9]+: rollout: a rollout needs a second version' -- \
  "$HR" validate "$T/ro-nover.yaml"
# ---- Kafka (docs/kafka.md) ----
K=$T/kafka.db
"$HR" run scenarios/kafka-saga.yaml --variant 2 --db "$K" --set duration=5m -q
"$HR" run scenarios/kafka-saga.yaml --variant 2 --db "$K" --set duration=5m -q
n=$(q "$K" "select count(*) from kafka_samples where run_id=1")
[ "$n" = 90 ] && ok "kafka_samples: 3 groups x 30 intervals" || bad "kafka_samples rows" "got $n"
n=$(q "$K" "select count(*) from kafka_partition_samples where run_id=1")
[ "$n" = 540 ] && ok "kafka_partition_samples: 18 partitions x 30 intervals" || bad "kafka_partition_samples rows" "got $n"
n=$(q "$K" "select (select sum(produced) from kafka_partition_samples where run_id=1 and consumer_group='order-update') = (select produced from kafka_summaries where run_id=1 and consumer_group='order-update')")
[ "$n" = 1 ] && ok "kafka: the partitions' events add up to the group's" || bad "kafka partitions add up" "got $n"
n=$(q "$K" "select count(*) || ' ' || (sum(started) = (select started from sagas where run_id=1)) from saga_samples where run_id=1")
[ "$n" = "30 1" ] && ok "saga_samples: 30 intervals adding up to the run's sagas" || bad "saga_samples" "got $n"
kcols="t_s, consumer_group, topic, members, lag, max_partition_lag, paused, produced, consumed, dlt, rebalances, latency_mean_ms, keda_metric"
a=$(q "$K" "select $kcols from kafka_samples where run_id=1 order by consumer_group, t_s" | md5sum)
b=$(q "$K" "select $kcols from kafka_samples where run_id=2 order by consumer_group, t_s" | md5sum)
[ "$a" = "$b" ] && ok "kafka: same seed, same rows" || bad "kafka: same seed, same rows"
n=$(q "$K" "select (select sum(produced) from kafka_summaries where run_id=1 and topic='payments-paid') + (select sum(produced) from kafka_summaries where run_id=1 and consumer_group='order-cancel') = (select started from sagas where run_id=1)")
[ "$n" = 1 ] && ok "every saga published one event" || bad "sagas and events" "got $n"
KB=$T/kafka-bad.yaml
sed 's/keda: {lagThreshold: 20}/keda: {lagThreshold: 0}/' scenarios/kafka-saga.yaml >"$KB"
expect "kafka: lagThreshold 0 refused" 2 "kafka-bad\.yaml:[0-9]+:[0-9]+: lagThreshold" -- "$HR" validate "$KB"
sed 's/{name: payments-paid, partitions: 12}/{name: payments-paid, partitions: 20000}/' scenarios/kafka-saga.yaml >"$KB"
expect "kafka: 20,000 partitions refused" 2 "kafka-bad\.yaml:[0-9]+:[0-9]+: partitions: 20000 is too many" -- "$HR" validate "$KB"
sed 's/topic: payments-failed$/topic: payments-refunded/; s/    - {name: payments-failed, partitions: 3}/    - {name: payments-failed, partitions: 3}\n    - {name: payments-refunded, partitions: 3}/' scenarios/kafka-saga.yaml >"$KB"
expect "kafka: a consumer of a topic nobody produces is a warning" 0 "kafka-bad\.yaml:[0-9]+:[0-9]+: warning: a consumer of topic 'payments-refunded'" -- "$HR" validate "$KB"

# ---- a rollout's extra cost beside a compare (docs/rollouts.md, "Extra node-hours and cost") ----
# canary.yaml's good canary and blue/green: the pods above spec.replicas (500m each on m5.xlarge, 3.92 cores,
# 0.192 USD an hour) with their node-hours and cost, each row as the stored rollouts rows say
"$HR" run scenarios/canary.yaml --db "$T/ro-cmp.db" >"$T/ro-cmp.out" 2>&1
for vn in good:1 blue-green:5; do
  v=${vn%:*}
  got=$(awk -v v="$v" '/extra node-h +extra USD/ {on = 1; next} on && $1 == v {print $(NF-3), $(NF-2), $(NF-1)}' "$T/ro-cmp.out")
  want=$(q "$T/ro-cmp.db" "select printf('%.2f %.3f %.4f', o.extra_pod_hours, o.extra_node_hours, o.extra_cost_usd)
    from rollouts o join runs r on r.id = o.run_id where r.variant = ${vn#*:}")
  check "canary.yaml's compare: $v's extra pod-hours, node-hours and cost are its rollouts row" "$got" "$want"
done
g=$(awk '/extra node-h +extra USD/ {on = 1; next} on && $1 == "good" {print $(NF-1)}' "$T/ro-cmp.out")
b=$(awk '/extra node-h +extra USD/ {on = 1; next} on && $1 == "blue-green" {print $(NF-1)}' "$T/ro-cmp.out")
awk -v g="$g" -v b="$b" 'BEGIN {exit !(g > 0 && b > g)}' && ok "blue/green's extra cost ($b USD) is above the canary's ($g USD)" ||
  bad "blue/green's extra cost above the canary's" "canary '$g', blue-green '$b'"

# ---- several clusters behind an ALB (docs/clusters.md) ----
C=$T/clusters.db
expect "run cluster-upgrade" 0 '^green +1\.32 +2 +[0-9.]+ +[0-9]+ +[0-9.]+ ' -- "$HR" run scenarios/cluster-upgrade.yaml --db "$C"
grep -Eq '^blue +1\.31 +2 ' "$T/out" && grep -Eq '^order@green ' "$T/out" &&
  ok "the run prints each cluster and each copy" || bad "clusters on the terminal" "$(cat "$T/out")"
n=$(q "$C" "select group_concat(t_s || ':' || cast(round(share * 100) as int), ' ') from target_groups where run_id=1 and target_group='green' and t_s in (1190, 1200, 1800, 2400, 4200)")
[ "$n" = "1190.0:0 1200.0:10 1800.0:50 2400.0:100 4200.0:50" ] && ok "green's share: 0, 10, 50, 100, then 50 %" || bad "green's share" "got $n"
n=$(q "$C" "select sum(requests) from target_groups where run_id=1 and target_group='blue' and t_s > 2530 and t_s <= 4200")
[ "$n" = 0 ] && ok "blue takes no request while deregistered" || bad "blue while deregistered" "got $n"
n=$(q "$C" "select round(abs((select sum(cost_usd) from clusters where run_id=r.id) - r.cost_usd), 9) from runs r where r.id=1")
[ "$n" = "0.0" ] && ok "the clusters' costs sum to the run's" || bad "the clusters' costs" "off by $n"
n=$(q "$C" "select group_concat(c.cluster || ':' || c.services, ' ') from clusters c where run_id=2")
[ "$n" = "blue:2 green:0" ] && ok "in-place: every service in blue, none in green" || bad "in-place variant" "got $n"
"$HR" run scenarios/cluster-upgrade.yaml --db "$C" -q --variant 1
a=$(q "$C" "select * from target_groups where run_id=1" | sed 's/^[0-9]*|//' | md5sum)
b=$(q "$C" "select * from target_groups where run_id=(select max(id) from runs)" | sed 's/^[0-9]*|//' | md5sum)
[ "$a" = "$b" ] && ok "cluster-upgrade: same seed, same target group rows" || bad "cluster-upgrade: same seed, same rows"
P=$T/pci-clusters.db
expect "run pci-clusters" 0 '^pci +1\.31 +2 ' -- "$HR" run scenarios/pci-clusters.yaml --db "$P"
"$HR" run scenarios/pci-zones.yaml --db "$T/pci-zones.db" -q
# The same pools as pci-zones, split into two clusters: each cluster's
# Karpenter batches its own pods (issue 20). pci-zones' one Karpenter
# launches pci and general NodeClaims in one batch at some instant; the two
# installations of pci-clusters never do (their windows are their own).
both="select count(*) from (select t_s from decisions where kind = 'node' and event = 'launched' group by t_s having count(distinct substr(pod, 1, 3)) > 1)"
a=$(q "$P" "$both")
b=$(q "$T/pci-zones.db" "$both")
[ "$a" = 0 ] && [ "$b" -gt 0 ] && ok "pci-clusters: each cluster's Karpenter batches alone ($b shared batches in pci-zones)" || bad "pci-clusters batches: $a shared, pci-zones $b"
n=$(q "$P" "select sum(requests) from target_groups")
m=$(q "$P" "select requests from summaries where service='payment'")
[ "$n" = "$m" ] && ok "every request to payment crosses the ALB ($n)" || bad "payment through the ALB" "$n of $m"
CAT="s|catalogs/|$(pwd)/scenarios/catalogs/|"
sed -e "$CAT" -e 's/{name: blue, cluster: blue, weight: 999,/{name: blue, cluster: blue, weight: 0,/' scenarios/cluster-upgrade.yaml >"$T/alb-zero.yaml"
expect "weights all 0" 2 'alb-zero.yaml:[0-9]+:[0-9]+: target_groups: the weights are all 0' -- "$HR" validate "$T/alb-zero.yaml"
sed -e "$CAT" -e 's/{name: green, cluster: green,/{name: green, cluster: purple,/' scenarios/cluster-upgrade.yaml >"$T/alb-nocl.yaml"
expect "a target group naming no cluster" 2 "alb-nocl.yaml:[0-9]+:[0-9]+: cluster: 'purple' names no cluster of clusters:" -- \
  "$HR" validate "$T/alb-nocl.yaml"
sed -e "$CAT" -e 's/^            terminationGracePeriodSeconds: 45$/            terminationGracePeriodSeconds: 45\n            nodeSelector: {topology.kubernetes.io\/zone: us-west-2a}/' \
  scenarios/cluster-upgrade.yaml >"$T/alb-zone.yaml"
(cat scenarios/kafka-partitions.yaml; echo 'clusters: [{name: a}]') | sed -e "$CAT" >"$T/alb-kafka.yaml"
expect "clusters: with kafka:" 2 "alb-kafka.yaml:[0-9]+:[0-9]+: clusters: and kafka: together are not modelled" -- "$HR" validate "$T/alb-kafka.yaml"
expect "a service pinned to a zone no pool serves" 2 "alb-zone.yaml:[0-9]+:[0-9]+: service 'payment@blue': no node group or NodePool of cluster 'blue' admits its pods" -- \
  "$HR" validate "$T/alb-zone.yaml"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
