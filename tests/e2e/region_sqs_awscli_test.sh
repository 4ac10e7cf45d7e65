#!/usr/bin/env bash
# Every SQS operation of the local region through both awscli versions: awscli 1.45 speaks
# SQS's JSON protocol, Debian's awscli 2.9 its query protocol. Then malformed requests.
source "$(dirname "$0")/lib/region.sh"
region_start

for cli in $AWS1 $AWS2; do
  q="q-$(basename $cli)-$RANDOM"
  dlq="$q-dlq"
  run $cli sqs create-queue --queue-name "$dlq" && check "$cli create dlq" "o['QueueUrl'].endswith('/$dlq')"
  run $cli sqs get-queue-attributes --queue-url "$ENDPOINT/000000000000/$dlq" --attribute-names QueueArn
  dlq_arn=$(OUT="$OUT" python3 -c "import json,os;print(json.loads(os.environ['OUT'])['Attributes']['QueueArn'])")
  check "$cli dlq arn" "o['Attributes']['QueueArn'] == 'arn:aws:sqs:us-east-1:000000000000:$dlq'"
  redrive="{\"deadLetterTargetArn\":\"$dlq_arn\",\"maxReceiveCount\":\"1\"}"
  run $cli sqs create-queue --queue-name "$q" --attributes "{\"VisibilityTimeout\":\"1\",\"RedrivePolicy\":$(python3 -c "import json;print(json.dumps('$redrive'))")}"
  url=$(OUT="$OUT" python3 -c "import json,os;print(json.loads(os.environ['OUT'])['QueueUrl'])")
  check "$cli create" "o['QueueUrl'] == '$ENDPOINT/000000000000/$q'"
  run $cli sqs get-queue-url --queue-name "$q" && check "$cli get-queue-url" "o['QueueUrl'] == '$url'"
  run $cli sqs list-queues --queue-name-prefix "$q" && check "$cli list-queues" "sorted(o['QueueUrls']) == sorted(['$url', '$url-dlq'])"
  run $cli sqs set-queue-attributes --queue-url "$url" --attributes VisibilityTimeout=2
  run $cli sqs get-queue-attributes --queue-url "$url" --attribute-names All
  check "$cli attributes" "o['Attributes']['VisibilityTimeout'] == '2' and 'RedrivePolicy' in o['Attributes']"
  run $cli sqs send-message --queue-url "$url" --message-body "hello $cli" \
      --message-attributes '{"color":{"DataType":"String","StringValue":"red"}}'
  check "$cli send-message" "len(o['MessageId']) == 36 and o['MD5OfMessageBody'] and o['MD5OfMessageAttributes']"
  run $cli sqs send-message-batch --queue-url "$url" \
      --entries '[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two","DelaySeconds":0}]'
  check "$cli send-message-batch" "sorted(e['Id'] for e in o['Successful']) == ['a','b'] and not o.get('Failed')"
  run $cli sqs receive-message --queue-url "$url" --max-number-of-messages 10 \
      --attribute-names All --message-attribute-names All --wait-time-seconds 1 --visibility-timeout 30
  check "$cli receive-message" "sorted(m['Body'] for m in o['Messages']) == sorted(['hello $cli','one','two'])"
  check "$cli message attributes" "[m for m in o['Messages'] if m['Body'].startswith('hello')][0]['MessageAttributes']['color']['StringValue'] == 'red'"
  check "$cli receive count" "all(m['Attributes']['ApproximateReceiveCount'] == '1' for m in o['Messages'])"
  receipts=$(OUT="$OUT" python3 -c "import json,os;print(' '.join(m['ReceiptHandle'] for m in json.loads(os.environ['OUT'])['Messages']))")
  set -- $receipts
  run $cli sqs change-message-visibility --queue-url "$url" --receipt-handle "$1" --visibility-timeout 60
  run $cli sqs delete-message --queue-url "$url" --receipt-handle "$1"
  run $cli sqs delete-message-batch --queue-url "$url" --entries "[{\"Id\":\"x\",\"ReceiptHandle\":\"$2\"}]"
  check "$cli delete-message-batch" "o['Successful'] == [{'Id':'x'}]"
  run $cli sqs get-queue-attributes --queue-url "$url" --attribute-names ApproximateNumberOfMessagesNotVisible
  check "$cli one left in flight" "o['Attributes']['ApproximateNumberOfMessagesNotVisible'] == '1'"
  # The third message was received once (maxReceiveCount 1): once it is visible again it is
  # redriven to the dead-letter queue on the next receive instead of being delivered.
  run $cli sqs change-message-visibility --queue-url "$url" --receipt-handle "$3" --visibility-timeout 0
  run $cli sqs receive-message --queue-url "$url" && check "$cli redriven, not delivered" "not o.get('Messages')"
  run $cli sqs receive-message --queue-url "$url-dlq" && check "$cli dead letter" "o['Messages'][0]['Body'] in ('one','two','hello $cli')"
  run $cli sqs purge-queue --queue-url "$url-dlq"
  run $cli sqs delete-queue --queue-url "$url"
  expect_error "NonExistentQueue" $cli sqs get-queue-url --queue-name "$q"
  expect_error "NonExistentQueue" $cli sqs send-message --queue-url "$url" --message-body x
  expect_error "InvalidAttributeName" $cli sqs create-queue --queue-name bad --attributes Bogus=1
  expect_error "ReceiptHandleIsInvalid" $cli sqs delete-message --queue-url "$url-dlq" --receipt-handle junk
done

# Malformed requests get SQS's error shapes, and the region keeps serving.
expect_http 400 "SerializationException" -X POST -H "X-Amz-Target: AmazonSQS.ListQueues" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{not json' "$ENDPOINT/"
expect_http 400 "UnknownOperationException" -X POST -H "X-Amz-Target: AmazonSQS.Frobnicate" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{}' "$ENDPOINT/"
expect_http 400 "MissingParameter" -X POST -H "X-Amz-Target: AmazonSQS.CreateQueue" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{}' "$ENDPOINT/"
expect_http 400 "InvalidParameterValue" -X POST -H "X-Amz-Target: AmazonSQS.ReceiveMessage" \
    -H "Content-Type: application/x-amz-json-1.0" --data '{"QueueUrl": 5}' "$ENDPOINT/"
expect_http 400 "InvalidAction" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00" \
    --data 'Action=Frobnicate&Version=2012-11-05' "$ENDPOINT/"
expect_http 400 "MissingParameter" -X POST -H "Content-Type: application/x-www-form-urlencoded" \
    --data 'Action=SendMessage&Version=2012-11-05' "$ENDPOINT/"
expect_http 413 "bad request" -X POST -H "X-Amz-Target: AmazonSQS.ListQueues" \
    --data-binary @<(head -c 70000000 /dev/zero) "$ENDPOINT/"
run $AWS1 sqs list-queues && check "still serving" "True"
finish
