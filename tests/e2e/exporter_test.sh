#!/usr/bin/env bash
# `steady exporter` on this machine's real cgroups, scraped by a real Prometheus.
#
# Creates cgroups steady-e2e-<pid>/<container> under the v1 controllers, starts processes in
# them as the containers of two fake ECS tasks (plus an envoy sidecar that must not show up),
# lists them in a containers file, starts the exporter and Debian's prometheus on loopback
# (scrape interval 1s), and asserts through Prometheus's query API that the series exist with
# the ECS labels and plausible values. `promtool check metrics` checks the exposition.
# Needs root (cgroupfs); prints SKIP and passes otherwise.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: exporter e2e needs root to create cgroups"
  exit 0
fi
STEADY_BIN="${STEADY_BIN:-$(dirname "$0")/../../build/default/steady}"
CG=/sys/fs/cgroup
CONTROLLERS="cpu cpuacct memory pids blkio"
for c in $CONTROLLERS; do
  if [ ! -d "$CG/$c" ]; then
    echo "SKIP: no cgroup v1 $c controller at $CG/$c"
    exit 0
  fi
done

WORK="$(mktemp -d /tmp/steady-exporter-e2e.XXXXXX)"
GROUP="steady-e2e-$$"
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for c in $CONTROLLERS; do
    for d in "$CG/$c/$GROUP"/*/; do [ -d "$d" ] && rmdir "$d"; done
    [ -d "$CG/$c/$GROUP" ] && rmdir "$CG/$c/$GROUP"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  for f in exporter.err prometheus.err; do [ -f "$WORK/$f" ] && { echo "--- $f"; tail -20 "$WORK/$f"; }; done
  exit 1
}
pass() { echo "ok: $*"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts `$2...` in cgroup $GROUP/$1 (the shell moves itself in, then execs).
start_in_cgroup() {
  local name="$1"
  shift
  for c in $CONTROLLERS; do mkdir -p "$CG/$c/$GROUP/$name"; done
  bash -c 'for c in '"$CONTROLLERS"'; do echo $$ > '"$CG"'/$c/'"$GROUP/$name"'/cgroup.procs; done; exec "$@"' \
    _ "$@" &
  PIDS+=($!)
}

# A busy container (CPU and 32 MiB), an idle one, another task's, and a sidecar.
BUSY='import time
x = bytearray(32 << 20)
for i in range(0, len(x), 4096): x[i] = 1
end = time.time() + 2
while time.time() < end: pass
time.sleep(600)'
start_in_cgroup t1-app python3 -c "$BUSY"
start_in_cgroup t1-worker sleep 600
start_in_cgroup t2-app python3 -c "$BUSY"
start_in_cgroup t1-envoy sleep 600
APP1=${PIDS[0]} WORKER1=${PIDS[1]} APP2=${PIDS[2]} ENVOY1=${PIDS[3]}

container() {  # id pid task container-name
  cat <<YAML
  - id: $1
    name: ecs-e2e-web-$4-$1
    image: example/$4:1
    pid: $2
    labels:
      com.amazonaws.ecs.cluster: e2e
      com.amazonaws.ecs.task-arn: arn:aws:ecs:us-east-1:000000000000:task/e2e/$3
      com.amazonaws.ecs.task-definition-family: e2e-web
      com.amazonaws.ecs.task-definition-version: "7"
      com.amazonaws.ecs.container-name: $4
YAML
}
{
  echo "containers:"
  container c1 "$APP1" task1 app
  container c2 "$WORKER1" task1 worker
  container c3 "$APP2" task2 app
  container c4 "$ENVOY1" task1 envoy
} >"$WORK/containers.yaml"

PORT=$(free_port)
"$STEADY_BIN" exporter --listen "127.0.0.1:$PORT" --containers-file "$WORK/containers.yaml" \
  --task-aggregates --label-name >"$WORK/exporter.out" 2>"$WORK/exporter.err" &
EXPORTER=$!
PIDS+=($EXPORTER)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/metrics" -o "$WORK/metrics.txt" && break
  kill -0 "$EXPORTER" 2>/dev/null || fail "steady exporter exited"
  sleep 0.1
done
[ -s "$WORK/metrics.txt" ] || fail "no /metrics answer"
pass "exporter answers on 127.0.0.1:$PORT"

promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1 ||
  { cat "$WORK/promtool.out"; fail "promtool check metrics"; }
pass "promtool check metrics"
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' \
  "http://127.0.0.1:$PORT/metrics" -o "$WORK/metrics.om"
[ "$(tail -1 "$WORK/metrics.om")" = "# EOF" ] || fail "OpenMetrics answer does not end with # EOF"
grep -q '^# TYPE container_cpu_usage_seconds counter$' "$WORK/metrics.om" || fail "OpenMetrics counter family"
pass "OpenMetrics by Accept header"
grep -q 'ecs_container="envoy"' "$WORK/metrics.txt" && fail "the envoy sidecar is exported"
pass "sidecar excluded"

PPORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: steady-exporter
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
  --web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.out" 2>"$WORK/prometheus.err" &
PROM=$!
PIDS+=($PROM)

query() {  # PromQL → JSON on stdout
  curl -sf --get "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"
}
# Wait until Prometheus has scraped both tasks' containers at least twice.
ok=""
for _ in $(seq 1 150); do
  if out=$(query 'count(container_cpu_usage_seconds_total{ecs_task_family="e2e-web"}) >= 3 and count(count_over_time(up{job="steady-exporter"}[1m]) >= 2)' 2>/dev/null) &&
     echo "$out" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'; then
    ok=1
    break
  fi
  kill -0 "$PROM" 2>/dev/null || fail "prometheus exited"
  sleep 0.2
done
[ -n "$ok" ] || fail "Prometheus did not collect the exporter's series"
pass "Prometheus scrapes the exporter"

check() {  # description, PromQL, python expression over `r` (the result list)
  local out
  out=$(query "$2") || fail "$1: query failed"
  OUT="$out" python3 -c "
import json, os, sys
r = json.loads(os.environ['OUT'])['data']['result']
v = lambda s: float(s['value'][1])
ok = $3
if not ok:
    print(json.dumps(r, indent=1)[:3000])
sys.exit(0 if ok else 1)" || fail "$1"
  pass "$1"
}

check "up is 1" 'up{job="steady-exporter"}' 'len(r) == 1 and v(r[0]) == 1'
check "cpu series per container with the ECS label set" \
  'container_cpu_usage_seconds_total{ecs_cluster="e2e"}' \
  "sorted((s['metric']['ecs_task_id'], s['metric']['ecs_container']) for s in r) == [('task1','app'),('task1','worker'),('task2','app')] and all(s['metric']['ecs_task_family'] == 'e2e-web' and s['metric']['ecs_task_revision'] == '7' and s['metric']['name'].startswith('ecs-e2e-web-') for s in r)"
check "busy containers used CPU" \
  'container_cpu_usage_seconds_total{ecs_container="app"}' 'len(r) == 2 and all(v(s) > 0.2 for s in r)'
check "user + system CPU is there" \
  'container_cpu_user_seconds_total{ecs_container="app"} + container_cpu_system_seconds_total{ecs_container="app"}' \
  'len(r) == 2 and all(v(s) > 0 for s in r)'
check "working set > 0 and at least the 32 MiB touched" \
  'container_memory_working_set_bytes{ecs_container="app"}' 'len(r) == 2 and all(v(s) >= 30 * 2**20 for s in r)'
check "working set <= usage" \
  'container_memory_working_set_bytes{ecs_cluster="e2e"} <= on(ecs_task_id, ecs_container) container_memory_usage_bytes' \
  'len(r) == 3'
check "rss reported" 'container_memory_rss{ecs_container="app"}' 'len(r) == 2 and all(v(s) > 0 for s in r)'
check "threads from pids.current" 'container_threads{ecs_cluster="e2e"}' 'len(r) == 3 and all(v(s) >= 1 for s in r)'
check "network counters per interface, no lo" \
  'container_network_receive_bytes_total{ecs_cluster="e2e"}' \
  "len(r) >= 3 and not any(s['metric']['interface'] == 'lo' for s in r)"
check "task aggregate sums its containers" \
  'ecs_task_memory_usage_bytes{ecs_task_id="task1"} - on(ecs_task_id) sum by (ecs_task_id) (container_memory_usage_bytes{ecs_task_id="task1"})' \
  'len(r) == 1 and v(r[0]) == 0'
check "no sidecar series" 'count(container_memory_usage_bytes{ecs_container="envoy"}) or vector(0)' 'v(r[0]) == 0'
check "collectors all succeed" 'min(steady_exporter_collector_success)' 'v(r[0]) == 1'
check "exported and excluded containers" 'steady_exporter_containers' \
  "{s['metric']['state']: v(s) for s in r} == {'exported': 3, 'excluded': 1, 'unresolved': 0}"

# A container that exits: its series go, the scrape still answers, the error is counted.
kill -KILL "$WORKER1"
wait "$WORKER1" 2>/dev/null || true
rmdir "$CG"/{cpu,cpuacct,memory,pids,blkio}/"$GROUP/t1-worker"
curl -sf "http://127.0.0.1:$PORT/metrics" -o "$WORK/after.txt" || fail "scrape after a container died"
grep -q 'ecs_container="worker"' "$WORK/after.txt" && fail "the dead container still has series"
grep -q '^steady_exporter_collector_success{collector="memory"} 0$' "$WORK/after.txt" ||
  fail "the failed read is not reported"
grep -q 'container_cpu_usage_seconds_total{.*ecs_container="app"' "$WORK/after.txt" ||
  fail "the living containers are gone"
pass "a vanished container: scrape answers, error counted"

kill -TERM "$EXPORTER"
rc=0
wait "$EXPORTER" || rc=$?
[ "$rc" = 0 ] || fail "steady exporter exited $rc on SIGTERM"
pass "SIGTERM: exit 0"
echo "PASS"
