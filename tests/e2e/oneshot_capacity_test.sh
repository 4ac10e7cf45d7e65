#!/usr/bin/env bash
# Issue 10 end to end, every piece a real process over HTTP on loopback in real time: `steady
# oneshot` finds a cluster with no instances, publishes the no-capacity message to the SNS topic
# (delivered raw to the autoscaler's queue) and retries RunTask every capacity_retry; `steady
# autoscaler` reads the message and scales the cluster's Auto Scaling group out from 0; the new
# instance joins the cluster, a retry places the task, it runs to its end and oneshot exits 0.
source "$(dirname "$0")/lib/region.sh"

region_start --boot-delay 1
cat >"$WORK/setup.yaml" <<'EOF'
queues:
  - name: capacity-dlq
  - name: capacity
  - name: capacity-tap
topics:
  - name: capacity
    subscriptions: [{queue: capacity, raw: true}, {queue: capacity-tap, raw: true}]
clusters: [{name: batch}]
auto_scaling_groups:
  - {name: batch-asg, cluster: batch, instance_types: [m5.large], min: 0, max: 3, desired: 0}
EOF
"$STEADY_BIN" region apply --endpoint "$ENDPOINT" "$WORK/setup.yaml" >/dev/null ||
  { echo "FAIL: setup"; cat "$WORK/region.err"; exit 1; }

desired() {
  "$AWS1" --endpoint-url "$ENDPOINT" --output json autoscaling describe-auto-scaling-groups \
    --auto-scaling-group-names batch-asg \
    --query 'AutoScalingGroups[0].{d: DesiredCapacity, n: length(Instances)}'
}
OUT=$(desired)
check "the group starts empty" "o['d'] == 0 and o['n'] == 0"
run "$AWS1" ecs list-container-instances --cluster batch
check "...and so does the cluster" "o['containerInstanceArns'] == []"

MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/autoscaler.yaml" <<EOF
autoscaler:
  interval: 1s
  capacity_queue: capacity
  dead_letter_queue: capacity-dlq
  metrics_listen: 127.0.0.1:$MPORT
  clusters:
    - name: batch
      groups:
        - {auto_scaling_group: batch-asg, min: 0, max: 3}
EOF
"$STEADY_BIN" --config "$WORK/autoscaler.yaml" --log-format json autoscaler --endpoint-url "$ENDPOINT" \
  >"$WORK/as.out" 2>"$WORK/as.err" &
AS_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null && break; sleep 0.1; done
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" 'index($1, m) == 1 {s += $2} END {print s + 0}'; }
OUT="{\"up\": $(kill -0 "$AS_PID" 2>/dev/null && echo true || echo false), \"out\": $(metric 'steady_autoscaler_decisions_total{cluster="batch",direction="out"}')}"
check "the autoscaler is up and has not scaled out (nothing asked for it)" "o['up'] and o['out'] == 0"

APPS="$WORK/apps"
mkdir -p "$APPS"
cat >"$APPS/job.yaml" <<'EOF'
scheduler: {type: oneshot, cluster: batch, group_name: batch-asg}
app:
  name: job
  image: job:1
  cpu: 256
  memory: 512
  env: {STEADY_RUN_SECONDS: '3', STEADY_EXIT_CODE: '0'}
EOF
printf 'oneshot:\n  capacity_retry: 2s\n  poll_interval: 1s\n' >"$WORK/oneshot.yaml"

start=$(date +%s)
rc=0
timeout 170 "$STEADY_BIN" --config "$WORK/oneshot.yaml" oneshot job --definitions "$APPS" \
  --endpoint-url "$ENDPOINT" --no-logs --poll --capacity-topic capacity --capacity-timeout 150s \
  -- run >"$WORK/oneshot.out" 2>"$WORK/oneshot.err" || rc=$?
took=$(($(date +%s) - start))
echo "oneshot took ${took}s (rc $rc)"
OUT=$(python3 -c 'import json,sys; print(json.dumps({"rc": int(sys.argv[1]), "err": open(sys.argv[2]).read()}))' \
  "$rc" "$WORK/oneshot.err")
check "oneshot exits 0 once the task ran" "o['rc'] == 0"
check "it had no room at first and retried" "'no capacity yet' in o['err']"
check "the task was placed, ran and exited 0 after more than one RunTask and a capacity message" \
  "(lambda m: m is not None and int(m.group(1)) >= 2 and int(m.group(2)) >= 1)(__import__('re').search(r'steady oneshot: exit 0 \(RunTask (\d+), capacity messages (\d+)', o['err']))"

# A second subscriber of the topic sees what the autoscaler read: one message per RunTask that
# found no room, all with the same task id.
HAKO_ID=$(sed -n 's/.*no capacity yet.* hako_task_id=\([0-9a-f]*\).*/\1/p' "$WORK/oneshot.err" | head -1)
SENT=$(sed -n 's/.*(RunTask [0-9]*, capacity messages \([0-9]*\).*/\1/p' "$WORK/oneshot.err")
run "$AWS1" sqs receive-message --queue-url "$ENDPOINT/000000000000/capacity-tap" --max-number-of-messages 10
check "the capacity messages are hako's format: group, cluster, the task's size and one task id" \
  "len(o['Messages']) == ${SENT:-0} >= 1 and all(json.loads(m['Body']) == {'group_name': 'batch-asg', 'cluster': 'batch', 'cpu': 256, 'memory': 512, 'hako_task_id': '$HAKO_ID'} for m in o['Messages'])"

OUT=$(desired)
check "the group was scaled out from 0 to the one instance the task needs" "o['d'] == 1 and o['n'] == 1"
run "$AWS1" ecs list-container-instances --cluster batch
check "its instance joined the cluster" "len(o['containerInstanceArns']) >= 1"
OUT="{\"sent\": ${SENT:-0}, \"added\": $(metric 'steady_autoscaler_capacity_messages_total{result="added"}'), \"dup\": $(metric 'steady_autoscaler_capacity_messages_total{result="duplicate"}'), \"out\": $(metric 'steady_autoscaler_decisions_total{cluster="batch",direction="out"}'), \"signals\": $(metric 'steady_autoscaler_signals_total{cluster="batch"'), \"desired\": $(metric 'steady_autoscaler_desired_capacity{group="batch-asg"}')}"
check "the autoscaler took the capacity request and scaled out on it" \
  "o['added'] == 1 and o['dup'] == o['sent'] - 1 and o['out'] == 1 and o['signals'] >= 1 and o['desired'] == 1"
OUT=$(python3 - "$WORK/as.err" <<'PY'
import json, sys
decisions = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("msg", e.get("message")) == "autoscaler: decision":
        decisions.append(e)
print(json.dumps({"decisions": decisions}))
PY
)
check "its decision log names the capacity request and the group" \
  "any(d.get('change') == 'batch-asg -> 1' and 'capacity_request' in d.get('signals', '') for d in o['decisions'])"

kill -TERM "$AS_PID"
wait "$AS_PID"
OUT="{\"rc\": $?}"
check "steady autoscaler exits 0 on SIGTERM" "o['rc'] == 0"
if [ "$failed" -gt 0 ]; then
  echo "--- autoscaler stderr"; tail -n 60 "$WORK/as.err"
  echo "--- oneshot stderr"; cat "$WORK/oneshot.err"
fi
[ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"
finish
