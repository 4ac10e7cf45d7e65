#!/usr/bin/env bash
# `steady autoscaler` as a real process against `steady region` over HTTP, with awscli as the
# peer that reports RunTask capacity failures (hako's message, sent to the queue raw and through
# an SNS topic): the capacity is requested in one step split 1:4 between the on-demand group and the
# spot fleet, duplicates are not counted twice, a malformed message is dead-lettered, the new
# instances register; once the work is gone the cluster scales back in through service-out to
# the groups' minimum; SIGTERM exits 0.
source "$(dirname "$0")/lib/region.sh"

region_start --boot-delay 2
cat >"$WORK/fleet.yaml" <<'EOF'
queues:
  - name: cap-dlq
  - name: cap
topics:
  - name: capacity
    subscriptions: [{queue: cap}]
clusters: [{name: prod}]
task_definitions:
  - family: web
    containers: [{name: app, image: web:1, cpu: 256, memory: 512}]
auto_scaling_groups:
  - {name: prod-od, cluster: prod, instance_types: [m5.large], min: 1, max: 6, desired: 1}
spot_fleets:
  - {name: prod-spot, cluster: prod, target_capacity: 1, instance_types: [{type: m5.large, weight: 1}]}
services:
  - {name: web, cluster: prod, task_definition: web, desired_count: 2}
EOF
"$STEADY_BIN" region apply --endpoint "$ENDPOINT" "$WORK/fleet.yaml" >/dev/null || { echo "apply failed"; cat "$WORK/region.err"; exit 1; }
status() { "$STEADY_BIN" region status --endpoint "$ENDPOINT" --json; }
registered() { status | python3 -c 'import json,sys; print(sum(1 for i in json.load(sys.stdin)["instances"] if i.get("container_instance_status")=="ACTIVE"))'; }
for _ in $(seq 1 300); do [ "$(registered)" -ge 2 ] && break; sleep 0.2; done
OUT="{\"n\": $(registered)}"
check "two instances registered (1 on-demand, 1 spot)" "o['n'] == 2"

MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/steady.yaml" <<EOF
autoscaler:
  interval: 1s
  capacity_queue: cap
  dead_letter_queue: cap-dlq
  capacity_hold: 30s
  metrics_listen: 127.0.0.1:$MPORT
  clusters:
    - name: prod
      scale_in_after: 20s
      scale_in_cooldown: 10s
      scale_out_cooldown: 5s
      disruption_budget: 4
      groups:
        - {auto_scaling_group: prod-od, min: 1, max: 6}
        - {spot_fleet: prod-spot, min: 1, max: 30}
EOF

# While the autoscaler is not running yet, 40 tasks of 512 CPU units could not be placed: 30
# reported straight to the queue (each twice: hako retries with the same id), 10 through SNS
# with numbers as strings; and one message that is not JSON.
QURL="$ENDPOINT/000000000000/cap"
TOPIC=$("$AWS2" --endpoint-url "$ENDPOINT" sns list-topics --query 'Topics[0].TopicArn' --output text)
for b in 0 1 2; do
  python3 -c '
import json, sys
b = int(sys.argv[1])
print(json.dumps([{"Id": f"m{i}", "MessageBody": json.dumps(
    {"group_name": "batch", "cluster": "prod", "cpu": 512, "memory": 1024,
     "hako_task_id": f"raw-{b * 10 + i}"})} for i in range(10)]))' "$b" >"$WORK/batch.json"
  run "$AWS2" sqs send-message-batch --queue-url "$QURL" --entries "file://$WORK/batch.json"
  run "$AWS2" sqs send-message-batch --queue-url "$QURL" --entries "file://$WORK/batch.json"
done
for i in $(seq 1 10); do
  run "$AWS2" sns publish --topic-arn "$TOPIC" --message "{\"group_name\":\"batch\",\"cluster\":\"prod\",\"cpu\":\"512\",\"memory\":\"1024\",\"hako_task_id\":\"sns-$i\"}"
done
run "$AWS2" sqs send-message --queue-url "$QURL" --message-body 'not json at all'

"$STEADY_BIN" --config "$WORK/steady.yaml" --log-format json autoscaler --endpoint-url "$ENDPOINT" \
  >"$WORK/as.out" 2>"$WORK/as.err" &
AS_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null && break; sleep 0.1; done
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" 'index($1, m) == 1 {s += $2} END {print s + 0}'; }

desired() {
  od=$("$AWS2" --endpoint-url "$ENDPOINT" autoscaling describe-auto-scaling-groups --auto-scaling-group-names prod-od --query 'AutoScalingGroups[0].DesiredCapacity' --output text)
  spot=$("$AWS2" --endpoint-url "$ENDPOINT" ec2 describe-spot-fleet-requests --query 'SpotFleetRequestConfigs[0].SpotFleetRequestConfig.TargetCapacity' --output text)
  echo "{\"od\": $od, \"spot\": $spot}"
}
for _ in $(seq 1 100); do
  OUT=$(desired)
  python3 -c 'import json,sys; o=json.load(sys.stdin); sys.exit(0 if o["od"] + o["spot"] > 2 else 1)' <<<"$OUT" && break
  sleep 0.2
done
sleep 3  # a second decision would show here
OUT=$(desired)
# 40 × 512 units on m5.large (2048): 10 instances, split 1:4 over the 12 the cluster will have.
check "the whole step in one go, about 1:4 (2+10 instances)" \
  "10 <= o['od'] + o['spot'] - 2 <= 12 and 2 <= o['od'] <= 4"
OUT="{\"added\": $(metric 'steady_autoscaler_capacity_messages_total{result="added"}'), \"dup\": $(metric 'steady_autoscaler_capacity_messages_total{result="duplicate"}'), \"bad\": $(metric 'steady_autoscaler_capacity_messages_total{result="malformed"}')}"
check "40 requests counted once, 30 duplicates, 1 malformed" "o['added'] == 40 and o['dup'] == 30 and o['bad'] == 1"
run "$AWS2" sqs receive-message --queue-url "$ENDPOINT/000000000000/cap-dlq"
check "the malformed message is in the dead-letter queue" "o['Messages'][0]['Body'] == 'not json at all'"
OUT="{\"n\": $(metric 'steady_autoscaler_decisions_total{cluster="prod",direction="out"}')}"
check "one scale-out decision" "o['n'] == 1"
for _ in $(seq 1 300); do [ "$(registered)" -ge 12 ] && break; sleep 0.2; done
OUT="{\"n\": $(registered)}"
check "the new instances register in the cluster" "o['n'] >= 12"

# Nothing runs there: after scale_in_after the cluster goes back to its minimum, each victim
# through service-out and terminated with its group's desired decremented.
for _ in $(seq 1 600); do
  OUT=$(desired)
  python3 -c 'import json,sys; o=json.load(sys.stdin); sys.exit(0 if o["od"] + o["spot"] == 2 else 1)' <<<"$OUT" && break
  sleep 0.2
done
check "scaled back in to the minimum (1 + 1)" "o['od'] == 1 and o['spot'] == 1"
OUT="{\"n\": $(metric 'steady_autoscaler_scaled_in_total{cluster="prod",result="terminated"}')}"
check "every victim was terminated after its service-out" "o['n'] >= 10"
run "$AWS2" ecs describe-services --cluster prod --services web
check "the service kept its tasks" "o['services'][0]['runningCount'] == 2"

kill -TERM "$AS_PID"
wait "$AS_PID"
OUT="{\"rc\": $?}"
check "steady autoscaler exits 0 on SIGTERM" "o['rc'] == 0"
[ -n "${KEEP:-}" ] && cp -r "$WORK" /tmp/as-e2e-keep
finish
