#!/usr/bin/env bash
# `steady router` as a real process against `steady region` over HTTP: awscli puts a
# service-log object into the bucket, the bucket's notification reaches the queue, the router
# writes one task-log object per task (byte-exact lines), deletes the message and counts it;
# `steady router backfill` rewrites the same keys; SIGTERM exits 0.
source "$(dirname "$0")/lib/region.sh"

region_start
cat >"$WORK/setup.yaml" <<'EOF2'
queues:
  - name: router-dlq
  - name: router-events
    attributes: {VisibilityTimeout: "120"}
    dead_letter: {queue: router-dlq, max_receive_count: 5}
buckets:
  - name: steady-logs
    notifications:
      - {queue: router-events, events: ["s3:ObjectCreated:*"], prefix: service-logs/}
EOF2
"$STEADY_BIN" region apply --endpoint "$ENDPOINT" "$WORK/setup.yaml" >/dev/null || { echo "apply failed"; exit 1; }

MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$STEADY_BIN" router --endpoint-url "$ENDPOINT" --queue router-events --dead-letter-queue router-dlq \
  --store s3://steady-logs --workers 2 --metrics-listen "127.0.0.1:$MPORT" \
  >"$WORK/router.out" 2>"$WORK/router.err" &
ROUTER_PID=$!

# One minute of service web/app: tasks t1 and t2 interleaved, lines without a task id, one line
# that is not JSON; multi-member gzip.
python3 - "$WORK" <<'EOF2'
import gzip, json, sys, os
work = sys.argv[1]
lines, want = [], {}
for i in range(3000):
    task = ["t1", "t2", None][i % 3]
    rec = {"time": "2018-11-28T14:01:%02d.000000000Z" % (i % 60), "log": 'line %d "quoted" \\ {"task_id":"x"}' % i,
           "source": "stdout", "container_id": "c", "task_id": task, "task_arn": None,
           "family": "web", "container": "app", "cluster": "prod"}
    line = json.dumps(rec, separators=(",", ":"), ensure_ascii=False) + "\n"
    lines.append(line)
    want.setdefault(task or "_none", []).append(line)
lines.insert(1500, "not json at all\n")
want["_invalid"] = ["not json at all\n"]
data = "".join(lines).encode()
with open(os.path.join(work, "src.gz"), "wb") as f:
    f.write(gzip.compress(data[:100000]) + gzip.compress(data[100000:]))
for task, ls in want.items():
    with open(os.path.join(work, "want_" + task), "w") as f:
        f.write("".join(ls))
EOF2
KEY=service-logs/web/app/2018/11/28/201811281401_0_0123456789abcdef.gz
run "$AWS1" s3 cp "$WORK/src.gz" "s3://steady-logs/$KEY" >/dev/null

task_keys() { "$AWS1" --endpoint-url "$ENDPOINT" s3api list-objects-v2 --bucket steady-logs --prefix task-logs/ --query 'Contents[].Key' --output text 2>/dev/null; }
for _ in $(seq 1 200); do [ "$(task_keys | wc -w)" -ge 4 ] && break; sleep 0.1; done
OUT=$(task_keys | tr '\t' '\n' | python3 -c 'import json,sys; print(json.dumps(sorted(sys.stdin.read().split())))')
check "one task-log object per task, named from the source" "o == ['task-logs/web/app/%s/201811281401_0_0123456789abcdef.gz' % t for t in ['_invalid','_none','t1','t2']]"

for t in t1 t2 _none _invalid; do
  "$AWS1" --endpoint-url "$ENDPOINT" s3 cp "s3://steady-logs/task-logs/web/app/$t/201811281401_0_0123456789abcdef.gz" - 2>/dev/null | gunzip >"$WORK/got_$t"
  OUT="{\"same\": $(cmp -s "$WORK/got_$t" "$WORK/want_$t" && echo true || echo false)}"
  check "task $t holds exactly its lines" "o['same']"
done

queue_empty() { "$AWS1" --endpoint-url "$ENDPOINT" sqs get-queue-attributes --queue-url "$ENDPOINT/000000000000/router-events" --attribute-names All --output json; }
for _ in $(seq 1 100); do
  OUT=$(queue_empty)
  python3 -c "import json,sys; a=json.loads(sys.argv[1])['Attributes']; sys.exit(0 if a['ApproximateNumberOfMessages']=='0' and a['ApproximateNumberOfMessagesNotVisible']=='0' else 1)" "$OUT" && break
  sleep 0.1
done
check "the message was deleted" "o['Attributes']['ApproximateNumberOfMessages'] == '0' and o['Attributes']['ApproximateNumberOfMessagesNotVisible'] == '0'"

METRICS=$(curl -s "http://127.0.0.1:$MPORT/metrics")
OUT=$(python3 -c '
import json, re, sys
m = {}
for line in sys.stdin:
    r = re.match(r"(steady_router_\w+)\{(\w+)=\"([^\"]+)\"\} (\S+)", line)
    if r: m[r.group(1) + ":" + r.group(3)] = float(r.group(4))
print(json.dumps(m))' <<<"$METRICS")
check "metrics count the object and its lines by kind" "o.get('steady_router_objects_total:ok') == 1 and o.get('steady_router_lines_total:task') == 2000 and o.get('steady_router_lines_total:no_task_id') == 1000 and o.get('steady_router_lines_total:invalid_json') == 1"

# backfill over the day rewrites the same four keys
BF=$("$STEADY_BIN" router backfill --endpoint-url "$ENDPOINT" --store s3://steady-logs \
  --since 2018-11-28T00:00:00Z --until 2018-11-29T00:00:00Z 2>"$WORK/backfill.err")
OUT="{\"out\": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$BF")}"
check "backfill finds and splits the object" "o['out'].startswith('1 objects: 1 ok') and 'into 4 task objects' in o['out']"
OUT="{\"n\": $(task_keys | wc -w)}"
check "backfill wrote the same keys" "o['n'] == 4"

kill -TERM "$ROUTER_PID"
wait "$ROUTER_PID"
OUT="{\"rc\": $?}"
check "steady router exits 0 on SIGTERM" "o['rc'] == 0"
[ "$failed" -eq 0 ] || { echo "router stderr:"; tail -20 "$WORK/router.err"; }
finish
