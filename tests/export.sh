#!/bin/sh
# Traces in and metrics out, end to end (issue 21): a scenario replays a
# Prometheus query_range answer; `headroom export` writes the run as
# OpenMetrics; promtool (Debian's prometheus package, tools/deps.sh) builds
# TSDB blocks from it and dumps them back, and the series read back equal
# the database: the Deployment's replicas at every sample, the requests
# answered and their latency count against the run's summary, each pod's
# CPU seconds against its pod_samples, timestamps from the trace's time.
# Then the bad input of traces and of the command, each with its place and
# exit status 2.
# usage: tests/export.sh HEADROOM_BINARY
set -u
HR=$(realpath "$1")
. tests/lib.sh

DB="$T/r.db"
"$HR" run scenarios/trace-replay.yaml --db "$DB" -q >"$T/run.out" 2>&1
check "run of trace-replay.yaml" "$?" 0
check "the run's t = 0 is the trace's first interval (2024-06-03T09:00:00Z)" "$(q "$DB" "select epoch_s from runs")" "1717405200.0"

check "samples.latency_le: 19 cumulative counts, the last every request answered in the interval" \
  "$(q "$DB" "select count(*) = sum(json_array_length(latency_le) = 19 and json_extract(latency_le, '\$[18]') = cast(round(served_rps * 15) as int) and json_extract(latency_le, '\$[5]') <= json_extract(latency_le, '\$[6]')) from samples")" "1"

expect "export --help" 0 "usage: headroom export DB" -- "$HR" export --help
expect "export without a DB" 2 "which database" -- "$HR" export
expect "export of a missing run" 2 "no run 9" -- "$HR" export "$DB" --run 9
expect "export with a bad --start" 2 "--start takes Unix seconds" -- "$HR" export "$DB" --start soon
expect "export to an unwritable file" 2 "cannot write" -- "$HR" export "$DB" --out "$T/no/such/dir/x.om"

"$HR" export "$DB" --out "$T/r.om" 2>"$T/export.err"
check "export" "$?" 0
check "the file ends with # EOF" "$(tail -n 1 "$T/r.om")" "# EOF"
check "counters are NAME_total under TYPE NAME counter" \
  "$(grep -c '^# TYPE istio_requests counter$' "$T/r.om") $(grep -c '^istio_requests_total{' "$T/r.om" | sed 's/^[1-9][0-9]*$/some/')" "1 some"

if ! command -v promtool >/dev/null 2>&1; then
  bad "promtool" "not installed: run tools/deps.sh (Debian package prometheus)"
else
  out=$(promtool tsdb create-blocks-from openmetrics "$T/r.om" "$T/tsdb" 2>&1)
  check "promtool builds blocks from the export" "$?" 0
  mkdir -p "$T/tsdb/wal" # promtool 2.42's dump wants one
  promtool tsdb dump "$T/tsdb" >"$T/dump" 2>"$T/dump.err"
  check "promtool dumps them" "$?" 0
  check "every sample came through" "$(wc -l <"$T/dump" | tr -d ' ')" "$(grep -vc '^#' "$T/r.om")"

  # The dump's line: {__name__="m", a="b", ...} VALUE TIMESTAMP_MS
  series() { grep -F "{__name__=\"$1\"" "$T/dump" | grep -F -- "$2" | awk '{print $(NF), $(NF-1)}' | sort -n; }
  got=$(series kube_deployment_spec_replicas 'deployment="checkout"')
  want=$(q "$DB" "select printf('%d %d', round((r.epoch_s + s.t_s) * 1000), s.desired) from samples s join runs r on r.id = s.run_id order by s.t_s")
  check "kube_deployment_spec_replicas at every sample = samples.desired" "$got" "$want"
  got=$(series kube_deployment_status_replicas_available 'deployment="checkout"')
  want=$(q "$DB" "select printf('%d %d', round((r.epoch_s + s.t_s) * 1000), s.ready) from samples s join runs r on r.id = s.run_id order by s.t_s")
  check "kube_deployment_status_replicas_available = samples.ready" "$got" "$want"

  last() { series "$1" "$2" | tail -n 1 | cut -d' ' -f2; }
  check "istio_requests_total{response_code=200} at the end = summaries.served" \
    "$(last istio_requests_total 'response_code="200"')" "$(q "$DB" "select served from summaries")"
  check "istio_request_duration_milliseconds_count at the end = summaries.served" \
    "$(last istio_request_duration_milliseconds_count 'destination_service_name="checkout"')" "$(q "$DB" "select served from summaries")"
  inf=$(last istio_request_duration_milliseconds_bucket 'le="+Inf"')
  le250=$(last istio_request_duration_milliseconds_bucket 'le="250"')
  check "the histogram's buckets are cumulative (le=250 <= +Inf)" "$([ "$le250" -le "$inf" ] && echo yes)" "yes"
  pod=$(q "$DB" "select pod from pod_samples order by pod limit 1")
  got=$(last container_cpu_usage_seconds_total "pod=\"$pod\"")
  want=$(q "$DB" "select sum(cpu_cores * 15) from pod_samples where pod = '$pod'")
  check "container_cpu_usage_seconds_total of $pod = its pod_samples cores x 15 s" \
    "$(awk -v a="$got" -v b="$want" 'BEGIN { print (a - b < 1e-6 && b - a < 1e-6) ? "equal" : a " vs " b }')" "equal"
  check "kube_pod_status_phase: one phase at 1 per pod and time" \
    "$(grep -F '{__name__="kube_pod_status_phase"' "$T/dump" | awk '{ k = $0; sub(/ phase="[A-Za-z]*",/, "", k); split(k, f, "} "); split(f[2], v, " "); s[f[1] " " v[2]] += v[1] } END { for (x in s) if (s[x] != 1) bad++; print bad + 0 }')" "0"
  # A Ready pod is Running: at every sample the pods at phase="Running"
  # are at least samples.ready, the pods up before the run included (they
  # have no 'started' row: they were Running at t = 0).
  grep -F '{__name__="kube_pod_status_phase"' "$T/dump" | grep -F 'phase="Running"' |
    awk '{ n[$(NF)] += $(NF-1) } END { for (t in n) print t, n[t] }' | sort -n >"$T/running"
  q "$DB" "select printf('%d %d', round((r.epoch_s + s.t_s) * 1000), s.ready) from samples s join runs r on r.id = s.run_id order by s.t_s" >"$T/ready"
  check "kube_pod_status_phase: Running pods >= samples.ready at every sample" \
    "$(join "$T/ready" "$T/running" | awk '$3 < $2 { bad++ } END { print (NR > 0 ? bad + 0 : "no rows") }')" "0"

  # histogram_quantile works: Prometheus itself (on 127.0.0.1, over the
  # blocks) against the same quantile computed by hand from the database's
  # buckets, linear within the bucket as promql/quantile.go bucketQuantile.
  if command -v prometheus >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
    printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$T/prom.yml"
    port=$((20000 + $$ % 20000))
    prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" --storage.tsdb.retention.time=100y \
      --web.listen-address=127.0.0.1:$port >"$T/prom.log" 2>&1 &
    prom=$!
    for i in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break; sleep 0.5; done # up to 2 min on a busy machine
    got=$(curl -sG "http://127.0.0.1:$port/api/v1/query" \
      --data-urlencode 'query=histogram_quantile(0.99, istio_request_duration_milliseconds_bucket)' \
      --data-urlencode time=1717406100 | sed -n 's/.*"value":\[1717406100,"\([0-9.e+-]*\)"\].*/\1/p')
    kill "$prom" 2>/dev/null; wait "$prom" 2>/dev/null
    want=$(q "$DB" "select key, sum(value) from samples, json_each(latency_le) where t_s <= 900 group by key order by key" |
      awk -F'|' 'BEGIN { split("0.5 1 5 10 25 50 100 250 500 1000 2500 5000 10000 30000 60000 300000 600000 1800000 3600000", le, " ") }
        { c[$1 + 1] = $2; n = $1 + 1 }
        END { rank = 0.99 * c[n]; for (j = 1; j <= n; j++) if (c[j] >= rank) break
              lo = j > 1 ? le[j - 1] : 0; clo = j > 1 ? c[j - 1] : 0
              printf "%.6f", lo + (le[j] - lo) * (rank - clo) / (c[j] - clo) }')
    check "histogram_quantile(0.99) in Prometheus at 09:15 = the database's buckets by hand ($want ms)" \
      "$(awk -v g="$got" 'BEGIN { printf "%.6f", g }')" "$want"
  else
    bad "prometheus" "not installed: run tools/deps.sh (Debian package prometheus)"
  fi
fi

# A plan's runs keep no samples: nothing to export, said so.
mkdir -p "$T/p/traces" && cp scenarios/traces/checkout-rate.json "$T/p/traces/"
sed 's/^duration: 30m/duration: 2m/' scenarios/trace-replay.yaml >"$T/p/tp.yaml"
printf 'sweep:\n  replications: 2\n  axes: {services.checkout.replicas: [2, 3]}\n' >>"$T/p/tp.yaml"
"$HR" plan "$T/p/tp.yaml" --db "$T/p.db" -q >/dev/null 2>&1
expect "export of a plan's run" 2 "run 4 has no samples \(a run of a plan keeps none\)" -- "$HR" export "$T/p.db" --latest
check "a plan's runs keep the trace's time too" "$(q "$T/p.db" "select count(*) from runs where epoch_s = 1717405200")" "4"

"$HR" export "$DB" --namespace shop --out "$T/ns.om" 2>/dev/null
check "--namespace labels every series" "$(grep -v '^#' "$T/ns.om" | grep -vc 'namespace="shop"')" "0"

# --start moves t = 0.
"$HR" export "$DB" --start 2024-01-01T00:00:00Z --out "$T/s.om" 2>/dev/null
check "--start sets t = 0" "$(grep -m 1 '^kube_deployment_spec_replicas' "$T/s.om" | awk '{print $NF}')" "1704067215.000"

# A run without a trace but with the scenario's start: is exported at that
# time (its cron and budget schedules' clock), not at when it was run.
printf 'name: st\nseed: 1\nduration: 1m\nsample_interval: 15s\nstart: 2026-03-03T08:30:00Z\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 1ms\n    traffic: {rate: 5rps}\n' >"$T/st.yaml"
"$HR" run "$T/st.yaml" --db "$T/st.db" -q >/dev/null 2>&1
"$HR" export "$T/st.db" --out "$T/st.om" 2>/dev/null
check "a run's start: is t = 0 of its export (2026-03-03T08:30:00Z + 15 s)" \
  "$(grep -m 1 '^kube_deployment_spec_replicas' "$T/st.om" | awk '{print $NF}')" "1772526615.000"

# Several clusters: a copy stored as order@green is deployment="order" with
# cluster="green" (Istio: destination_cluster), as Kubernetes names it; every
# series of such a run names its cluster; the copies stay apart.
"$HR" run scenarios/cluster-upgrade.yaml --db "$T/cu.db" -q >/dev/null 2>&1
"$HR" export "$T/cu.db" --run 1 --out "$T/cu.om" 2>/dev/null
check "clusters: no NAME@CLUSTER in the export's labels" "$(grep -v '^#' "$T/cu.om" | grep -c '@')" "0"
check "clusters: every series names its cluster" "$(grep -v '^#' "$T/cu.om" | grep -vc 'cluster="\(blue\|green\)"')" "0"
check "clusters: order in green's replicas = samples.desired of order@green" \
  "$(grep '^kube_deployment_spec_replicas{namespace="default",cluster="green",deployment="order"}' "$T/cu.om" | awk '{print $2}' | tr '\n' ' ')" \
  "$(q "$T/cu.db" "select desired from samples where run_id = 1 and service = 'order@green' order by t_s" | tr '\n' ' ')"
if command -v promtool >/dev/null 2>&1; then
  promtool tsdb create-blocks-from openmetrics "$T/cu.om" "$T/cu-tsdb" >/dev/null 2>&1
  check "clusters: promtool builds blocks (no two copies in one series)" "$?" "0"
fi

# The same traffic exported from Grafana (+02:00, a scrape missing, held)
# replays to the same run, sample for sample.
"$HR" run scenarios/trace-replay.yaml --db "$T/g.db" -q \
  --set 'services.checkout.traffic.pattern={type: trace, file: traces/checkout-grafana.csv, gaps: hold}' >"$T/g.out" 2>&1
check "the Grafana export's run says what it filled" "$(grep -c 'warning: 1 point filled in gaps (gaps: hold)' "$T/g.out")" "1"
check "the Grafana export replays to the same samples as the Prometheus JSON" \
  "$(q "$T/g.db" "select epoch_s, (select group_concat(offered_rps || '/' || p99_ms) from samples) from runs")" \
  "$(q "$DB" "select epoch_s, (select group_concat(offered_rps || '/' || p99_ms) from samples) from runs")"

# Charts of a run that replayed a trace are on the trace's clock (UTC).
if "$HR" plot "$DB" --scripts --out "$T/charts" >/dev/null 2>&1; then
  check "the timeline's time axis is the trace's clock" \
    "$(grep -c "set xtics (\"09:00\" 0, \"09:05\" 5, \"09:10\" 10" "$T/charts/timeline-checkout.gp") $(grep -c "the run starts 2024-06-03 09:00:00" "$T/charts/timeline-checkout.gp")" "1 1"
else
  bad "plot of the traced run" "$("$HR" plot "$DB" --out "$T/charts" 2>&1 | head -c 300)"
fi

"$HR" report "$DB" --out "$T/r.md" >/dev/null 2>&1
check "the report says how the trace was read" "$(grep -c 'a trace of 30 intervals, the rate constant over each, times 1, from 2024-06-03T09:00:00Z (2 series summed, 0 points filled in gaps)' "$T/r.md")" "1"

# Bad traces in a scenario: file:line:col and exit 2.
mk() { # mk NAME TRACE_KEYS: a scenario replaying traces/t.csv
  printf 'name: x\nduration: 10m\nservices:\n  a:\n    replicas: 1\n    resources: {requests: {cpu: 500m}}\n    cpu_per_request: 1ms\n    traffic:\n      pattern: {type: trace, file: t.csv%s}\n' "$2" >"$T/$1.yaml"
}
printf 'Time,Value\n2024-01-15 10:00:00,1\n2024-01-15 10:01:00,2\n2024-01-15 10:03:00,3\n' >"$T/t.csv"
mk gap ""
expect "a gap under gaps: error" 2 "t\.csv:4:21: 1 row missing before this one.*gaps: hold, zero or interpolate" -- "$HR" validate "$T/gap.yaml"
mk hold ", gaps: hold"
expect "gaps: hold fills it and says so on every run" 0 "hold\.yaml:9:[0-9]+: warning: 1 point filled in gaps \(gaps: hold\)" -- "$HR" validate "$T/hold.yaml"
mk win ", gaps: hold, from: '2024-01-16 00:00:00'"
expect "a window outside the trace" 2 "win\.yaml:9:[0-9]+: from: the window .* misses the trace" -- "$HR" validate "$T/win.yaml"
printf 'Time,Value\n1700000060,1\n1700000000,2\n' >"$T/t.csv"
mk order ""
expect "non-increasing times" 2 "t\.csv:3:1: time \"1700000000\" is not after the time on line 2" -- "$HR" validate "$T/order.yaml"
printf '{"status": "success",\n "data": {"resultType": "vector", "result": []}}\n' >"$T/t.csv"
mk json ""
expect "a JSON file that is not a query_range result" 2 "t\.csv:2:[0-9]+: resultType \"vector\"" -- "$HR" validate "$T/json.yaml"

echo "export: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
