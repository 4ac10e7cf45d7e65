#!/usr/bin/env bash
# `steady terminator` and `steady drain` as real processes against `steady region` over HTTP:
# a spot interruption routed by EventBridge into the queue is serviced out with no failed
# request; an Auto Scaling lifecycle action is completed; `steady drain --wait` runs the
# workflow by hand and `steady drain` queues it for the daemon; a message nobody understands
# goes to the dead-letter queue; SIGTERM exits 0.
source "$(dirname "$0")/lib/region.sh"

region_start --boot-delay 1
cat >"$WORK/fleet.yaml" <<'EOF'
queues:
  - name: t-dlq
  - name: t-events
    attributes: {VisibilityTimeout: "30"}
rules:
  - name: t-spot
    pattern: {source: [aws.ec2, aws.autoscaling],
              detail-type: [EC2 Spot Instance Interruption Warning,
                            EC2 Instance-terminate Lifecycle Action]}
    targets: [{queue: t-events}]
clusters: [{name: prod}]
task_definitions:
  - family: web
    containers: [{name: app, image: web:1, cpu: 256, memory: 512,
                  ports: [{container_port: 8080, host_port: 0}]}]
  - family: report
    containers: [{name: job, image: report:1, cpu: 128, memory: 256}]
target_groups:
  - {name: web, port: 8080, deregistration_delay: 5s,
     health_check: {interval_seconds: 5, healthy_threshold: 2, unhealthy_threshold: 2}}
auto_scaling_groups:
  - name: prod-od
    cluster: prod
    instance_types: [m5.large]
    min: 1
    max: 2
    desired: 2
    lifecycle_hooks:
      - {name: drain, heartbeat_timeout: 60s, default_result: ABANDON}
  - name: prod-spot
    cluster: prod
    instance_types: [m5.large, c5.large]
    mixed_instances_policy: {on_demand_base_capacity: 0, on_demand_percentage_above_base_capacity: 0}
    min: 2
    max: 2
    desired: 2
services:
  - {name: web, cluster: prod, task_definition: web, desired_count: 4, target_group: web,
     container_name: app, container_port: 8080,
     placement_strategy: [{type: spread, field: instanceId}]}
EOF
"$STEADY_BIN" region apply --endpoint "$ENDPOINT" "$WORK/fleet.yaml" >/dev/null || { echo "apply failed"; exit 1; }

status() { "$STEADY_BIN" region status --endpoint "$ENDPOINT" --json; }
for _ in $(seq 1 300); do
  healthy=$(status | python3 -c 'import json,sys; print(sum(g.get("healthy",0) for g in json.load(sys.stdin)["target_groups"]))')
  [ "$healthy" -ge 4 ] && break
  sleep 0.2
done
OUT="{\"healthy\": ${healthy:-0}}"
check "the web service serves from four healthy targets" "o['healthy'] == 4"
"$STEADY_BIN" region traffic --endpoint "$ENDPOINT" web 40 --request-seconds 0.2 >/dev/null
sleep 2

MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$STEADY_BIN" terminator --endpoint-url "$ENDPOINT" --cluster prod --queue t-events \
  --dead-letter-queue t-dlq --metrics-listen "127.0.0.1:$MPORT" \
  >"$WORK/term.out" 2>"$WORK/term.err" &
TERM_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null && break; sleep 0.1; done
finished() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk -v t="$1" '$1 ~ /^steady_terminator_workflows_finished_total/ && $1 ~ t && /serviced-out/ {s += $2} END {print s + 0}'; }
failed_requests() { status | python3 -c 'import json,sys; print(sum(g.get("failed",0) for g in json.load(sys.stdin)["target_groups"]))'; }
FAILED_BEFORE=$(failed_requests)

# 1. A spot interruption: EC2's warning → EventBridge rule → queue → terminator.
SPOT=$(status | python3 -c '
import json,sys
f=json.load(sys.stdin)
print(next(i["id"] for i in f["instances"] if i.get("lifecycle")=="spot" and int(i.get("running_tasks") or 0) > 0))')
"$STEADY_BIN" region interrupt --endpoint "$ENDPOINT" "$SPOT" >/dev/null
for _ in $(seq 1 300); do [ "$(finished spot-interruption)" -ge 1 ] && break; sleep 0.2; done
OUT="{\"done\": $(finished spot-interruption)}"
check "the interrupted spot instance is serviced out" "o['done'] == 1"
run "$AWS2" ecs list-container-instances --cluster prod --filter "ec2InstanceId in ['$SPOT']" --status DRAINING
check "its container instance is DRAINING" "len(o['containerInstanceArns']) == 1"
run "$AWS2" ecs list-tasks --cluster prod --container-instance "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["containerInstanceArns"][0])')"
check "no task runs on it" "o['taskArns'] == []"

# 2. Scale-in through the lifecycle hook: the terminator completes the action itself.
OD=$(status | python3 -c '
import json,sys
f=json.load(sys.stdin)
print(next(i["id"] for i in f["instances"] if i.get("lifecycle")!="spot" and i.get("state")=="running"))')
run "$AWS2" autoscaling terminate-instance-in-auto-scaling-group --instance-id "$OD" --should-decrement-desired-capacity
for _ in $(seq 1 300); do [ "$(finished lifecycle)" -ge 1 ] && break; sleep 0.2; done
OUT="{\"done\": $(finished lifecycle)}"
check "the lifecycle action is serviced out" "o['done'] == 1"
for _ in $(seq 1 100); do
  run "$AWS2" autoscaling describe-auto-scaling-instances --instance-ids "$OD"
  python3 -c 'import json,sys; o=json.load(sys.stdin); sys.exit(0 if not o["AutoScalingInstances"] or o["AutoScalingInstances"][0]["LifecycleState"] not in ("Terminating:Wait",) else 1)' <<<"$OUT" && break
  sleep 0.2
done
check "and completed with CONTINUE: the instance leaves Terminating:Wait at once" \
  "not o['AutoScalingInstances'] or o['AutoScalingInstances'][0]['LifecycleState'] != 'Terminating:Wait'"

# 3. steady drain --wait: the same workflow, here.
OTHER=$(status | python3 -c '
import json,sys
f=json.load(sys.stdin)
print(next(i["id"] for i in f["instances"] if i.get("lifecycle")=="spot" and i.get("state")=="running" and i.get("container_instance_status")=="ACTIVE"))')
OUT=$("$STEADY_BIN" drain --endpoint-url "$ENDPOINT" --cluster prod --wait --reason e2e "$OTHER" 2>"$WORK/drain.err")
RC=$?
OUT="{\"rc\": $RC, \"line\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <<<"$OUT")}"
check "steady drain --wait services the instance out and says so" "o['rc'] == 0 and 'serviced-out' in o['line']"

# 4. steady drain (no --wait) queues a request the daemon picks up.
run "$AWS2" ecs update-container-instances-state --cluster prod --status ACTIVE \
  --container-instances "$("$AWS2" --endpoint-url "$ENDPOINT" ecs list-container-instances --cluster prod --filter "ec2InstanceId in ['$OTHER']" --query 'containerInstanceArns[0]' --output text)"
"$STEADY_BIN" drain --endpoint-url "$ENDPOINT" --cluster prod --queue t-events "$OTHER" >/dev/null
for _ in $(seq 1 300); do [ "$(finished manual)" -ge 1 ] && break; sleep 0.2; done
OUT="{\"done\": $(finished manual)}"
check "a queued manual drain is serviced out by the daemon" "o['done'] == 1"

# 5. A message nobody understands is dead-lettered with its reason; the daemon keeps going.
QURL="$ENDPOINT/000000000000/t-events"
run "$AWS2" sqs send-message --queue-url "$QURL" --message-body '{"what": "is this"}'
for _ in $(seq 1 100); do
  run "$AWS2" sqs receive-message --queue-url "$ENDPOINT/000000000000/t-dlq" --message-attribute-names All
  python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("Messages") else 1)' <<<"$OUT" && break
  sleep 0.2
done
check "the unknown message is in the dead-letter queue with its reason" \
  "o['Messages'][0]['Body'] == '{\"what\": \"is this\"}' and o['Messages'][0]['MessageAttributes']['steady-reason']['StringValue'].startswith('unknown:')"

OUT="{\"failed\": $(( $(failed_requests) - FAILED_BEFORE ))}"
check "no request failed through all of it" "o['failed'] == 0"

kill -TERM "$TERM_PID"
wait "$TERM_PID"
OUT="{\"rc\": $?}"
check "steady terminator exits 0 on SIGTERM" "o['rc'] == 0"
finish
