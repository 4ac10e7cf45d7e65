#!/usr/bin/env bash
# SNS and EventBridge in the local region through both awscli versions (awscli 1.45 from PATH
# and Debian's awscli 2.9): topics and subscriptions delivering SNS's envelope or raw messages
# into SQS, filter policies; rules with event patterns delivering matching events (and only
# those) to SQS targets. Then malformed requests, and a restart that must keep topics, rules and
# targets (--state).
source "$(dirname "$0")/lib/region.sh"
STATE="$WORK/state"
region_start --state "$STATE"

ACCOUNT=000000000000
keep_tags=""
# py EXPR: evaluates Python over `o` (the parsed OUT) and prints it.
py() { OUT="$OUT" python3 -c "import json,os; o=json.loads(os.environ['OUT'] or '{}'); print($1)"; }
# queue NAME: creates a queue, sets QURL and QARN.
queue() {
  run $cli sqs create-queue --queue-name "$1"
  QURL=$(py "o['QueueUrl']")
  QARN="arn:aws:sqs:us-east-1:$ACCOUNT:$1"
}
# receive URL: one receive of up to 10 messages with their attributes into OUT.
receive() {
  run $cli sqs receive-message --queue-url "$1" --max-number-of-messages 10 --wait-time-seconds 1 --visibility-timeout 600 \
      --message-attribute-names All --attribute-names All
}

for cli in $AWS1 $AWS2; do
  tag="$(basename $cli)-$RANDOM"
  topic_name="topic-$tag"
  topic="arn:aws:sns:us-east-1:$ACCOUNT:$topic_name"

  # --- SNS: topics -------------------------------------------------------------------------
  run $cli sns create-topic --name "$topic_name" --attributes DisplayName=Steady --tags Key=team,Value=ops
  check "$cli create-topic" "o['TopicArn'] == '$topic'"
  run $cli sns create-topic --name "$topic_name" --attributes DisplayName=Steady
  check "$cli create-topic is idempotent" "o['TopicArn'] == '$topic'"
  expect_error "InvalidParameter" $cli sns create-topic --name "$topic_name" --attributes DisplayName=Other
  expect_error "InvalidParameter" $cli sns create-topic --name "bad name"
  run $cli sns list-topics
  check "$cli list-topics" "'$topic' in [t['TopicArn'] for t in o['Topics']]"
  run $cli sns get-topic-attributes --topic-arn "$topic"
  check "$cli get-topic-attributes" "o['Attributes']['DisplayName'] == 'Steady' and o['Attributes']['TopicArn'] == '$topic' and o['Attributes']['Owner'] == '$ACCOUNT'"
  expect_error "NotFound" $cli sns get-topic-attributes --topic-arn "$topic-missing"

  # --- SNS: envelope delivery --------------------------------------------------------------
  queue "env-$tag"; env_url=$QURL; env_arn=$QARN
  run $cli sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$env_arn" \
      --return-subscription-arn
  check "$cli subscribe" "o['SubscriptionArn'].startswith('$topic:')"
  env_sub=$(py "o['SubscriptionArn']")
  run $cli sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$env_arn"
  check "$cli subscribe again is the same subscription" "o['SubscriptionArn'] == '$env_sub'"
  run $cli sns publish --topic-arn "$topic" --subject "Deploy done" --message "service web is steady" \
      --message-attributes '{"kind":{"DataType":"String","StringValue":"deploy"},"count":{"DataType":"Number","StringValue":"3"}}'
  check "$cli publish" "len(o['MessageId']) == 36"
  message_id=$(py "o['MessageId']")
  receive "$env_url"
  check "$cli one envelope arrives" "len(o['Messages']) == 1"
  body=$(py "o['Messages'][0]['Body']")
  OUT="$body"
  check "$cli envelope Type/MessageId/TopicArn" "o['Type'] == 'Notification' and o['MessageId'] == '$message_id' and o['TopicArn'] == '$topic'"
  check "$cli envelope Subject/Message" "o['Subject'] == 'Deploy done' and o['Message'] == 'service web is steady'"
  check "$cli envelope Timestamp" "__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', o['Timestamp']) is not None"
  check "$cli envelope signature fields" "o['SignatureVersion'] == '1' and len(__import__('base64').b64decode(o['Signature'], validate=True)) == 256 and o['SigningCertURL'].endswith('.pem')"
  check "$cli envelope UnsubscribeURL" "o['UnsubscribeURL'].endswith('Action=Unsubscribe&SubscriptionArn=$env_sub')"
  check "$cli envelope MessageAttributes" "o['MessageAttributes'] == {'kind': {'Type': 'String', 'Value': 'deploy'}, 'count': {'Type': 'Number', 'Value': '3'}}"

  # --- SNS: raw delivery, attributes, filter policy, message structure -------------------------
  queue "raw-$tag"; raw_url=$QURL; raw_arn=$QARN
  run $cli sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$raw_arn" \
      --attributes RawMessageDelivery=true
  raw_sub=$(py "o['SubscriptionArn']")
  run $cli sns get-subscription-attributes --subscription-arn "$raw_sub"
  check "$cli get-subscription-attributes" "o['Attributes']['RawMessageDelivery'] == 'true' and o['Attributes']['Endpoint'] == '$raw_arn' and o['Attributes']['Protocol'] == 'sqs'"
  queue "filtered-$tag"; filtered_url=$QURL; filtered_arn=$QARN
  run $cli sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$filtered_arn" \
      --attributes '{"FilterPolicy":"{\"kind\":[\"keep\"],\"size\":[{\"numeric\":[\">\",10]}]}","RawMessageDelivery":"true"}'
  filtered_sub=$(py "o['SubscriptionArn']")
  run $cli sns list-subscriptions-by-topic --topic-arn "$topic"
  check "$cli list-subscriptions-by-topic" "sorted(s['Endpoint'] for s in o['Subscriptions']) == sorted(['$env_arn','$raw_arn','$filtered_arn']) and all(s['Protocol'] == 'sqs' and s['Owner'] == '$ACCOUNT' for s in o['Subscriptions'])"
  run $cli sns list-subscriptions
  check "$cli list-subscriptions" "'$raw_sub' in [s['SubscriptionArn'] for s in o['Subscriptions']]"

  run $cli sns publish --topic-arn "$topic" --message '{"raw":"body"}' \
      --message-attributes '{"kind":{"DataType":"String","StringValue":"keep"},"size":{"DataType":"Number","StringValue":"42"}}'
  run $cli sns publish --topic-arn "$topic" --message 'dropped by the filter' \
      --message-attributes '{"kind":{"DataType":"String","StringValue":"drop"},"size":{"DataType":"Number","StringValue":"42"}}'
  receive "$raw_url"
  check "$cli raw delivery: the bodies as published" "sorted(m['Body'] for m in o['Messages']) == sorted(['{\"raw\":\"body\"}', 'dropped by the filter'])"
  check "$cli raw delivery: SNS attributes become SQS attributes" "[m for m in o['Messages'] if m['Body'].startswith('{')][0]['MessageAttributes']['kind'] == {'StringValue': 'keep', 'DataType': 'String'}"
  receive "$filtered_url"
  check "$cli filter policy lets only the matching message through" "[m['Body'] for m in o['Messages']] == ['{\"raw\":\"body\"}']"
  receive "$env_url"
  check "$cli the unfiltered subscription got both" "len(o['Messages']) == 2"

  run $cli sns set-subscription-attributes --subscription-arn "$raw_sub" \
      --attribute-name RawMessageDelivery --attribute-value false
  run $cli sns publish --topic-arn "$topic" --message-structure json \
      --message '{"default":"for everyone","sqs":"for queues"}'
  receive "$raw_url"
  check "$cli raw turned off: envelope, with the sqs message" "json.loads(o['Messages'][0]['Body'])['Message'] == 'for queues'"
  expect_error "InvalidParameter" $cli sns set-subscription-attributes --subscription-arn "$raw_sub" \
      --attribute-name RawMessageDelivery --attribute-value maybe

  run $cli sns unsubscribe --subscription-arn "$filtered_sub"
  run $cli sns publish --topic-arn "$topic" --message "after unsubscribe" \
      --message-attributes '{"kind":{"DataType":"String","StringValue":"keep"},"size":{"DataType":"Number","StringValue":"42"}}'
  receive "$filtered_url"
  check "$cli unsubscribed queue gets nothing" "not o.get('Messages')"
  expect_error "NotFound" $cli sns unsubscribe --subscription-arn "$filtered_sub"
  expect_error "NotFound" $cli sns publish --topic-arn "$topic-missing" --message x
  expect_error "InvalidParameter" $cli sns subscribe --topic-arn "$topic" --protocol pigeon --notification-endpoint x
  expect_error "InvalidParameter" $cli sns publish --topic-arn "$topic" --message x --message-structure json
  expect_error "NotFound" $cli sns get-subscription-attributes --subscription-arn "$topic:00000000-0000-0000-0000-000000000000"

  # --- EventBridge ---------------------------------------------------------------------------
  rule="orders-$tag"
  queue "events-$tag"; ev_url=$QURL; ev_arn=$QARN
  queue "detail-$tag"; detail_url=$QURL; detail_arn=$QARN
  pattern='{"source":["shop.orders"],"detail":{"total":[{"numeric":[">",100]}],"state":[{"anything-but":"test"}]}}'
  run $cli events put-rule --name "$rule" --event-pattern "$pattern" --description "big orders"
  check "$cli put-rule" "o['RuleArn'] == 'arn:aws:events:us-east-1:$ACCOUNT:rule/$rule'"
  run $cli events describe-rule --name "$rule"
  check "$cli describe-rule" "o['Name'] == '$rule' and o['State'] == 'ENABLED' and o['EventBusName'] == 'default' and json.loads(o['EventPattern']) == json.loads('$pattern') and o['Description'] == 'big orders'"
  run $cli events list-rules --name-prefix "orders-$tag"
  check "$cli list-rules" "[r['Name'] for r in o['Rules']] == ['$rule']"
  run $cli events put-targets --rule "$rule" \
      --targets "[{\"Id\":\"whole\",\"Arn\":\"$ev_arn\"},{\"Id\":\"detail\",\"Arn\":\"$detail_arn\",\"InputPath\":\"\$.detail\"}]"
  check "$cli put-targets" "o['FailedEntryCount'] == 0 and o['FailedEntries'] == []"
  run $cli events put-targets --rule "$rule" --targets '[{"Id":"broken","Arn":"not-an-arn"}]'
  check "$cli put-targets reports a bad entry" "o['FailedEntryCount'] == 1 and o['FailedEntries'][0]['TargetId'] == 'broken'"
  run $cli events list-targets-by-rule --rule "$rule"
  check "$cli list-targets-by-rule" "sorted((t['Id'], t['Arn'], t.get('InputPath')) for t in o['Targets']) == [('detail', '$detail_arn', '\$.detail'), ('whole', '$ev_arn', None)]"

  run $cli events put-events --entries '[
      {"Source":"shop.orders","DetailType":"Order Placed","Detail":"{\"total\":250,\"state\":\"new\"}","Resources":["arn:aws:shop:::order/1"]},
      {"Source":"shop.orders","DetailType":"Order Placed","Detail":"{\"total\":50,\"state\":\"new\"}"},
      {"Source":"shop.orders","DetailType":"Order Placed","Detail":"{\"total\":500,\"state\":\"test\"}"},
      {"Source":"shop.returns","DetailType":"Order Placed","Detail":"{\"total\":500,\"state\":\"new\"}"}]'
  check "$cli put-events" "o['FailedEntryCount'] == 0 and len(o['Entries']) == 4 and all(len(e['EventId']) == 36 for e in o['Entries'])"
  event_id=$(py "o['Entries'][0]['EventId']")
  receive "$ev_url"
  check "$cli only the matching event arrives" "len(o['Messages']) == 1"
  OUT=$(py "o['Messages'][0]['Body']")
  check "$cli event envelope" "o['version'] == '0' and o['id'] == '$event_id' and o['detail-type'] == 'Order Placed' and o['source'] == 'shop.orders' and o['account'] == '$ACCOUNT' and o['region'] == 'us-east-1'"
  check "$cli event time, resources, detail" "__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', o['time']) is not None and o['resources'] == ['arn:aws:shop:::order/1'] and o['detail'] == {'total': 250, 'state': 'new'}"
  receive "$detail_url"
  check "$cli InputPath target gets the detail" "[json.loads(m['Body']) for m in o['Messages']] == [{'total': 250, 'state': 'new'}]"

  run $cli events disable-rule --name "$rule"
  run $cli events put-events --entries '[{"Source":"shop.orders","DetailType":"x","Detail":"{\"total\":999,\"state\":\"new\"}"}]'
  receive "$ev_url"
  check "$cli disabled rule delivers nothing" "not o.get('Messages')"
  run $cli events enable-rule --name "$rule"
  run $cli events describe-rule --name "$rule"
  check "$cli enable-rule" "o['State'] == 'ENABLED'"

  run $cli events put-events --entries '[{"Source":"shop.orders","DetailType":"x","Detail":"{not json"},{"Source":"shop.orders","DetailType":"x","Detail":"{\"total\":101,\"state\":\"new\"}"}]'
  check "$cli put-events fails the malformed entry alone" "o['FailedEntryCount'] == 1 and o['Entries'][0]['ErrorCode'] == 'MalformedDetail' and 'EventId' in o['Entries'][1]"
  receive "$ev_url"
  check "$cli the good entry still arrives" "len(o['Messages']) == 1"

  run $cli events test-event-pattern --event-pattern "$pattern" \
      --event "{\"id\":\"1\",\"account\":\"$ACCOUNT\",\"source\":\"shop.orders\",\"time\":\"2024-01-01T00:00:00Z\",\"region\":\"us-east-1\",\"detail-type\":\"x\",\"detail\":{\"total\":101,\"state\":\"new\"}}"
  check "$cli test-event-pattern" "o['Result'] is True"
  expect_error "InvalidEventPatternException" $cli events put-rule --name "bad-$tag" --event-pattern '{"source":"not-an-array"}'
  expect_error "InvalidEventPatternException" $cli events put-rule --name "bad-$tag" --event-pattern '{"source":[{"numeric":[">",5,">",6]}]}'
  expect_error "ValidationException" $cli events delete-rule --name "$rule"
  expect_error "ResourceNotFoundException" $cli events put-targets --rule "missing-$tag" --targets "[{\"Id\":\"a\",\"Arn\":\"$ev_arn\"}]"

  # A second topic and rule stay for the restart check below.
  run $cli sns create-topic --name "keep-$tag"
  run $cli events put-rule --name "keep-$tag" --event-pattern '{"source":["shop.orders"]}'
  run $cli events put-targets --rule "keep-$tag" --targets "[{\"Id\":\"q\",\"Arn\":\"$ev_arn\"}]"

  run $cli events remove-targets --rule "$rule" --ids whole detail
  check "$cli remove-targets" "o['FailedEntryCount'] == 0"
  run $cli events delete-rule --name "$rule"
  expect_error "ResourceNotFoundException" $cli events describe-rule --name "$rule"
  run $cli sns delete-topic --topic-arn "$topic"
  run $cli sns list-topics
  check "$cli delete-topic" "'$topic' not in [t['TopicArn'] for t in o['Topics']]"
  expect_error "NotFound" $cli sns list-subscriptions-by-topic --topic-arn "$topic"
  keep_tags="$keep_tags $tag"
done

# --- Malformed requests get each service's error shape, and the region keeps serving. ------
SNS_AUTH="Authorization: AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00"
FORM="Content-Type: application/x-www-form-urlencoded"
expect_http 400 "<Code>InvalidParameter</Code>" -X POST -H "$FORM" \
    --data 'Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:x' "$ENDPOINT/"
expect_http 400 "<Code>InvalidParameter</Code>" -X POST -H "$FORM" \
    --data 'Action=CreateTopic&Version=2010-03-31' "$ENDPOINT/"
expect_http 404 "<Code>NotFound</Code>" -X POST -H "$FORM" \
    --data 'Action=GetTopicAttributes&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:none' "$ENDPOINT/"
expect_http 400 "sns.amazonaws.com/doc/2010-03-31" -X POST -H "$FORM" \
    --data 'Action=Subscribe&Version=2010-03-31&TopicArn=bad&Protocol=sqs' "$ENDPOINT/"
expect_http 400 "<Code>InvalidParameter</Code>" -X POST -H "$FORM" \
    --data 'Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:x&Message=m&MessageAttributes.entry.1.Name=a' "$ENDPOINT/"
expect_http 400 "<Code>InvalidAction</Code>" -X POST -H "$FORM" -H "$SNS_AUTH" \
    --data 'Action=Frobnicate&Version=2010-03-31' "$ENDPOINT/"
expect_http 400 "<Code>InvalidParameter</Code>" "$ENDPOINT/?Action=Unsubscribe&SubscriptionArn=junk"
EV_JSON="Content-Type: application/x-amz-json-1.1"
expect_http 400 '"SerializationException"' -X POST -H "X-Amz-Target: AWSEvents.PutRule" -H "$EV_JSON" \
    --data '{not json' "$ENDPOINT/"
expect_http 400 '"SerializationException"' -X POST -H "X-Amz-Target: AWSEvents.PutRule" -H "$EV_JSON" \
    --data '{"Name": 5}' "$ENDPOINT/"
expect_http 400 '"ValidationException"' -X POST -H "X-Amz-Target: AWSEvents.PutRule" -H "$EV_JSON" \
    --data '{}' "$ENDPOINT/"
expect_http 400 '"UnknownOperationException"' -X POST -H "X-Amz-Target: AWSEvents.Frobnicate" -H "$EV_JSON" \
    --data '{}' "$ENDPOINT/"
expect_http 400 '"InvalidEventPatternException"' -X POST -H "X-Amz-Target: AWSEvents.PutRule" -H "$EV_JSON" \
    --data '{"Name":"x","EventPattern":"{\"a\":[]}"}' "$ENDPOINT/"
expect_http 400 '"ResourceNotFoundException"' -X POST -H "X-Amz-Target: AWSEvents.DescribeRule" -H "$EV_JSON" \
    --data '{"Name":"never-made"}' "$ENDPOINT/"
expect_http 400 '"ValidationException"' -X POST -H "X-Amz-Target: AWSEvents.PutEvents" -H "$EV_JSON" \
    --data '{"Entries":[]}' "$ENDPOINT/"
expect_http 413 "" -X POST -H "X-Amz-Target: AWSEvents.PutEvents" -H "$EV_JSON" \
    --data-binary @<(head -c 70000000 /dev/zero) "$ENDPOINT/"
run $AWS2 sns list-topics && check "still serving SNS" "isinstance(o['Topics'], list)"
run $AWS1 events list-rules && check "still serving EventBridge" "isinstance(o['Rules'], list)"

# --- Restart on the same --state: topics, rules and targets are still there and deliver. -----
kill "$REGION_PID" && wait "$REGION_PID" 2>/dev/null
REGION_PID=""
region_start --state "$STATE"
for tag in $keep_tags; do
  cli=$AWS2
  run $cli sns list-topics
  check "restart keeps topic keep-$tag" "'arn:aws:sns:us-east-1:$ACCOUNT:keep-$tag' in [t['TopicArn'] for t in o['Topics']]"
  run $cli events list-targets-by-rule --rule "keep-$tag"
  check "restart keeps the targets of keep-$tag" "[t['Id'] for t in o['Targets']] == ['q']"
  run $cli events put-events --entries '[{"Source":"shop.orders","DetailType":"after restart","Detail":"{}"}]'
  run $cli sqs receive-message --queue-url "$ENDPOINT/$ACCOUNT/events-$tag" --max-number-of-messages 10
  check "restarted rule keep-$tag delivers" "[json.loads(m['Body'])['detail-type'] for m in o['Messages']].count('after restart') >= 1"
done
finish
