// A declarative setup for a region: queues (with dead-letter queues), topics with queue
// subscriptions, EventBridge rules with queue targets, and buckets with queue notifications.
// What `steady region apply FILE.yaml` sends to a running region and what `steady up`
// applies at start. Applying is idempotent: existing resources are updated to match.
//
//   queues:
//     - name: terminator-events
//       attributes: {VisibilityTimeout: "60"}
//       dead_letter: {queue: terminator-dlq, max_receive_count: 5}
//   topics:
//     - name: capacity
//       subscriptions: [{queue: autoscaler-capacity, raw: true}]
//   rules:
//     - name: spot-interruptions
//       pattern: {source: [aws.ec2], detail-type: [EC2 Spot Instance Interruption Warning]}
//       targets: [{queue: terminator-events}]
//   buckets:
//     - name: steady-logs
//       notifications: [{queue: router-events, events: ["s3:ObjectCreated:*"], prefix:
//       service-logs/}]
#pragma once

#include <string>
#include <vector>

#include "aws/events.h"
#include "aws/sns.h"
#include "aws/sqs.h"
#include "base/config.h"
#include "base/status.h"

namespace steady::region {

class S3Model;

struct SetupTargets {
  aws::Sqs& sqs;
  aws::Sns* sns = nullptr;
  aws::EventBridge* events = nullptr;
  S3Model* buckets = nullptr;
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
};

struct SetupSummary {
  int queues = 0, topics = 0, subscriptions = 0, rules = 0, targets = 0, buckets = 0;
  std::string ToString() const;
};

// Applies `setup` (the mapping with queues/topics/rules/buckets). Errors name the key.
Result<SetupSummary> ApplySetup(const ConfigNode& setup, SetupTargets& targets);

}  // namespace steady::region
