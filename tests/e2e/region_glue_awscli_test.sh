#!/usr/bin/env bash
# The Glue Data Catalog of the local region through both awscli versions (awsJson 1.1, target
# AWSGlue): databases, tables, partitions with their per-partition errors, Expression filters,
# single-partition operations, awscli's own pagination over NextToken, Glue's error codes,
# malformed requests, and the catalog (deletions included) surviving a restart on the same
# --state.
source "$(dirname "$0")/lib/region.sh"

region_stop() {
  kill "$REGION_PID" 2>/dev/null && wait "$REGION_PID" 2>/dev/null
  REGION_PID=""
}

STATE="$WORK/state"
region_start --state "$STATE"

sd() {  # a StorageDescriptor for location $1
  echo "{\"Columns\":[{\"Name\":\"ts\",\"Type\":\"bigint\"},{\"Name\":\"msg\",\"Type\":\"string\",\"Comment\":\"line\"}],
    \"Location\":\"$1\",\"InputFormat\":\"org.apache.hadoop.mapred.TextInputFormat\",
    \"OutputFormat\":\"org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat\",\"Compressed\":true,
    \"SerdeInfo\":{\"SerializationLibrary\":\"org.openx.data.jsonserde.JsonSerDe\",\"Parameters\":{\"case.insensitive\":\"TRUE\"}}}"
}
table_input() {  # name, description
  echo "{\"Name\":\"$1\",\"Description\":\"$2\",\"TableType\":\"EXTERNAL_TABLE\",
    \"Parameters\":{\"EXTERNAL\":\"TRUE\",\"classification\":\"json\"},
    \"PartitionKeys\":[{\"Name\":\"dt\",\"Type\":\"string\"},{\"Name\":\"hour\",\"Type\":\"string\"}],
    \"StorageDescriptor\":$(sd s3://logs/$1/)}"
}
part() { echo "{\"Values\":[\"$1\",\"$2\"],\"StorageDescriptor\":$(sd s3://logs/access/dt=$1/hour=$2/)}"; }

for cli in $AWS1 $AWS2; do
  db="Logs$(basename $cli | tr -d .)$RANDOM"
  lc=$(echo "$db" | tr 'A-Z' 'a-z')
  run $cli glue create-database --database-input "{\"Name\":\"$db\",\"Description\":\"all logs\"}"
  run $cli glue get-database --name "$lc"
  check "$cli get-database lower-cases" "o['Database']['Name'] == '$lc' and o['Database']['Description'] == 'all logs' and 'CreateTime' in o['Database']"
  expect_error AlreadyExistsException $cli glue create-database --database-input "{\"Name\":\"$lc\"}"
  run $cli glue get-databases && check "$cli get-databases" "'$lc' in [d['Name'] for d in o['DatabaseList']]"

  run $cli glue create-table --database-name "$db" --table-input "$(table_input Access 'access logs')"
  expect_error AlreadyExistsException $cli glue create-table --database-name "$lc" --table-input "$(table_input access x)"
  run $cli glue get-table --database-name "$lc" --name ACCESS
  check "$cli get-table" "o['Table']['Name'] == 'access' and o['Table']['DatabaseName'] == '$lc' and o['Table']['TableType'] == 'EXTERNAL_TABLE'"
  check "$cli get-table storage" "o['Table']['StorageDescriptor']['SerdeInfo']['SerializationLibrary'] == 'org.openx.data.jsonserde.JsonSerDe' and o['Table']['StorageDescriptor']['Compressed'] is True and [c['Name'] for c in o['Table']['StorageDescriptor']['Columns']] == ['ts','msg']"
  check "$cli get-table keys and times" "[k['Name'] for k in o['Table']['PartitionKeys']] == ['dt','hour'] and o['Table']['Parameters']['classification'] == 'json' and 'CreateTime' in o['Table'] and 'UpdateTime' in o['Table']"
  run $cli glue update-table --database-name "$lc" --table-input "$(table_input access 'updated')"
  run $cli glue get-table --database-name "$lc" --name access && check "$cli update-table" "o['Table']['Description'] == 'updated'"
  expect_error EntityNotFoundException $cli glue update-table --database-name "$lc" --table-input "$(table_input nope x)"
  expect_error EntityNotFoundException $cli glue get-table --database-name "$lc" --name nope
  expect_error EntityNotFoundException $cli glue get-table --database-name nodb --name access

  # Five tables in pages of two: awscli follows NextToken itself.
  for t in t1 t2 t3 t4; do run $cli glue create-table --database-name "$lc" --table-input "$(table_input $t x)"; done
  run $cli glue get-tables --database-name "$lc" --page-size 2
  check "$cli get-tables pages" "sorted(t['Name'] for t in o['TableList']) == ['access','t1','t2','t3','t4']"
  run $cli glue get-tables --database-name "$lc" --max-items 2
  check "$cli get-tables max-items" "len(o['TableList']) == 2 and o.get('NextToken')"

  run $cli glue batch-create-partition --database-name "$lc" --table-name access \
      --partition-input-list "[$(part 2026-12-01 00),$(part 2026-12-01 01),$(part 2026-12-01 02)]"
  check "$cli batch-create-partition" "not o.get('Errors')"
  run $cli glue batch-create-partition --database-name "$lc" --table-name access \
      --partition-input-list "[$(part 2026-12-01 00),$(part 2026-12-01 03),{\"Values\":[\"only-one\"]}]"
  check "$cli duplicate reported" "[(e['PartitionValues'], e['ErrorDetail']['ErrorCode']) for e in o['Errors']] == [(['2026-12-01','00'],'AlreadyExistsException'), (['only-one'],'InvalidInputException')]"
  run $cli glue get-partitions --database-name "$lc" --table-name access --page-size 3
  check "$cli get-partitions" "sorted(p['Values'][1] for p in o['Partitions']) == ['00','01','02','03'] and all(p['DatabaseName'] == '$lc' and p['TableName'] == 'access' and 'CreationTime' in p for p in o['Partitions'])"
  check "$cli partition location" "[p for p in o['Partitions'] if p['Values'][1] == '02'][0]['StorageDescriptor']['Location'] == 's3://logs/access/dt=2026-12-01/hour=02/'"
  expect_error EntityNotFoundException $cli glue get-partitions --database-name "$lc" --table-name nope

  # Expression filters, paginated by awscli; single-partition operations and batch get/delete.
  run $cli glue get-partitions --database-name "$lc" --table-name access --expression "hour >= '02'"
  check "$cli get-partitions --expression" "sorted(p['Values'][1] for p in o['Partitions']) == ['02','03']"
  run $cli glue get-partitions --database-name "$lc" --table-name access --page-size 1 \
      --expression "dt = '2026-12-01' AND hour IN ('00', '03')"
  check "$cli --expression over pages" "sorted(p['Values'][1] for p in o['Partitions']) == ['00','03']"
  expect_error InvalidInputException $cli glue get-partitions --database-name "$lc" --table-name access --expression "minute = 1"
  run $cli glue get-tables --database-name "$lc" --expression "t[12]|acc*"
  check "$cli get-tables --expression" "sorted(t['Name'] for t in o['TableList']) == ['access','t1','t2']"
  run $cli glue create-partition --database-name "$lc" --table-name access --partition-input "$(part 2026-12-02 00)"
  expect_error AlreadyExistsException $cli glue create-partition --database-name "$lc" --table-name access --partition-input "$(part 2026-12-02 00)"
  run $cli glue get-partition --database-name "$lc" --table-name access --partition-values 2026-12-02 00
  check "$cli get-partition" "o['Partition']['StorageDescriptor']['Location'] == 's3://logs/access/dt=2026-12-02/hour=00/' and o['Partition']['TableName'] == 'access'"
  run $cli glue update-partition --database-name "$lc" --table-name access --partition-value-list 2026-12-02 00 \
      --partition-input "$(part 2026-12-02 01)"
  expect_error EntityNotFoundException $cli glue get-partition --database-name "$lc" --table-name access --partition-values 2026-12-02 00
  run $cli glue batch-get-partition --database-name "$lc" --table-name access \
      --partitions-to-get '[{"Values":["2026-12-02","01"]},{"Values":["x","y"]}]'
  check "$cli batch-get-partition" "[p['StorageDescriptor']['Location'] for p in o['Partitions']] == ['s3://logs/access/dt=2026-12-02/hour=01/']"
  run $cli glue batch-delete-partition --database-name "$lc" --table-name access \
      --partitions-to-delete '[{"Values":["2026-12-02","01"]},{"Values":["x","y"]}]'
  check "$cli batch-delete-partition" "[(e['PartitionValues'], e['ErrorDetail']['ErrorCode']) for e in o['Errors']] == [(['x','y'],'EntityNotFoundException')]"
  run $cli glue create-partition --database-name "$lc" --table-name access --partition-input "$(part 2026-12-03 00)"
  run $cli glue delete-partition --database-name "$lc" --table-name access --partition-values 2026-12-03 00
  expect_error EntityNotFoundException $cli glue delete-partition --database-name "$lc" --table-name access --partition-values 2026-12-03 00

  run $cli glue delete-table --database-name "$lc" --name t4
  expect_error EntityNotFoundException $cli glue delete-table --database-name "$lc" --name t4
  if [ "$cli" = "$AWS2" ]; then
    run $cli glue delete-database --name "$lc"
    expect_error EntityNotFoundException $cli glue get-tables --database-name "$lc"
    expect_error EntityNotFoundException $cli glue delete-database --name "$lc"
  else
    SURVIVOR=$lc
  fi
done

# Malformed requests get Glue's error shapes, and the region keeps serving.
expect_http 400 "SerializationException" -X POST -H "X-Amz-Target: AWSGlue.GetTable" \
    -H "Content-Type: application/x-amz-json-1.1" --data '{not json' "$ENDPOINT/"
expect_http 400 "UnknownOperationException" -X POST -H "X-Amz-Target: AWSGlue.StartCrawler" \
    -H "Content-Type: application/x-amz-json-1.1" --data '{}' "$ENDPOINT/"
expect_http 400 "InvalidInputException" -X POST -H "X-Amz-Target: AWSGlue.GetTable" \
    -H "Content-Type: application/x-amz-json-1.1" --data '{"DatabaseName": 5, "Name": "x"}' "$ENDPOINT/"
expect_http 400 "InvalidInputException" -X POST -H "X-Amz-Target: AWSGlue.CreateTable" \
    -H "Content-Type: application/x-amz-json-1.1" --data '{"DatabaseName": "x"}' "$ENDPOINT/"
expect_http 400 "InvalidInputException" -X POST -H "X-Amz-Target: AWSGlue.CreateDatabase" \
    -H "Content-Type: application/x-amz-json-1.1" --data "{\"DatabaseInput\": {\"Name\": \"$(head -c 256 /dev/zero | tr '\0' a)\"}}" "$ENDPOINT/"
many=$(python3 -c "import json;print(json.dumps([{'Values':['d',str(i)]} for i in range(101)]))")
expect_error InvalidInputException $AWS1 glue batch-create-partition --database-name "$SURVIVOR" \
    --table-name access --partition-input-list "$many"
run $AWS1 glue get-databases && check "still serving" "'$SURVIVOR' in [d['Name'] for d in o['DatabaseList']]"

# Durability: the catalog is there after a restart on the same --state.
region_stop
region_start --state "$STATE"
run $AWS1 glue get-table --database-name "$SURVIVOR" --name access
check "restart keeps the table" "o['Table']['Description'] == 'updated'"
run $AWS2 glue get-partitions --database-name "$SURVIVOR" --table-name access
check "restart keeps the partitions" "sorted(p['Values'][1] for p in o['Partitions']) == ['00','01','02','03']"
run $AWS2 glue get-tables --database-name "$SURVIVOR"
check "restart keeps the delete" "sorted(t['Name'] for t in o['TableList']) == ['access','t1','t2','t3']"
finish
