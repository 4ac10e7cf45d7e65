# Shared by the region's awscli tests: start `steady region` on a free loopback port, run
# checks, count them, stop the region on exit. Source it, then call region_start.
#
#   check "name" python3-expression-over-$OUT      (OUT holds the last command's JSON)
#   run aws ... ; expect_error CODE aws ...
set -uo pipefail

STEADY_BIN=${STEADY_BIN:?STEADY_BIN must point at the steady binary}
export AWS_ACCESS_KEY_ID=steady AWS_SECRET_ACCESS_KEY=steady AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=5
unset AWS_PROFILE AWS_ENDPOINT_URL
AWS1=aws            # awscli 1.45 on PATH (newer botocore: newest protocols)
AWS2=/usr/bin/aws   # Debian awscli 2.9 (botocore 1.29: older protocols)
passed=0
failed=0
OUT=""
WORK=$(mktemp -d)
REGION_PID=""

cleanup() {
  [ -n "$REGION_PID" ] && kill "$REGION_PID" 2>/dev/null && wait "$REGION_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# region_start [extra flags...]: starts the region and sets ENDPOINT.
region_start() {
  "$STEADY_BIN" region --listen 127.0.0.1:0 "$@" >"$WORK/region.out" 2>"$WORK/region.err" &
  REGION_PID=$!
  for _ in $(seq 1 200); do
    ENDPOINT=$(sed -n 's/^steady region serving \(http:[^ ]*\).*/\1/p' "$WORK/region.out")
    [ -n "$ENDPOINT" ] && break
    kill -0 "$REGION_PID" 2>/dev/null || { echo "region died:"; cat "$WORK/region.err"; exit 1; }
    sleep 0.05
  done
  [ -n "$ENDPOINT" ] || { echo "region did not start"; exit 1; }
  export ENDPOINT
}

# run CMD...: runs an awscli command against the region with JSON output into OUT.
run() {
  local cli=$1
  shift
  if ! OUT=$("$cli" --endpoint-url "$ENDPOINT" --output json "$@" 2>"$WORK/err"); then
    echo "FAIL: $cli $*"
    sed 's/^/    /' "$WORK/err"
    failed=$((failed + 1))
    OUT="{}"
    return 1
  fi
  [ -n "$OUT" ] || OUT="{}"
}

# check NAME EXPR: EXPR is Python over `o` (the parsed OUT).
check() {
  local name=$1 expr=$2
  if OUT="$OUT" python3 -c "import json,os,sys; o=json.loads(os.environ['OUT'] or '{}'); sys.exit(0 if ($expr) else 1)" 2>"$WORK/check.err"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    echo "    expected: $expr"
    echo "    got: ${OUT:0:600}"
    sed 's/^/    /' "$WORK/check.err"
    failed=$((failed + 1))
  fi
}

# expect_error CODE CLI ARGS...: the command must fail and name CODE.
expect_error() {
  local code=$1 cli=$2
  shift 2
  if "$cli" --endpoint-url "$ENDPOINT" --output json "$@" >/dev/null 2>"$WORK/err"; then
    echo "FAIL: expected $code from $cli $*"
    failed=$((failed + 1))
  elif grep -q "$code" "$WORK/err"; then
    passed=$((passed + 1))
  else
    echo "FAIL: expected $code from $cli $*, got:"
    sed 's/^/    /' "$WORK/err"
    failed=$((failed + 1))
  fi
}

# expect_http STATUS PATTERN curl-args...: a raw request gets STATUS and a body with PATTERN.
expect_http() {
  local status=$1 pattern=$2
  shift 2
  local got
  got=$(curl -s -o "$WORK/body" -w '%{http_code}' "$@")
  if [ "$got" = "$status" ] && grep -q "$pattern" "$WORK/body"; then
    passed=$((passed + 1))
  else
    echo "FAIL: expected HTTP $status with '$pattern' from curl $*, got $got:"
    head -c 600 "$WORK/body" | sed 's/^/    /'
    echo
    failed=$((failed + 1))
  fi
}

finish() {
  kill -0 "$REGION_PID" 2>/dev/null || { echo "FAIL: the region died"; failed=$((failed + 1)); }
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
