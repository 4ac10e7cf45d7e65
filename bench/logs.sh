#!/usr/bin/env bash
# `steady logs` against the usual tools on one hour of one service's logs (issue 9):
# bench/logs_gen.cc writes ~450 MB (1.2 M lines, 3% with ERROR) as 60 one-minute objects in the
# service-logs layout; then each command runs RUNS times (best kept) with the files in the page
# cache, and a table of wall seconds, CPU seconds (user + sys, children included) and MB/s
# (uncompressed bytes / s) is printed. On a shared machine the CPU columns are the steadier ones.
#
#   bench/logs.sh [BUILD_DIR]      (default build/default; RUNS=3; KEEP=1 keeps the data)
#
# Goals (issue 9): grep >= 3x faster than DuckDB on the same files; logs sql within 10% of raw
# DuckDB. zgrep is single-threaded; rg -z runs one gzip process per file, files in parallel.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
steady="$build/steady"
gen="$build/bench/logs_gen"
duckdb_raw="$build/bench/duckdb_raw"
runs="${RUNS:-3}"
tmp="$(mktemp -d /tmp/steady-logs-bench.XXXXXX)"
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "data kept in $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

store="$tmp/store"
family=my_awesome_app
container=app
stream_dir="$store/service-logs/$family/$container"
range=(--since 2018-11-28T10:00 --until 2018-11-28T11:00)

gen_out="$("$gen" "$store" --minutes 60 --lines 1200000 --error-rate 0.03 \
  --family "$family" --container "$container" --start 2018-11-28T10:00:00Z)"
echo "data: $gen_out"
raw_bytes="$(awk '{for (i = 1; i < NF; i++) if ($i == "raw_bytes") print $(i + 1)}' <<<"$gen_out")"
gz_bytes="$(awk '{for (i = 1; i < NF; i++) if ($i == "gzip_bytes") print $(i + 1)}' <<<"$gen_out")"
errors="$(awk '{for (i = 1; i < NF; i++) if ($i == "errors") print $(i + 1)}' <<<"$gen_out")"
mapfile -t objects < <(find "$stream_dir" -name '*.gz' | sort)
cat "${objects[@]}" >/dev/null  # page cache
echo "cores: $(nproc); uncompressed $((raw_bytes / 1000000)) MB, gzip $((gz_bytes / 1000000)) MB, ${#objects[@]} objects, $errors ERROR lines"
echo

rows=()
# row LABEL EXPECTED_COUNT COMMAND...: best wall time of $runs runs; stdout goes to $tmp/out.
# EXPECTED_COUNT "-" skips the check; else the output's last number (or line count) must match.
row() {
  local label="$1" expect="$2"
  shift 2
  local best="" cpu="" secs c
  for _ in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || [ $? -eq 1 ]
    secs="$(awk '{print $1}' "$tmp/time")"
    c="$(awk '{print $2 + $3}' "$tmp/time")"
    if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc -l)" = 1 ]; then best="$secs"; fi
    if [ -z "$cpu" ] || [ "$(echo "$c < $cpu" | bc -l)" = 1 ]; then cpu="$c"; fi
  done
  local got="-"
  if [ "$expect" != "-" ]; then
    if [ "$(wc -l <"$tmp/out")" -le 1 ]; then got="$(tr -dc '0-9' <"$tmp/out")"; else got="$(wc -l <"$tmp/out")"; fi
    [ "$got" = "$expect" ] || echo "warning: $label: got $got, want $expect" >&2
  fi
  rows+=("$(printf '%-58s %8.2f %9.1f %8.2f %9.1f' "$label" "$best" \
    "$(echo "$raw_bytes / 1000000 / $best" | bc -l)" "$cpu" "$(echo "$raw_bytes / 1000000 / $cpu" | bc -l)")")
}

# Ratios for the goals: RUNS_PAIRED (default 9) runs of each side, interleaved (alternating which
# goes first), so that a change of load on a shared machine hits both sides alike; the median of
# the per-pair ratios of wall time. (The best-of rows come from runs minutes apart.)
wall_of() {  # wall seconds of one run of the function $1
  local t0="$EPOCHREALTIME"  # no fork: bash's own clock
  "$1" >/dev/null 2>&1
  echo "$EPOCHREALTIME - $t0" | bc -l
}
paired() {  # LABEL NUMERATOR_FN DENOMINATOR_FN
  local ratios=() a b
  for i in $(seq 1 "${RUNS_PAIRED:-9}"); do
    if [ $((i % 2)) = 1 ]; then  # alternate which side runs first
      a="$(wall_of "$2")"
      b="$(wall_of "$3")"
    else
      b="$(wall_of "$3")"
      a="$(wall_of "$2")"
    fi
    ratios+=("$(echo "$a / $b" | bc -l)")
  done
  local median
  median="$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
  rows+=("$(printf '%-58s %8.2fx  (median of %d interleaved pairs)' "  $1" "$median" "${#ratios[@]}")")
}

# Commands run under /usr/bin/time: pipelines go through bash -c.
sum_counts='awk -F: "{s += \$NF} END {print s}"'

row "steady logs grep -c ERROR" "$errors" \
  "$steady" --log-level error logs grep -c ERROR "$family/$container" --store "$store" "${range[@]}" --no-progress
row "steady logs grep ERROR (prints lines)" "$errors" \
  "$steady" --log-level error logs grep ERROR "$family/$container" --store "$store" "${range[@]}" --no-progress
row "steady logs grep ERROR --threads 1" "$errors" \
  "$steady" --log-level error logs grep ERROR "$family/$container" --store "$store" "${range[@]}" --no-progress --threads 1
row "steady logs grep -i error" "$errors" \
  "$steady" --log-level error logs grep -i error "$family/$container" --store "$store" "${range[@]}" --no-progress
row "steady logs grep -E 'ERROR .* after [0-9]+ms'" "$errors" \
  "$steady" --log-level error logs grep -E 'ERROR .* after [0-9]+ms' "$family/$container" --store "$store" "${range[@]}" --no-progress
row "zgrep -c ERROR (sum over files)" "$errors" \
  bash -c "zgrep -c ERROR \"\$@\" | $sum_counts" _ "${objects[@]}"
row "zgrep ERROR (prints lines)" "$errors" zgrep ERROR "${objects[@]}"
row "rg -z -c ERROR (sum over files)" "$errors" bash -c "rg -z -c ERROR '$stream_dir' | $sum_counts"
row "rg -z ERROR (prints lines)" "$errors" rg -z --no-filename ERROR "$stream_dir"

duck_schema="columns={time: 'VARCHAR', log: 'VARCHAR', source: 'VARCHAR', container_id: 'VARCHAR', task_id: 'VARCHAR', task_arn: 'VARCHAR', family: 'VARCHAR', container: 'VARCHAR', cluster: 'VARCHAR'}"
duck_files="read_json('$stream_dir/*/*/*/*.gz', format='newline_delimited', compression='gzip', $duck_schema)"
if [ -x "$duckdb_raw" ]; then
  row "raw DuckDB: count(*) where log like '%ERROR%'" "$errors" \
    "$duckdb_raw" --print "SELECT count(*) FROM $duck_files WHERE log LIKE '%ERROR%'"
  row "raw DuckDB: select time, log ... like '%ERROR%' order by time" "$errors" \
    "$duckdb_raw" --print "SELECT time, log FROM $duck_files WHERE log LIKE '%ERROR%' ORDER BY time"
  # Goal: grep at least 3x faster than DuckDB on the same files (count to count, lines to lines).
  raw_count() { "$duckdb_raw" --print "SELECT count(*) FROM $duck_files WHERE log LIKE '%ERROR%'"; }
  raw_seed() { "$duckdb_raw" --print "SELECT time, log FROM $duck_files WHERE log LIKE '%ERROR%' ORDER BY time"; }
  grep_count() { "$steady" --log-level error logs grep -c ERROR "$family/$container" --store "$store" "${range[@]}" --no-progress; }
  grep_lines() { "$steady" --log-level error logs grep ERROR "$family/$container" --store "$store" "${range[@]}" --no-progress; }
  paired "raw DuckDB count(*) / steady logs grep -c" raw_count grep_count
  paired "raw DuckDB lines / steady logs grep (prints lines)" raw_seed grep_lines
else
  echo "(no $duckdb_raw: DuckDB rows skipped)"
fi

# ---- steady logs sql (the sql helper's section: seed-shaped query vs raw DuckDB) -------------
# The Athena query of issue 9, unchanged, through `steady logs sql` (end to end: process start,
# listing, views, query, CSV out), against the same query written for raw DuckDB with the
# explicit schema over the same files (bench/duckdb_raw: the same libduckdb.so, C API, no
# steady in between; its rows above). Goal: logs sql within 10% of raw DuckDB.
seed_sql="select time, log from \"${family}_${container}\" where year = 2018 and month = 11 and day = 28 and log like '%ERROR%' order by time"
count_sql="select count(*) as n from ${family}_${container} where year = 2018 and month = 11 and day = 28 and log like '%ERROR%'"
if "$steady" logs sql --help >/dev/null 2>&1; then
  row "steady logs sql: count(*) (seed's where)" "$errors" \
    "$steady" --log-level error logs sql --store "$store" --format json "$count_sql"
  row "steady logs sql: seed query (CSV out)" "$((errors + 1))" \
    "$steady" --log-level error logs sql --store "$store" --format csv "$seed_sql"
  if [ -x "$duckdb_raw" ]; then
    sql_seed() { "$steady" --log-level error logs sql --store "$store" --format csv "$seed_sql"; }
    sql_count() { "$steady" --log-level error logs sql --store "$store" --format json "$count_sql"; }
    paired "logs sql / raw DuckDB, seed query" sql_seed raw_seed
    paired "logs sql / raw DuckDB, count(*)" sql_count raw_count
  fi
fi
# ---- end of the sql section ------------------------------------------------------------------

echo
printf '%-58s %8s %9s %8s %9s\n' "command (best of $runs)" "wall-s" "MB/s" "cpu-s" "MB/cpu-s"
printf '%s\n' "${rows[@]}"
