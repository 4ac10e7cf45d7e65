#!/usr/bin/env bash
# Mass interruption (issue 7): 50 spot instances × 20 service tasks, all interrupted within
# 10 s, with the region's ECS throttling profile on. `steady region` and `steady terminator` run
# as the real processes, in real time, talking HTTP. Prints p50/p99/max time from the
# interruption warning to the instance serviced out, deadline misses, throttled calls, and the
# requests the load balancers failed (goal: all inside 120 s, p99 < 60 s, 0 failed).
#
#   bench/terminator_mass.sh [BUILD_DIR] [INSTANCES] [TASKS_PER_INSTANCE]   # default build/default 50 20
#   STEADY_BENCH_KEEP=1 keeps the processes' logs.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
instances="${2:-50}"
per_instance="${3:-20}"
steady="$build/steady"
[ -x "$steady" ] || { echo "bench/terminator_mass.sh: no $steady; build first" >&2; exit 1; }
tmp="$(mktemp -d /tmp/steady-terminator-mass.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${STEADY_BENCH_KEEP:-}" ]; then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export AWS_ACCESS_KEY_ID=steady AWS_SECRET_ACCESS_KEY=steady AWS_DEFAULT_REGION=us-east-1

services=10
tasks=$((instances * per_instance))
per_service=$((tasks / services))
port=$(free_port)
ep="http://127.0.0.1:$port"
"$steady" region --listen "127.0.0.1:$port" --boot-delay 1 --throttle-profile ecs \
  >"$tmp/region.out" 2>"$tmp/region.err" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "$ep/_steady/health" >/dev/null && break; sleep 0.1; done

# The spot group holds the services; the on-demand group (applied once they run) is the room
# their replacements move to.
{
  echo "queues: [{name: mass-events, attributes: {VisibilityTimeout: '60'}}, {name: mass-dlq}]"
  echo "rules:"
  echo "  - name: mass-spot"
  echo "    pattern: {source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning]}"
  echo "    targets: [{queue: mass-events}]"
  echo "clusters: [{name: mass}]"
  echo "task_definitions:"
  echo "  - family: svc"
  echo "    containers: [{name: app, image: svc:1, cpu: 128, memory: 256, ports: [{container_port: 8080, host_port: 0}]}]"
  echo "target_groups:"
  for s in $(seq 1 $services); do
    echo "  - {name: tg$s, port: 8080, deregistration_delay: 30s, health_check: {interval_seconds: 5, healthy_threshold: 2, unhealthy_threshold: 2}, traffic: {requests_per_second: 20, request_seconds: 0.2}}"
  done
  echo "auto_scaling_groups:"
  echo "  - {name: mass-spot, cluster: mass, instance_types: [m5.xlarge], min: $instances, max: $instances, desired: $instances,"
  echo "     mixed_instances_policy: {on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0},"
  echo "     availability_zones: [us-east-1a, us-east-1b, us-east-1c]}"
  echo "services:"
  for s in $(seq 1 $services); do
    echo "  - {name: svc$s, cluster: mass, task_definition: svc, desired_count: $per_service, target_group: tg$s, container_name: app, container_port: 8080,"
    echo "     deployment: {minimum_healthy_percent: 100, maximum_percent: 200}}"
  done
} >"$tmp/fleet.yaml"
"$steady" region apply --endpoint "$ep" "$tmp/fleet.yaml" >/dev/null

running() { "$steady" region status --endpoint "$ep" --json | python3 -c '
import json,sys; f=json.load(sys.stdin)
print(sum(s.get("running",0) for s in f["services"]), sum(g.get("healthy",0) for g in f["target_groups"]))'; }
echo "setting up: $instances spot instances, $tasks tasks in $services services..."
t0=$(date +%s)
while :; do
  read -r run healthy < <(running)
  [ "$run" -ge "$tasks" ] && [ "$healthy" -ge "$tasks" ] && break
  [ $(( $(date +%s) - t0 )) -lt 300 ] || { echo "fleet not up after 300 s ($run running, $healthy healthy)"; exit 1; }
  sleep 2
done
echo "  up in $(( $(date +%s) - t0 )) s"
od_count=$(( (tasks + 63) / 64 + 2 ))
cat >"$tmp/od.yaml" <<EOF
auto_scaling_groups:
  - {name: mass-od, cluster: mass, instance_types: [m5.2xlarge], min: $od_count, max: $od_count, desired: $od_count}
EOF
"$steady" region apply --endpoint "$ep" "$tmp/od.yaml" >/dev/null
sleep 5

mport=$(free_port)
"$steady" --log-format json --log-level "${STEADY_BENCH_LOG_LEVEL:-info}" terminator --endpoint-url "$ep" --cluster mass --queue mass-events \
  --dead-letter-queue mass-dlq --metrics-listen "127.0.0.1:$mport" \
  >"$tmp/terminator.out" 2>"$tmp/terminator.err" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && break; sleep 0.1; done

failed_before=$("$steady" region status --endpoint "$ep" --json | python3 -c '
import json,sys; print(sum(g.get("failed",0) for g in json.load(sys.stdin)["target_groups"]))')
ids=$("$steady" region status --endpoint "$ep" --json | python3 -c '
import json,sys
for i in json.load(sys.stdin)["instances"]:
  if i.get("lifecycle")=="spot" and i.get("state")=="running": print(i["id"])')
echo "interrupting $(echo "$ids" | wc -l) instances within 10 s..."
n=0
for id in $ids; do
  "$steady" region interrupt --endpoint "$ep" "$id" >/dev/null
  n=$((n + 1))
  [ $((n % 5)) -eq 0 ] && sleep 1
done

t0=$(date +%s)
while :; do
  done_n=$(grep -c '"service-out finished"\|terminator: service-out finished' "$tmp/terminator.err" || true)
  [ "$done_n" -ge "$instances" ] && break
  [ $(( $(date +%s) - t0 )) -lt 240 ] || { echo "only $done_n of $instances serviced out after 240 s"; break; }
  sleep 2
done
sleep 130  # until EC2 has taken every interrupted instance: in-flight requests are counted by then
"$steady" region status --endpoint "$ep" --json >"$tmp/status.json"
curl -s "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt"
python3 - "$tmp/terminator.err" "$tmp/status.json" "$tmp/metrics.txt" "$failed_before" <<'EOF'
import json, sys
errs, status, metrics, failed_before = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
secs, outcomes, missed = [], {}, 0
for line in open(errs):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "service-out finished" not in o.get("msg", o.get("message", "")):
        continue
    outcomes[o.get("outcome")] = outcomes.get(o.get("outcome"), 0) + 1
    secs.append(float(o.get("since_event_seconds", 0)))
    missed += o.get("deadline_missed") in (True, "true")
secs.sort()
pct = lambda p: secs[min(len(secs) - 1, int(round(p / 100 * (len(secs) - 1))))] if secs else float("nan")
throttled = 0.0
for line in open(metrics):
    if line.startswith("steady_aws_retries_total") and 'reason="throttled"' in line:
        throttled += float(line.split()[-1])
failed = sum(g.get("failed", 0) for g in json.load(open(status))["target_groups"]) - failed_before
served = sum(g.get("served", 0) for g in json.load(open(status))["target_groups"])
causes = {}
for g in json.load(open(status))["target_groups"]:
    for k, v in g.get("failed_by", {}).items():
        causes[k] = causes.get(k, 0) + v
print(f"serviced out: {len(secs)} instances, outcomes {outcomes}")
print(f"warning -> serviced out: p50 {pct(50):.1f} s, p99 {pct(99):.1f} s, max {secs[-1] if secs else float('nan'):.1f} s")
print(f"deadline misses: {missed}")
print(f"ECS/ELB calls throttled and retried: {throttled:.0f}")
print(f"requests: {served} served, {failed} failed during the interruption (by cause, whole run: {causes})")
EOF
