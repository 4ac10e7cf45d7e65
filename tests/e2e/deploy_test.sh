#!/usr/bin/env bash
# `steady deploy|status|rollback|remove|oneshot` as an operator runs them, against `steady region`
# over HTTP in real time: a first deploy, an unchanged one, a dry run, a rollout that cannot
# finish and is rolled back, rollback and remove; oneshots that exit 0 and 3 (followed through
# ECS Task State Change events, and by polling), --no-wait, a SIGTERM that stops the task, and
# a cluster without room that gets the autoscaler's capacity message.
source "$(dirname "$0")/lib/region.sh"

region_start --boot-delay 1
cat >"$WORK/setup.yaml" <<'EOF'
queues:
  - name: task-events
  - name: capacity
topics:
  - name: capacity
    subscriptions: [{queue: capacity, raw: true}]
rules:
  - name: task-state
    pattern: {source: [aws.ecs], detail-type: [ECS Task State Change]}
    targets: [{queue: task-events}]
clusters: [{name: apps}, {name: empty}]
target_groups:
  - {name: web, port: 8080, deregistration_delay: 2s,
     health_check: {interval_seconds: 5, healthy_threshold: 2, unhealthy_threshold: 2}}
auto_scaling_groups:
  - {name: apps, cluster: apps, instance_types: [m5.large], min: 2, max: 2, desired: 2}
EOF
"$STEADY_BIN" region apply --endpoint "$ENDPOINT" "$WORK/setup.yaml" >/dev/null || { echo "FAIL: setup"; exit 1; }
for _ in $(seq 1 100); do  # until both instances joined the cluster
  n=$("$AWS1" --endpoint-url "$ENDPOINT" ecs list-container-instances --cluster apps \
    --query 'length(containerInstanceArns)' 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.2
done

APPS="$WORK/apps"
mkdir -p "$APPS"
web() {  # web IMAGE MEMORY
  cat >"$APPS/web.yaml" <<EOF
scheduler: {cluster: apps, desired_count: 2, target_group: web, container_port: 8080}
app: {image: "$1", cpu: 256, memory: $2, port_mappings: [{container_port: 8080}]}
EOF
}
cat >"$APPS/job.jsonnet" <<'EOF'
{
  scheduler: { type: 'oneshot', cluster: std.extVar('cluster'), group_name: 'batch' },
  app: { name: 'job', image: 'job:1', cpu: 128, memory: 256,
         env: { STEADY_RUN_SECONDS: '2', STEADY_EXIT_CODE: '0' } },
}
EOF
S=("$STEADY_BIN")
D=(--definitions "$APPS" --endpoint-url "$ENDPOINT" --forward-address 127.0.0.1:24224)
J=(--definitions "$APPS" --endpoint-url "$ENDPOINT" -V cluster=apps --no-logs)

# result NAME CMD...: runs CMD, keeps its stdout, stderr and exit status in OUT as JSON.
result() {
  local rc=0
  "$@" >"$WORK/cmd.out" 2>"$WORK/cmd.err" || rc=$?
  OUT=$(python3 -c 'import json,sys; print(json.dumps({"rc": int(sys.argv[1]), "out": open(sys.argv[2]).read(), "err": open(sys.argv[3]).read()}))' \
    "$rc" "$WORK/cmd.out" "$WORK/cmd.err")
}

# Deploy, then again unchanged, then a dry run of a new image.
web web:1 512
result timeout 300 "${S[@]}" deploy web "${D[@]}"
check "a first deploy registers web:1, creates the service and waits for the rollout" \
  "o['rc'] == 0 and 'web: deployed web:1' in o['out'] and 'rollout of web:1 completed' in o['out']"
result timeout 60 "${S[@]}" status web "${D[@]}"
check "status shows the tasks, where they run and their target health" \
  "o['rc'] == 0 and o['out'].count(' web:1 RUNNING on i-') == 2 and o['out'].count('target healthy') == 2"
result timeout 60 "${S[@]}" deploy web "${D[@]}"
check "the same definition again changes nothing" "o['rc'] == 0 and 'web: up-to-date web:1' in o['out']"
web web:2 512
result timeout 60 "${S[@]}" deploy web --dry-run "${D[@]}"
check "a dry run prints the diff and the new revision, and changes nothing" \
  "o['rc'] == 0 and 'web:2 (a new revision)' in o['out'] and '+      \"image\": \"web:2\"' in o['out']"
result timeout 60 "${S[@]}" status web "${D[@]}"
check "...nothing" "o['out'].count(' web:1 RUNNING') == 2 and 'web:2' not in o['out']"

web web:2 512
result timeout 300 "${S[@]}" deploy web "${D[@]}"
check "a new image registers web:2 and rolls it out" \
  "o['rc'] == 0 and 'web: deployed web:2' in o['out'] and 'web:1 -> web:2' in o['out']"
result timeout 300 "${S[@]}" rollback web "${D[@]}"
check "rollback goes to the previous revision" \
  "o['rc'] == 0 and 'web: deployed web:1' in o['out'] and 'rollback to web:1 completed' in o['out']"

# A revision that fits nowhere never starts: the timeout rolls the service back to web:1.
web web:3 30000
result timeout 300 "${S[@]}" deploy web --timeout 15s "${D[@]}"
check "a rollout that cannot finish in time is rolled back" \
  "o['rc'] == 1 and 'web: rolled-back web:3' in o['out'] and 'not complete after 15 s' in o['out'] and 'rolled back to web:1' in o['out']"

# Oneshots: followed through the events queue (no DescribeTasks), and by polling.
B=(--events-queue task-events --board "$WORK/board")
result timeout 120 "${S[@]}" oneshot job "${J[@]}" "${B[@]}" -- report --since 1h
check "a oneshot that exits 0 exits 0, followed through the events queue" \
  "o['rc'] == 0 and 'exit 0' in o['err'] and 'DescribeTasks 0)' in o['err']"
result timeout 120 "${S[@]}" oneshot job "${J[@]}" "${B[@]}" -e STEADY_EXIT_CODE=3 -- report
check "a oneshot exits with the app container's exit code" "o['rc'] == 3 and 'exit 3' in o['err']"
result timeout 120 "${S[@]}" oneshot job "${J[@]}" --poll -- report
check "the polling fallback follows the task too" \
  "o['rc'] == 0 and 'exit 0' in o['err'] and 'DescribeTasks 0)' not in o['err']"
# Log streaming: the task's lines as the router files them (a task-logs object written here
# while the task runs) are printed by oneshot.
printf 'oneshot: {logs_linger: 8s}\n' >"$WORK/steady.yaml"
L=(--definitions "$APPS" --endpoint-url "$ENDPOINT" -V cluster=apps --log-store "$WORK/logs")
"${S[@]}" --config "$WORK/steady.yaml" oneshot job "${L[@]}" "${B[@]}" -e STEADY_RUN_SECONDS=12 -- report \
  >"$WORK/logs.out" 2>"$WORK/logs.err" &
LOG_PID=$!
for _ in $(seq 1 600); do grep -q " RUNNING" "$WORK/logs.err" && break; sleep 0.1; done
TASK_ID=$(sed -n 's/^steady oneshot: \([0-9a-f]*\) RUNNING$/\1/p' "$WORK/logs.err" | head -1)
python3 - "$WORK/logs" "$TASK_ID" <<'PY'
import datetime, gzip, json, os, sys
root, task = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone.utc)
d = os.path.join(root, "task-logs", "job", "job", task)
os.makedirs(d, exist_ok=True)
line = {"time": now.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"), "log": "hello from the job",
        "source": "stdout", "container_id": task[:12], "task_id": task,
        "task_arn": "arn:aws:ecs:us-east-1:000000000000:task/apps/" + task, "family": "job",
        "container": "job", "cluster": "apps"}
with gzip.open(os.path.join(d, now.strftime("%Y%m%d%H%M") + "_0_e2e.gz"), "wt") as f:
    f.write(json.dumps(line, separators=(",", ":")) + "\n")
PY
rc=0
wait "$LOG_PID" || rc=$?
OUT=$(python3 -c 'import json,sys; print(json.dumps({"rc": int(sys.argv[1]), "task": sys.argv[2], "out": open(sys.argv[3]).read()}))' "$rc" "$TASK_ID" "$WORK/logs.out")
check "oneshot streams the task's log lines while it runs" \
  "o['rc'] == 0 and len(o['task']) == 32 and 'hello from the job' in o['out']"

result timeout 60 "${S[@]}" oneshot job "${J[@]}" --no-wait -- report
check "--no-wait prints the task as JSON" \
  "o['rc'] == 0 and json.loads(o['out'])['taskArn'].startswith('arn:aws:ecs:') and json.loads(o['out'])['cluster'] == 'apps'"

# SIGTERM while the task runs: oneshot stops it, follows it to STOPPED, exits with its code.
"${S[@]}" oneshot job "${J[@]}" "${B[@]}" -e STEADY_RUN_SECONDS=600 -- sleep-long \
  >"$WORK/sig.out" 2>"$WORK/sig.err" &
SIG_PID=$!
for _ in $(seq 1 600); do grep -q " RUNNING" "$WORK/sig.err" && break; sleep 0.1; done
kill -TERM "$SIG_PID"
rc=0
wait "$SIG_PID" || rc=$?
OUT=$(python3 -c 'import json,sys; print(json.dumps({"rc": int(sys.argv[1]), "err": open(sys.argv[2]).read()}))' "$rc" "$WORK/sig.err")
check "SIGTERM stops the task and exits with its exit code" \
  "o['rc'] == 143 and 'stopping the task' in o['err'] and 'exit 143' in o['err']"

# No room: the autoscaler's message, with the same task id on every try, then exit 125.
result timeout 120 "${S[@]}" oneshot job --definitions "$APPS" --endpoint-url "$ENDPOINT" -V cluster=empty \
  --no-logs --capacity-topic capacity --capacity-timeout 3s -- report
check "without room oneshot gives up after --capacity-timeout with 125" "o['rc'] == 125"
run "$AWS1" sqs receive-message --queue-url "$ENDPOINT/000000000000/capacity" --max-number-of-messages 10
check "the no-capacity message reached the autoscaler's queue" \
  "(lambda m: m['cluster'] == 'empty' and m['group_name'] == 'batch' and m['cpu'] == 128 and m['memory'] == 256 and len(m['hako_task_id']) == 32)(json.loads(o['Messages'][0]['Body']))"

result timeout 300 "${S[@]}" remove web "${D[@]}"
check "remove deletes the service and waits until it is INACTIVE" \
  "o['rc'] == 0 and 'deleted service web' in o['out'] and 'web is INACTIVE' in o['out']"
result timeout 60 "${S[@]}" status web "${D[@]}"
check "...and status says there is none" "o['rc'] == 1 and 'no service web' in o['err']"
finish
