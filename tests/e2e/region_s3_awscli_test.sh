#!/usr/bin/env bash
# Every S3 operation of the local region through both awscli versions (`aws s3api` and the
# high-level `aws s3` commands): buckets, objects with ranges and metadata, listings with
# pagination over 1,100 keys, DeleteObjects, copies, multipart uploads (a 20 MB `aws s3 cp`
# compared by sha256), bucket notifications delivered to SQS, then malformed requests.
# awscli 1.45 sends aws-chunked bodies with CRC32 trailers; awscli 2.9 plain bodies with
# Content-MD5. Error cases run with awscli 2 (the one the issue names).
source "$(dirname "$0")/lib/region.sh"
region_start

# err CODE CLI ARGS...: an error case, checked with awscli 2 only (each awscli start costs
# more than a second; the error shapes do not depend on the client).
err() {
  [ "$2" = "$AWS2" ] || return 0
  expect_error "$@"
}
# ok NAME COMMAND...: counts a shell condition as a check.
ok() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}
# s3cmd CLI ARGS...: a high-level `aws s3` command; its text output goes to TEXT.
s3cmd() {
  local cli=$1
  shift
  local quiet=--only-show-errors
  [ "$1" = ls ] && quiet=""
  if ! TEXT=$("$cli" --endpoint-url "$ENDPOINT" s3 "$@" $quiet 2>"$WORK/err"); then
    echo "FAIL: $cli s3 $*"
    sed 's/^/    /' "$WORK/err"
    failed=$((failed + 1))
    TEXT=""
    return 1
  fi
  passed=$((passed + 1))
}
md5() { python3 -c "import hashlib,sys;print(hashlib.md5(open(sys.argv[1],'rb').read()).hexdigest())" "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
field() { OUT="$OUT" python3 -c "import json,os;o=json.loads(os.environ['OUT']);print($1)"; }

printf 'hello, region' >"$WORK/small.txt"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$WORK/part1.bin"
printf 'the last part' >"$WORK/part2.bin"
head -c 20000000 /dev/urandom >"$WORK/big.bin"

n=0
for cli in $AWS1 $AWS2; do
  n=$((n + 1))
  b="bucket-$n-$RANDOM"
  echo "--- $cli ($b)"

  # Buckets.
  run $cli s3api create-bucket --bucket "$b" && check "$cli create-bucket" "o['Location'] == '/$b'"
  err BucketAlreadyOwnedByYou $cli s3api create-bucket --bucket "$b"
  err InvalidBucketName $cli s3api create-bucket --bucket "Not_Valid"
  run $cli s3api list-buckets && check "$cli list-buckets" "'$b' in [x['Name'] for x in o['Buckets']]"
  run $cli s3api head-bucket --bucket "$b" && check "$cli head-bucket" "True"
  err 404 $cli s3api head-bucket --bucket "no-such-bucket-$n"
  run $cli s3api get-bucket-location --bucket "$b" && check "$cli get-bucket-location" "o.get('LocationConstraint') in (None, '')"

  # Objects.
  run $cli s3api put-object --bucket "$b" --key "docs/hello world.txt" --body "$WORK/small.txt" \
      --content-type text/plain --metadata team=infra,tier=gold
  check "$cli put-object etag" "o['ETag'] == '\"$(md5 "$WORK/small.txt")\"'"
  run $cli s3api head-object --bucket "$b" --key "docs/hello world.txt"
  check "$cli head-object" "o['ContentLength'] == 13 and o['ContentType'] == 'text/plain' and o['Metadata'] == {'team':'infra','tier':'gold'} and o['AcceptRanges'] == 'bytes'"
  etag=$(field "o['ETag']")
  run $cli s3api get-object --bucket "$b" --key "docs/hello world.txt" --range bytes=7-12 "$WORK/range.out"
  check "$cli get-object range" "o['ContentRange'] == 'bytes 7-12/13' and o['ContentLength'] == 6"
  ok "$cli range bytes" [ "$(cat "$WORK/range.out")" = "region" ]
  run $cli s3api get-object --bucket "$b" --key "docs/hello world.txt" "$WORK/whole.out"
  check "$cli get-object" "o['ETag'] == '$etag' and o['Metadata']['team'] == 'infra'"
  ok "$cli get-object bytes" cmp -s "$WORK/whole.out" "$WORK/small.txt"
  err InvalidRange $cli s3api get-object --bucket "$b" --key "docs/hello world.txt" --range bytes=13- "$WORK/x"
  err NoSuchKey $cli s3api get-object --bucket "$b" --key nope "$WORK/x"
  err NoSuchBucket $cli s3api get-object --bucket "no-such-bucket-$n" --key nope "$WORK/x"
  err 304 $cli s3api get-object --bucket "$b" --key "docs/hello world.txt" --if-none-match "$etag" "$WORK/x"
  err PreconditionFailed $cli s3api get-object --bucket "$b" --key "docs/hello world.txt" --if-match '"0000"' "$WORK/x"
  run $cli s3api copy-object --bucket "$b" --key "docs/copy.txt" --copy-source "$b/docs/hello world.txt"
  check "$cli copy-object" "o['CopyObjectResult']['ETag'] == '$etag'"
  run $cli s3api put-object --bucket "$b" --key "top.txt" --body "$WORK/small.txt"
  run $cli s3api list-objects-v2 --bucket "$b" --delimiter /
  check "$cli list-objects-v2 delimiter" "[c['Prefix'] for c in o['CommonPrefixes']] == ['docs/'] and [c['Key'] for c in o['Contents']] == ['top.txt']"
  run $cli s3api list-objects-v2 --bucket "$b" --prefix docs/
  check "$cli list-objects-v2 prefix" "[c['Key'] for c in o['Contents']] == ['docs/copy.txt', 'docs/hello world.txt'] and o['Contents'][0]['Size'] == 13 and o['Contents'][0]['StorageClass'] == 'STANDARD'"
  run $cli s3api list-objects --bucket "$b" --delimiter / --prefix docs/
  check "$cli list-objects v1" "len(o['Contents']) == 2"
  run $cli s3api delete-objects --bucket "$b" --delete '{"Objects":[{"Key":"docs/copy.txt"},{"Key":"missing"}]}'
  check "$cli delete-objects" "sorted(d['Key'] for d in o['Deleted']) == ['docs/copy.txt', 'missing'] and not o.get('Errors')"
  run $cli s3api delete-objects --bucket "$b" --delete '{"Objects":[{"Key":"top.txt"}],"Quiet":true}'
  check "$cli delete-objects quiet" "not o.get('Deleted')"
  run $cli s3api delete-object --bucket "$b" --key "docs/hello world.txt"
  err 404 $cli s3api head-object --bucket "$b" --key "docs/hello world.txt"

  # Multipart through s3api.
  run $cli s3api create-multipart-upload --bucket "$b" --key mp.bin --content-type application/octet-stream
  upload=$(field "o['UploadId']")
  check "$cli create-multipart-upload" "o['Key'] == 'mp.bin' and len(o['UploadId']) > 10"
  run $cli s3api upload-part --bucket "$b" --key mp.bin --upload-id "$upload" --part-number 1 --body "$WORK/part1.bin"
  e1=$(field "o['ETag']")
  run $cli s3api upload-part --bucket "$b" --key mp.bin --upload-id "$upload" --part-number 2 --body "$WORK/part2.bin"
  e2=$(field "o['ETag']")
  check "$cli upload-part" "o['ETag'] == '\"$(md5 "$WORK/part2.bin")\"'"
  run $cli s3api list-parts --bucket "$b" --key mp.bin --upload-id "$upload"
  check "$cli list-parts" "[p['PartNumber'] for p in o['Parts']] == [1, 2] and o['Parts'][0]['Size'] == 5242880"
  run $cli s3api list-multipart-uploads --bucket "$b" && check "$cli list-multipart-uploads" "[u['UploadId'] for u in o['Uploads']] == ['$upload']"
  err InvalidPart $cli s3api complete-multipart-upload --bucket "$b" --key mp.bin --upload-id "$upload" \
      --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e2}]}"
  err InvalidPartOrder $cli s3api complete-multipart-upload --bucket "$b" --key mp.bin --upload-id "$upload" \
      --multipart-upload "{\"Parts\":[{\"PartNumber\":2,\"ETag\":$e2},{\"PartNumber\":1,\"ETag\":$e1}]}"
  run $cli s3api complete-multipart-upload --bucket "$b" --key mp.bin --upload-id "$upload" \
      --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}"
  check "$cli complete-multipart-upload" "o['ETag'].endswith('-2\"') and o['Key'] == 'mp.bin' and o['Bucket'] == '$b'"
  run $cli s3api get-object --bucket "$b" --key mp.bin "$WORK/mp.out"
  check "$cli multipart object" "o['ContentLength'] == 5242880 + 13"
  ok "$cli multipart bytes" [ "$(sha "$WORK/mp.out")" = "$(cat "$WORK/part1.bin" "$WORK/part2.bin" | sha256sum | cut -d' ' -f1)" ]
  run $cli s3api create-multipart-upload --bucket "$b" --key small.bin
  small=$(field "o['UploadId']")
  run $cli s3api upload-part --bucket "$b" --key small.bin --upload-id "$small" --part-number 1 --body "$WORK/part2.bin"
  s1=$(field "o['ETag']")
  run $cli s3api upload-part --bucket "$b" --key small.bin --upload-id "$small" --part-number 2 --body "$WORK/part2.bin"
  err EntityTooSmall $cli s3api complete-multipart-upload --bucket "$b" --key small.bin --upload-id "$small" \
      --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$s1},{\"PartNumber\":2,\"ETag\":$s1}]}"
  run $cli s3api abort-multipart-upload --bucket "$b" --key small.bin --upload-id "$small"
  err NoSuchUpload $cli s3api list-parts --bucket "$b" --key small.bin --upload-id "$small"
  run $cli s3api list-multipart-uploads --bucket "$b" && check "$cli no uploads left" "not o.get('Uploads')"

  # High-level commands: a 20 MB multipart upload, download, copy, ls, rm.
  s3cmd $cli cp "$WORK/big.bin" "s3://$b/big/big.bin"
  s3cmd $cli cp "s3://$b/big/big.bin" "$WORK/big.out"
  ok "$cli 20 MB sha256" [ "$(sha "$WORK/big.out")" = "$(sha "$WORK/big.bin")" ]
  run $cli s3api head-object --bucket "$b" --key big/big.bin && check "$cli 20 MB was multipart" "o['ContentLength'] == 20000000 and '-' in o['ETag']"
  s3cmd $cli cp "s3://$b/big/big.bin" "s3://$b/big/copy.bin"
  s3cmd $cli ls "s3://$b/big/"
  ok "$cli s3 ls" [ "$(echo "$TEXT" | awk '{print $3, $4}' | sort | tr '\n' ' ')" = "20000000 big.bin 20000000 copy.bin " ]
  s3cmd $cli ls
  ok "$cli s3 ls buckets" grep -q " $b\$" <<<"$TEXT"
  s3cmd $cli rm --recursive "s3://$b/big/"
  run $cli s3api list-objects-v2 --bucket "$b" --prefix big/ && check "$cli s3 rm" "not o.get('Contents')"

  # Notifications into SQS.
  run $cli sqs create-queue --queue-name "s3-events-$n"
  qurl=$(field "o['QueueUrl']")
  qarn="arn:aws:sqs:us-east-1:000000000000:s3-events-$n"
  err InvalidArgument $cli s3api put-bucket-notification-configuration --bucket "$b" \
      --notification-configuration '{"QueueConfigurations":[{"QueueArn":"arn:aws:sqs:us-east-1:000000000000:nope","Events":["s3:ObjectCreated:*"]}]}'
  run $cli s3api put-bucket-notification-configuration --bucket "$b" --notification-configuration \
      "{\"QueueConfigurations\":[{\"Id\":\"logs\",\"QueueArn\":\"$qarn\",\"Events\":[\"s3:ObjectCreated:*\"],\"Filter\":{\"Key\":{\"FilterRules\":[{\"Name\":\"prefix\",\"Value\":\"service-logs/\"},{\"Name\":\"suffix\",\"Value\":\".gz\"}]}}}]}"
  run $cli s3api get-bucket-notification-configuration --bucket "$b"
  check "$cli get-bucket-notification-configuration" "o['QueueConfigurations'][0]['QueueArn'] == '$qarn' and o['QueueConfigurations'][0]['Events'] == ['s3:ObjectCreated:*'] and sorted(r['Name'].lower() for r in o['QueueConfigurations'][0]['Filter']['Key']['FilterRules']) == ['prefix', 'suffix']"
  run $cli sqs receive-message --queue-url "$qurl" --wait-time-seconds 1
  check "$cli s3:TestEvent" "json.loads(o['Messages'][0]['Body'])['Event'] == 's3:TestEvent' and json.loads(o['Messages'][0]['Body'])['Bucket'] == '$b'"
  run $cli sqs delete-message --queue-url "$qurl" --receipt-handle "$(field "o['Messages'][0]['ReceiptHandle']")"
  run $cli s3api put-object --bucket "$b" --key "service-logs/web/a b.gz" --body "$WORK/small.txt"
  run $cli s3api put-object --bucket "$b" --key "service-logs/web/skipped.txt" --body "$WORK/small.txt"
  run $cli sqs receive-message --queue-url "$qurl" --wait-time-seconds 1 --max-number-of-messages 10
  check "$cli one event" "len(o['Messages']) == 1"
  check "$cli event json" "(lambda r: r['eventSource'] == 'aws:s3' and r['eventVersion'] == '2.1' and r['eventName'] == 'ObjectCreated:Put' and r['awsRegion'] == 'us-east-1' and r['s3']['configurationId'] == 'logs' and r['s3']['bucket']['name'] == '$b' and r['s3']['bucket']['arn'] == 'arn:aws:s3:::$b' and r['s3']['object']['key'] == 'service-logs/web/a+b.gz' and r['s3']['object']['size'] == 13 and r['s3']['object']['eTag'] == '$(md5 "$WORK/small.txt")' and len(r['s3']['object']['sequencer']) > 0)(json.loads(o['Messages'][0]['Body'])['Records'][0])"

  # Deleting a bucket.
  err BucketNotEmpty $cli s3api delete-bucket --bucket "$b"
  s3cmd $cli rm --recursive "s3://$b/"
  run $cli s3api delete-bucket --bucket "$b"
  err 404 $cli s3api head-bucket --bucket "$b"
done

# 1,100 keys (written over one keep-alive connection: awscli would take minutes), listed with
# pagination by both awscli versions, then removed with `aws s3 rm --recursive`.
b="many-$RANDOM"
run $AWS2 s3api create-bucket --bucket "$b"
ENDPOINT="$ENDPOINT" python3 - "$b" <<'PY' || { echo "FAIL: writing 1,100 keys"; failed=$((failed + 1)); }
import http.client, os, sys, urllib.parse
url = urllib.parse.urlparse(os.environ["ENDPOINT"])
conn = http.client.HTTPConnection(url.hostname, url.port)
for i in range(1, 1101):
    conn.request("PUT", "/%s/many/k%04d" % (sys.argv[1], i), body=b"%04d" % i)
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200, resp.status
PY
summary="{n: length(Contents), first: Contents[0].Key, last: Contents[-1].Key, keys: KeyCount, truncated: IsTruncated, token: NextContinuationToken}"
for cli in $AWS1 $AWS2; do
  run $cli s3api list-objects-v2 --bucket "$b" --prefix many/ --query "$summary"
  check "$cli 1,100 keys (auto-paginated)" "o['n'] == 1100 and o['first'] == 'many/k0001' and o['last'] == 'many/k1100'"
  run $cli s3api list-objects-v2 --bucket "$b" --max-keys 500 --no-paginate --query "$summary"
  check "$cli first page" "o['n'] == 500 and o['keys'] == 500 and o['truncated'] and o['token']"
  token=$(field "o['token']")
  run $cli s3api list-objects-v2 --bucket "$b" --max-keys 1000 --continuation-token "$token" --no-paginate --query "$summary"
  check "$cli second page" "o['n'] == 600 and o['first'] == 'many/k0501' and o['keys'] == 600 and not o['truncated']"
  run $cli s3api list-objects-v2 --bucket "$b" --start-after many/k1095 --no-paginate --query "Contents[].Key"
  check "$cli start-after" "o == ['many/k1096','many/k1097','many/k1098','many/k1099','many/k1100']"
  run $cli s3api list-objects-v2 --bucket "$b" --delimiter 1 --prefix many/k --query "{p: CommonPrefixes[].Prefix, k: Contents[].Key}"
  check "$cli delimiter rolls up" "(lambda ks: sorted(o['p']) == sorted({'many/k' + k[:k.index('1') + 1] for k in ks if '1' in k}) and o['k'] == ['many/k' + k for k in ks if '1' not in k])(['%04d' % i for i in range(1, 1101)])"
  run $cli s3api list-objects --bucket "$b" --prefix many/ --query "{n: length(Contents), last: Contents[-1].Key}"
  check "$cli list-objects v1 paginated" "o['n'] == 1100 and o['last'] == 'many/k1100'"
  s3cmd $cli ls "s3://$b/many/"
  ok "$cli s3 ls 1,100" [ "$(echo "$TEXT" | wc -l)" -eq 1100 ]
done
s3cmd $AWS1 rm --recursive "s3://$b/"
run $AWS2 s3api list-objects-v2 --bucket "$b" && check "rm --recursive" "not o.get('Contents')"

# Malformed requests get S3's error document, and the region keeps serving.
run $AWS1 s3api create-bucket --bucket malformed
expect_http 400 "<Code>MalformedXML</Code>" -X POST --data '<Delete><Object><Key>x' "$ENDPOINT/malformed?delete"
expect_http 400 "<Code>MalformedXML</Code>" -X POST --data '<Delete></Delete>' "$ENDPOINT/malformed?delete"
run $AWS1 s3api create-multipart-upload --bucket malformed --key k
upload=$(field "o['UploadId']")
expect_http 400 "<Code>MalformedXML</Code>" -X POST --data 'no xml here' "$ENDPOINT/malformed/k?uploadId=$upload"
expect_http 400 "<Code>MalformedXML</Code>" -X POST \
    --data '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>' \
    "$ENDPOINT/malformed/k?uploadId=$upload"
expect_http 404 "<Code>NoSuchUpload</Code>" -X POST \
    --data '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>' \
    "$ENDPOINT/malformed/k?uploadId=nope"
expect_http 400 "<Code>MalformedXML</Code>" -X PUT --data '<NotificationConfiguration><Queue' "$ENDPOINT/malformed?notification"
expect_http 400 "<Code>BadDigest</Code>" -X PUT -H "Content-MD5: XrY7u+Ae7tCTyyK7j1rNww==" --data 'not hello world' "$ENDPOINT/malformed/k"
expect_http 400 "<Code>InvalidDigest</Code>" -X PUT -H "Content-MD5: short" --data 'x' "$ENDPOINT/malformed/k"
expect_http 400 "<Code>IncompleteBody</Code>" -X PUT -H "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER" \
    --data-binary $'ff\r\ntoo short' "$ENDPOINT/malformed/k"
expect_http 501 "<Code>NotImplemented</Code>" "$ENDPOINT/malformed?policy"
expect_http 404 "<Key>no such key</Key>" "$ENDPOINT/malformed/no%20such%20key"
expect_http 405 "<Code>MethodNotAllowed</Code>" -X DELETE "$ENDPOINT/"
expect_http 413 "bad request" -X PUT --data-binary @<(head -c 70000000 /dev/zero) "$ENDPOINT/malformed/huge"
run $AWS2 s3api list-buckets && check "still serving" "'malformed' in [x['Name'] for x in o['Buckets']]"
finish
