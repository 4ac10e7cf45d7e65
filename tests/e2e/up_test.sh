#!/usr/bin/env bash
# `steady up`, the main job: the region, the metrics endpoint and the log aggregator start, the
# sample workload logs through the aggregator, and on SIGTERM the aggregator flushes its open
# slices into the region's S3 bucket before the region stops, so the objects are there when the
# region is started again on the same state.
source "$(dirname "$0")/lib/region.sh"

VAR="$WORK/var"
"$STEADY_BIN" up --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --aggregator-listen 127.0.0.1:0 \
  --exporter-listen 127.0.0.1:0 --boot-delay 1 --batch-every 2 --var "$VAR" \
  >"$WORK/up.out" 2>"$WORK/up.err" &
UP_PID=$!
for _ in $(seq 1 200); do
  grep -q "Press Ctrl-C" "$WORK/up.out" && break
  kill -0 "$UP_PID" 2>/dev/null || { echo "steady up died:"; cat "$WORK/up.err"; exit 1; }
  sleep 0.05
done
METRICS=$(sed -n 's|^  metrics *\(http://[^ ]*\)$|\1|p' "$WORK/up.out")
AGG_PORT=$(sed -n 's|^  logs *Forward protocol on 127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/up.out")
[ -n "$METRICS" ] && [ -n "$AGG_PORT" ] || { echo "cannot read ports from:"; cat "$WORK/up.out"; exit 1; }

# The sample fleet boots, its tasks start and log a few lines a second; wait until some are
# acknowledged.
for _ in $(seq 1 300); do
  n=$(curl -s "$METRICS" | awk '$1 == "steady_aggregator_records_total" {print $2}')
  [ -n "$n" ] && [ "${n%.*}" -ge 6 ] && break
  sleep 0.1
done
OUT="{\"records\": ${n:-0}}"
check "the sample fleet's tasks log through the aggregator" "o['records'] >= 6"

# A spot interruption of an instance that runs a web task: EC2's warning reaches the terminator
# through EventBridge and SQS, and it services the instance out through the region's HTTP API.
REGION_EP=$(sed -n 's|^  region *\(http://[^ ]*\) .*|\1|p' "$WORK/up.out")
VICTIM=$("$STEADY_BIN" region status --endpoint "$REGION_EP" --json | python3 -c '
import json, sys
f = json.load(sys.stdin)
print(next(i["id"] for i in f["instances"] if i.get("lifecycle") == "spot" and int(i.get("running_tasks") or 0) > 0))')
"$STEADY_BIN" region interrupt --endpoint "$REGION_EP" "$VICTIM" >/dev/null
for _ in $(seq 1 180); do
  done_n=$(curl -s "$METRICS" | awk '/^steady_terminator_workflows_finished_total/ && /serviced-out/ {s += $2} END {print s + 0}')
  [ "${done_n%.*}" -ge 1 ] && break
  sleep 0.5
done
OUT="{\"serviced_out\": ${done_n:-0}}"
check "the terminator services out an interrupted spot instance" "o['serviced_out'] >= 1"

# The sample apps: web rolled out with steady deploy (the definition's revision replaces the
# setup's bare web:1), the batch trickle run with steady oneshot through the task-state board.
for _ in $(seq 1 120); do
  "$STEADY_BIN" status web --definitions "$VAR/apps" --endpoint-url "$REGION_EP" >"$WORK/status.out" 2>&1 &&
    grep -q "ACTIVE: web:2, desired 4, running 4" "$WORK/status.out" && grep -q "COMPLETED" "$WORK/status.out" && break
  sleep 0.5
done
OUT="{\"status\": $(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$WORK/status.out")}"
check "steady up deploys the sample web app with steady deploy" \
  "'ACTIVE: web:2, desired 4, running 4' in o['status'] and 'PRIMARY web:2' in o['status'] and o['status'].count('target healthy') >= 4"
for _ in $(seq 1 180); do
  grep -q "up: oneshot ended" "$WORK/up.err" && break
  sleep 0.5
done
stored=$(curl -s "$METRICS" | awk '/^steady_oneshot_board_messages_total/ && /stored/ {s += $2} END {print s + 0}')
OUT="{\"ended\": $(grep -c 'up: oneshot ended' "$WORK/up.err"), \"stored\": ${stored:-0}}"
check "the batch trickle runs steady oneshot, followed through task state events" \
  "o['ended'] >= 1 and o['stored'] >= 2"

EXPORTER=$(sed -n 's|^  exporter *\(http://[^ ]*\).*|\1|p' "$WORK/up.out")
OUT="{\"body\": $(curl -s "$EXPORTER" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
check "the exporter serves steady's own process as an ECS container" \
  "'container_cpu_usage_seconds_total{' in o['body'] and 'ecs_cluster=\"steady-local\"' in o['body']"

kill -TERM "$UP_PID"
wait "$UP_PID"
OUT="{\"rc\": $?}"
check "steady up exits 0 on SIGTERM" "o['rc'] == 0"

# The same state, served again: the flushed objects are in the bucket.
region_start --state "$VAR/region"
run "$AWS1" s3api list-objects-v2 --bucket steady-logs --prefix service-logs/
check "objects per family and container, one per minute" \
  "any(k['Key'].startswith('service-logs/web/app/') for k in o.get('Contents', [])) and any(k['Key'].startswith('service-logs/batch/job/') for k in o.get('Contents', []))"
KEY=$(OUT="$OUT" python3 -c "import json,os; o=json.loads(os.environ['OUT']); print([k['Key'] for k in o['Contents'] if '/web/app/' in k['Key']][0])")
"$AWS1" --endpoint-url "$ENDPOINT" s3 cp "s3://steady-logs/$KEY" "$WORK/obj.gz" >/dev/null 2>&1
OUT=$(zcat "$WORK/obj.gz" | head -1)
check "lines carry the ECS fields" \
  "o['family'] == 'web' and o['container'] == 'app' and o['cluster'] == 'steady-sample' and len(o['task_id']) >= 32 and list(o)[0] == 'time'"

# The router files those objects per task (backfill: the daemon stopped with steady up), and the
# search tools read them: the Athena-shaped query of the README, and grep.
"$STEADY_BIN" router backfill --store s3://steady-logs --endpoint-url "$ENDPOINT" --since 2h \
  >"$WORK/backfill.out" 2>&1 || { echo "FAIL: router backfill"; sed 's/^/    /' "$WORK/backfill.out"; failed=$((failed + 1)); }
run "$AWS1" s3api list-objects-v2 --bucket steady-logs --prefix task-logs/web/app/
check "the router files the web service's lines per task" "len(o.get('Contents', [])) >= 1"
read -r Y M D < <(echo "$KEY" | sed -n 's|.*/\([0-9]\{4\}\)/\([0-9]\{2\}\)/\([0-9]\{2\}\)/[^/]*$|\1 \2 \3|p')
OUT=$("$STEADY_BIN" logs sql --store s3://steady-logs --endpoint-url "$ENDPOINT" --cache-dir "$WORK/cache" \
  --format json "select time, log from \"web_app\" where year = $((10#$Y)) and month = $((10#$M)) and day = $((10#$D)) and log like '%ERROR%' order by time" \
  2>"$WORK/sql.err" | python3 -c 'import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin if l.strip()]))')
check "the seed-shaped SQL query finds the sample's ERROR lines, in time order" \
  "len(o) >= 1 and all('ERROR' in r['log'] for r in o) and [r['time'] for r in o] == sorted(r['time'] for r in o)"
OUT="{\"count\": $("$STEADY_BIN" logs grep --store s3://steady-logs --endpoint-url "$ENDPOINT" -c ERROR web/app --since 2h 2>"$WORK/grep.err" || echo -1)}"
check "logs grep counts the same lines" "o['count'] >= 1"
finish
