#!/usr/bin/env bash
# CloudWatch in the local region through real clients in each of its three protocols:
#   Debian awscli 2.9 (/usr/bin/aws)   awsQuery
#   awscli 1.45 (aws on PATH)          awsJson 1.0 (botocore 1.43 ranks json before CBOR)
#   awscli 1.45 forced to CBOR         smithy RPC v2 CBOR (what newer SDKs pick)
# plus botocore itself (typed results: datetimes and floats) in all three, malformed requests,
# durability across a restart, and throttling emulation (steady.yaml region.throttle, the
# --throttle flag and a profile) answered with CloudWatch's Throttling error, which the clients
# retry.
source "$(dirname "$0")/lib/region.sh"

# awscli 1.45 with botocore told to prefer another protocol (the model lists all three).
for proto in smithy-rpc-v2-cbor query; do
  cat >"$WORK/aws-$proto" <<EOF
#!/usr/bin/env bash
exec python3 -c '
import sys
import botocore.model
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ("$proto",)
import awscli.clidriver
sys.exit(awscli.clidriver.main())
' "\$@"
EOF
  chmod +x "$WORK/aws-$proto"
done
AWS_CBOR="$WORK/aws-smithy-rpc-v2-cbor"

# Starts the region with a steady.yaml (a global flag, so it goes before the subcommand).
region_start_config() {
  local config=$1
  shift
  "$STEADY_BIN" --config "$config" region --listen 127.0.0.1:0 "$@" >"$WORK/region.out" 2>"$WORK/region.err" &
  REGION_PID=$!
  ENDPOINT=""
  for _ in $(seq 1 200); do
    ENDPOINT=$(sed -n 's/^steady region serving \(http:[^ ]*\).*/\1/p' "$WORK/region.out")
    [ -n "$ENDPOINT" ] && break
    kill -0 "$REGION_PID" 2>/dev/null || { echo "region died:"; cat "$WORK/region.err"; exit 1; }
    sleep 0.05
  done
  [ -n "$ENDPOINT" ] || { echo "region did not start"; exit 1; }
  export ENDPOINT
}

region_stop() {
  kill "$REGION_PID" 2>/dev/null && wait "$REGION_PID" 2>/dev/null
  REGION_PID=""
}

iso() { python3 -c "import datetime,sys; print(datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$1"; }
# Timestamps print as epoch numbers (awscli 1) or ISO 8601 (awscli 2); ts() reads either.
TS='import datetime
def ts(v):
    return float(v) if isinstance(v, (int, float)) else datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
'
check_ts() { check "$1" "(exec(os.environ['TS']) or True) and $2"; }
export TS

# The protocol each CLI speaks, which also names its namespace.
wire_of() { case $1 in "$AWS2") echo query ;; "$AWS1") echo json ;; *) echo cbor ;; esac; }

STATE="$WORK/state"
region_start --state "$STATE"

NOW=$(date +%s)
T=$(((NOW / 60) * 60 - 600))   # a minute ten minutes ago
T1=$((T + 60))
START=$(iso $((T - 60)))
END=$(iso $((T + 180)))

for cli in $AWS2 $AWS1 $AWS_CBOR; do
  ns="E2E/$(wire_of "$cli")"
  # Minute T: 10 and 30 as single values, then a statistic set of 4 samples; minute T+1: 5×2, 50.
  run $cli cloudwatch put-metric-data --namespace "$ns" --metric-name CPU --value 10 --unit Percent \
      --dimensions Host=a,Role=web --timestamp "$(iso $((T + 5)))"
  run $cli cloudwatch put-metric-data --namespace "$ns" --metric-name CPU --value 30 --unit Percent \
      --dimensions Role=web,Host=a --timestamp "$(iso $((T + 50)))"
  run $cli cloudwatch put-metric-data --namespace "$ns" --metric-name CPU --unit Percent \
      --dimensions Host=a,Role=web --timestamp "$(iso $((T + 20)))" \
      --statistic-values SampleCount=4,Sum=100,Minimum=20,Maximum=40
  run $cli cloudwatch put-metric-data --namespace "$ns" --metric-data "[{\"MetricName\":\"CPU\",
      \"Dimensions\":[{\"Name\":\"Host\",\"Value\":\"a\"},{\"Name\":\"Role\",\"Value\":\"web\"}],
      \"Timestamp\":\"$(iso $T1)\",\"Values\":[5,50],\"Counts\":[2,1],\"Unit\":\"Percent\"},
      {\"MetricName\":\"CPU\",\"Dimensions\":[{\"Name\":\"Host\",\"Value\":\"b\"}],\"Value\":99,
      \"Timestamp\":\"$(iso $T1)\"},
      {\"MetricName\":\"Fast\",\"Value\":7,\"StorageResolution\":1,\"Timestamp\":\"$(iso $((T1 + 13)))\"}]"

  run $cli cloudwatch get-metric-statistics --namespace "$ns" --metric-name CPU \
      --dimensions Name=Role,Value=web Name=Host,Value=a --start-time "$START" --end-time "$END" \
      --period 60 --statistics SampleCount Sum Average Minimum Maximum
  check "$cli statistics label" "o['Label'] == 'CPU' and len(o['Datapoints']) == 2"
  check_ts "$cli minute T" "[(ts(d['Timestamp']), d['SampleCount'], d['Sum'], d['Average'], d['Minimum'], d['Maximum'], d['Unit']) for d in o['Datapoints'] if ts(d['Timestamp']) == $T] == [($T, 6.0, 140.0, 140/6, 10.0, 40.0, 'Percent')]"
  check_ts "$cli minute T+1" "[(d['SampleCount'], d['Sum'], d['Minimum'], d['Maximum']) for d in o['Datapoints'] if ts(d['Timestamp']) == $T1] == [(3.0, 60.0, 5.0, 50.0)]"
  # Percentiles need raw values: minute T+1 has them, minute T holds a statistic set of unequal
  # samples and has none (as in CloudWatch).
  run $cli cloudwatch get-metric-statistics --namespace "$ns" --metric-name CPU \
      --dimensions Name=Host,Value=a Name=Role,Value=web --start-time "$START" --end-time "$END" \
      --period 60 --extended-statistics p50 p99
  check_ts "$cli percentiles over raw values" "sorted((ts(d['Timestamp']), d.get('ExtendedStatistics')) for d in o['Datapoints']) == [($T, None), ($T1, {'p50': 5.0, 'p99': 50.0})]"
  run $cli cloudwatch get-metric-statistics --namespace "$ns" --metric-name CPU \
      --dimensions Name=Host,Value=a --start-time "$START" --end-time "$END" --period 60 --statistics Sum
  check "$cli dimensions match exactly" "o['Datapoints'] == []"
  run $cli cloudwatch get-metric-statistics --namespace "$ns" --metric-name Fast \
      --start-time "$(iso $T1)" --end-time "$(iso $((T1 + 60)))" --period 10 --statistics Sum
  check_ts "$cli high resolution period" "[(ts(d['Timestamp']), d['Sum']) for d in o['Datapoints']] == [($T1 + 10, 7.0)]"

  queries="[{\"Id\":\"web\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"$ns\",\"MetricName\":\"CPU\",
      \"Dimensions\":[{\"Name\":\"Host\",\"Value\":\"a\"},{\"Name\":\"Role\",\"Value\":\"web\"}]},
      \"Period\":60,\"Stat\":\"Maximum\"}},
      {\"Id\":\"b\",\"Label\":\"host b\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"$ns\",\"MetricName\":\"CPU\",
      \"Dimensions\":[{\"Name\":\"Host\",\"Value\":\"b\"}]},\"Period\":300,\"Stat\":\"Sum\"}},
      {\"Id\":\"hidden\",\"ReturnData\":false,\"MetricStat\":{\"Metric\":{\"Namespace\":\"$ns\",\"MetricName\":\"CPU\"},
      \"Period\":60,\"Stat\":\"p90\"}}]"
  run $cli cloudwatch get-metric-data --metric-data-queries "$queries" --start-time "$START" --end-time "$END"
  check "$cli get-metric-data ids" "[r['Id'] for r in o['MetricDataResults']] == ['web', 'b']"
  check_ts "$cli get-metric-data newest first" "[(list(map(ts, r['Timestamps'])), r['Values'], r['Label'], r['StatusCode']) for r in o['MetricDataResults']] == [([$T1, $T], [50.0, 40.0], 'CPU', 'Complete'), ([$T - 60], [99.0], 'host b', 'Complete')]"
  run $cli cloudwatch get-metric-data --metric-data-queries "$queries" --start-time "$START" --end-time "$END" \
      --scan-by TimestampAscending
  check "$cli get-metric-data ascending" "o['MetricDataResults'][0]['Values'] == [40.0, 50.0]"

  run $cli cloudwatch list-metrics --namespace "$ns"
  check "$cli list-metrics" "sorted((m['MetricName'], tuple((d['Name'], d['Value']) for d in m['Dimensions'])) for m in o['Metrics']) == [('CPU', (('Host','a'),('Role','web'))), ('CPU', (('Host','b'),)), ('Fast', ())]"
  run $cli cloudwatch list-metrics --namespace "$ns" --dimensions Name=Role
  check "$cli list-metrics by dimension" "[m['MetricName'] for m in o['Metrics']] == ['CPU'] and o['Metrics'][0]['Namespace'] == '$ns'"

  expect_error InvalidParameterValue $cli cloudwatch put-metric-data --namespace AWS/EC2 --metric-name X --value 1
  expect_error InvalidParameterCombination $cli cloudwatch put-metric-data --namespace "$ns" \
      --metric-data '[{"MetricName":"X","Value":1,"StatisticValues":{"SampleCount":1,"Sum":1,"Minimum":1,"Maximum":1}}]'
  expect_error InvalidParameterValue $cli cloudwatch put-metric-data --namespace "$ns" --metric-name X \
      --value 1 --timestamp 2001-01-01T00:00:00Z
  expect_error InvalidParameterValue $cli cloudwatch get-metric-statistics --namespace "$ns" --metric-name CPU \
      --start-time "$START" --end-time "$END" --period 45 --statistics Sum
  expect_error InvalidParameterCombination $cli cloudwatch get-metric-statistics --namespace "$ns" \
      --metric-name CPU --start-time 2000-01-01T00:00:00Z --end-time "$END" --period 60 --statistics Sum
  expect_error InvalidParameterValue $cli cloudwatch get-metric-data --start-time "$START" --end-time "$END" \
      --metric-data-queries '[{"Id":"m","Expression":"SUM(METRICS())"}]'
done

# botocore itself, forced into each protocol: typed values (datetimes, floats), gzip request
# compression of a large PutMetricData, pagination and the modeled error codes.
cat >"$WORK/botocore_check.py" <<'EOF'
import datetime, os, sys
import botocore.model, botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, proto, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (proto,)
cw = botocore.session.get_session().create_client(
    "cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
    config=Config(retries={"mode": "standard", "max_attempts": 5}))
assert cw.meta.service_model.resolved_protocol == proto
ns = "Botocore/" + proto
t0 = datetime.datetime.fromtimestamp(start, datetime.timezone.utc)
# 600 metrics with 20 values each: over 10 KB, so botocore gzips it; over 500, so it pages.
data = [{"MetricName": "M%03d" % i, "Timestamp": t0, "Values": [float(v) for v in range(20)]}
        for i in range(600)]
for batch in (data[:300], data[300:]):
    cw.put_metric_data(Namespace=ns, MetricData=batch)
pages = list(cw.get_paginator("list_metrics").paginate(Namespace=ns))
assert len(pages) == 2 and len(pages[0]["Metrics"]) == 500, [len(p["Metrics"]) for p in pages]
assert sorted(m["MetricName"] for p in pages for m in p["Metrics"]) == sorted(d["MetricName"] for d in data)
r = cw.get_metric_statistics(Namespace=ns, MetricName="M007", StartTime=t0,
                             EndTime=t0 + datetime.timedelta(minutes=1), Period=60,
                             Statistics=["Average", "Sum", "SampleCount"])
(d,) = r["Datapoints"]
assert d["Timestamp"] == t0, d
assert (d["Average"], d["Sum"], d["SampleCount"]) == (9.5, 190.0, 20.0), d
r = cw.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": {
    "Metric": {"Namespace": ns, "MetricName": "M599"}, "Period": 60, "Stat": "p50"}}],
    StartTime=t0, EndTime=t0 + datetime.timedelta(minutes=5), MaxDatapoints=10)
(res,) = r["MetricDataResults"]
assert res["Timestamps"] == [t0] and res["Values"] == [9.0], res
for call, code in [
    (lambda: cw.put_metric_data(Namespace="AWS/X", MetricData=[{"MetricName": "X", "Value": 1}]),
     "InvalidParameterValue"),
    (lambda: cw.get_metric_statistics(Namespace=ns, MetricName="X", StartTime=t0, EndTime=t0,
                                      Period=60, Statistics=["Sum"]), "InvalidParameterValue"),
    (lambda: cw.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": {
        "Metric": {"Namespace": ns, "MetricName": "X"}, "Period": 60, "Stat": "Sum"}}],
        StartTime=t0, EndTime=t0 + datetime.timedelta(minutes=1), NextToken="bogus"),
     "InvalidNextToken"),
]:
    try:
        call()
        sys.exit(proto + ": expected " + code)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
print("ok")
EOF
for proto in query json smithy-rpc-v2-cbor; do
  if out=$(python3 "$WORK/botocore_check.py" "$ENDPOINT" "$proto" "$T" 2>&1) && [ "$out" = ok ]; then
    passed=$((passed + 1))
  else
    echo "FAIL: botocore over $proto"
    echo "$out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done

# Malformed requests get CloudWatch's error shape in their protocol, and the region keeps serving.
RPC="$ENDPOINT/service/GraniteServiceVersion20100801/operation"
expect_http 400 "SerializationException" -X POST -H "smithy-protocol: rpc-v2-cbor" \
    -H "Content-Type: application/cbor" --data-binary $'\xa1\x69Timest' "$RPC/ListMetrics"
expect_http 400 "SerializationException" -X POST -H "smithy-protocol: rpc-v2-cbor" \
    -H "Content-Type: application/cbor" --data-binary @<(head -c 100000 /dev/zero | tr '\0' '\201') \
    "$RPC/GetMetricData"
expect_http 400 "UnknownOperationException" -X POST -H "smithy-protocol: rpc-v2-cbor" \
    -H "Content-Type: application/cbor" --data-binary $'\xa0' "$RPC/DescribeAlarms"
expect_http 400 "MissingRequiredParameterException" -X POST -H "smithy-protocol: rpc-v2-cbor" \
    -H "Content-Type: application/cbor" --data-binary $'\xa0' "$RPC/GetMetricStatistics"
expect_http 400 "SerializationException" -X POST -H "X-Amz-Target: GraniteServiceVersion20100801.ListMetrics" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{not json' "$ENDPOINT/"
expect_http 400 "SerializationException" -X POST -H "X-Amz-Target: GraniteServiceVersion20100801.GetMetricStatistics" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{"Namespace":"A","MetricName":"B","StartTime":1,"EndTime":2,"Period":"x"}' "$ENDPOINT/"
expect_http 400 "<Code>InvalidParameterValue</Code>" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    --data 'Action=GetMetricStatistics&Version=2010-08-01&Namespace=A&MetricName=B&StartTime=yesterday&EndTime=2024-01-01T00:00:00Z&Period=60&Statistics.member.1=Sum' "$ENDPOINT/"
expect_http 400 "<Code>MalformedQueryString</Code>" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    --data 'Action=PutMetricData&Version=2010-08-01&Namespace=A&Namespace.member.1=B' "$ENDPOINT/"
expect_http 400 "<Code>MissingParameter</Code>" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    --data 'Action=PutMetricData&Version=2010-08-01&Namespace=A' "$ENDPOINT/"
expect_http 400 "<Code>InvalidAction</Code>" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00" \
    --data 'Action=DescribeAlarms&Version=2010-08-01' "$ENDPOINT/"
expect_http 400 "SerializationException" -X POST -H "smithy-protocol: rpc-v2-cbor" -H "Content-Encoding: gzip" \
    -H "Content-Type: application/cbor" --data-binary 'not gzip at all' "$RPC/PutMetricData"
head -c 30000000 /dev/zero | gzip -c >"$WORK/bomb.gz"
expect_http 413 "RequestEntityTooLarge" -X POST -H "smithy-protocol: rpc-v2-cbor" -H "Content-Encoding: gzip" \
    -H "Content-Type: application/cbor" --data-binary @"$WORK/bomb.gz" "$RPC/PutMetricData"
run $AWS1 cloudwatch list-metrics --namespace "E2E/json" && check "still serving" "len(o['Metrics']) == 3"

# Durability: what was acknowledged is there after a restart on the same --state.
region_stop
region_start --state "$STATE"
run $AWS2 cloudwatch get-metric-statistics --namespace "E2E/json" --metric-name CPU \
    --dimensions Name=Role,Value=web Name=Host,Value=a --start-time "$START" --end-time "$END" \
    --period 180 --statistics Sum SampleCount
check "restart keeps the series" "[(d['Sum'], d['SampleCount']) for d in o['Datapoints']] == [(200.0, 9.0)]"
region_stop

# Throttling: steady.yaml names a profile and a bucket, the flag adds one. Requests past a
# bucket get CloudWatch's Throttling error in each protocol (before the body is even read).
cat >"$WORK/steady.yaml" <<'EOF'
region:
  throttle_profile: cloudwatch
  throttle:
    monitoring:GetMetricData: 1/0.05
EOF
region_start_config "$WORK/steady.yaml" --throttle "cloudwatch:ListMetrics=1/1"
RPC="$ENDPOINT/service/GraniteServiceVersion20100801/operation"
for _ in 1 2; do curl -s -o /dev/null -X POST -H "X-Amz-Target: GraniteServiceVersion20100801.GetMetricData" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{}' "$ENDPOINT/"; done
expect_http 400 '"__type":"com.amazonaws.cloudwatch#ThrottlingException"' -X POST \
    -H "X-Amz-Target: GraniteServiceVersion20100801.GetMetricData" -H "Content-Type: application/x-amz-json-1.0" \
    --data '{}' "$ENDPOINT/"
curl -s -D "$WORK/headers" -o /dev/null -X POST -H "X-Amz-Target: GraniteServiceVersion20100801.GetMetricData" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{}' "$ENDPOINT/"
if grep -qi '^x-amzn-query-error: Throttling;Sender' "$WORK/headers"; then passed=$((passed + 1)); else
  echo "FAIL: throttled JSON answer lacks x-amzn-query-error: Throttling;Sender"; failed=$((failed + 1)); fi
expect_http 400 "<Code>Throttling</Code><Message>Rate exceeded</Message>" -X POST \
    -H "Content-Type: application/x-www-form-urlencoded" --data 'Action=GetMetricData&Version=2010-08-01' "$ENDPOINT/"
expect_http 400 "ThrottlingException" -X POST -H "smithy-protocol: rpc-v2-cbor" \
    -H "Content-Type: application/cbor" --data-binary $'\xa0' "$RPC/GetMetricData"
# awscli 2 retries a few times, then reports CloudWatch's code.
AWS_MAX_ATTEMPTS=2 expect_error Throttling $AWS2 cloudwatch get-metric-data --start-time "$START" --end-time "$END" \
    --metric-data-queries '[{"Id":"m","MetricStat":{"Metric":{"Namespace":"A","MetricName":"B"},"Period":60,"Stat":"Sum"}}]'
# The profile's buckets (PutMetricData 500/s, GetMetricStatistics 400/s) are there but not in
# the way of a few calls.
for _ in 1 2; do
  run $AWS1 cloudwatch put-metric-data --namespace Throttle --metric-name X --value 1 --timestamp "$(iso $T)"
done
run $AWS1 cloudwatch get-metric-statistics --namespace Throttle --metric-name X --start-time "$(iso $T)" \
    --end-time "$(iso $T1)" --period 60 --statistics Sum
check "profile buckets admit a few calls" "[d['Sum'] for d in o['Datapoints']] == [2.0]"

# 600 metrics make list-metrics two pages in one awscli process: the second page comes right
# after the first, finds the bucket empty, is throttled and retried.
python3 -c "
import json
print(json.dumps([{'MetricName': 'T%03d' % i, 'Value': 1.0} for i in range(600)]))" >"$WORK/many.json"
run $AWS1 cloudwatch put-metric-data --namespace Paged --metric-data "file://$WORK/many.json"
for cli in $AWS2 $AWS1 $AWS_CBOR; do
  sleep 1.1  # a full bucket for the first page
  if OUT=$(AWS_MAX_ATTEMPTS=8 "$cli" --endpoint-url "$ENDPOINT" --output json --debug cloudwatch list-metrics --namespace Paged 2>"$WORK/debug"); then
    check "$cli all pages after throttling" "len(o['Metrics']) == 600"
    if grep -q "Throttling" "$WORK/debug" && grep -qiE "retry needed|retrying request" "$WORK/debug"; then
      passed=$((passed + 1))
    else
      echo "FAIL: $cli was not throttled and retried:"
      grep -iE "retry|throttl" "$WORK/debug" | head -5 | cut -c1-200 | sed 's/^/    /'
      failed=$((failed + 1))
    fi
  else
    echo "FAIL: $cli list-metrics under throttling"
    grep -iE "error|throttl" "$WORK/debug" | tail -3 | cut -c1-300 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
finish
