// A declarative setup for a region: queues (with dead-letter queues), topics with queue
// subscriptions, EventBridge rules with queue targets, buckets with queue notifications, and the
// fleet (region part 2): ECS clusters, task definitions, ELBv2 target groups (with traffic), Auto
// Scaling groups (with lifecycle hooks), Spot Fleets and ECS services. What `steady region apply
// FILE.yaml` sends to a running region and what `steady up` applies at start.
//
// Applying is idempotent: a resource that exists is left alone when it matches, and updated
// when a value changed (UpdateAutoScalingGroup, ModifySpotFleetRequest, UpdateService, a new
// task-definition revision only when the definition differs from the family's latest). Errors
// name the file, line and key (ConfigNode::Where). Order of application: queues, topics, rules,
// buckets, then clusters, task definitions, target groups, groups, spot fleets, services, so
// each may name the ones before it. Durations are "30s", "5m" or bare seconds.
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
//   clusters:
//     - name: prod                                # CreateCluster (idempotent)
//   task_definitions:
//     - family: web                               # new revision only when it differs
//       network_mode: bridge                      # default bridge; optional cpu, memory
//       containers:
//         - name: app
//           image: web:1
//           cpu: 256                              # CPU units
//           memory: 512                           # MiB; and/or memory_reservation
//           essential: true                       # default true
//           ports: [{container_port: 8080, host_port: 0, protocol: tcp}]  # 0: dynamic
//           environment: {STEADY_RUN_SECONDS: "45"}   # see ecs_model.h's batch convention
//           command: [sleep, "45"]
//   target_groups:
//     - name: web
//       port: 80                                  # default 80; protocol default HTTP
//       health_check: {path: /, interval_seconds: 10, timeout_seconds: 5,
//                      healthy_threshold: 2, unhealthy_threshold: 2}   # only at creation
//       deregistration_delay: 30s                 # deregistration_delay.timeout_seconds
//       traffic: {requests_per_second: 50, request_seconds: 0.2}       # the traffic model
//   auto_scaling_groups:
//     - name: prod-od
//       cluster: prod                             # user data "ECS_CLUSTER=prod"
//       instance_types: [m5.large]                # one, or the overrides of a mixed policy
//       mixed_instances_policy:                   # optional: the on-demand/spot split
//         {on_demand_base_capacity: 1, on_demand_percentage_above_base_capacity: 0,
//          spot_allocation_strategy: lowest-price}
//       min: 1
//       max: 4
//       desired: 1                                # omit to leave it to the autoscaler
//       availability_zones: [us-east-1a, us-east-1b]
//       lifecycle_hooks:
//         - name: drain
//           transition: autoscaling:EC2_INSTANCE_TERMINATING   # the default
//           heartbeat_timeout: 5m                 # 30s..2h, default 1h
//           default_result: CONTINUE              # default ABANDON
//           notification_queue: terminator-events # SQS ARN of this queue
//       target_groups: [web]                      # see below
//   spot_fleets:
//     - name: prod-spot                           # identity: instance tag steady:spot-fleet
//       cluster: prod
//       target_capacity: 4                        # the only value that can change later
//       allocation_strategy: lowestPrice          # or diversified, capacityOptimized
//       instance_types: [{type: m5.large, weight: 1}, {type: c5.large}]
//   services:
//     - name: web
//       cluster: prod
//       task_definition: web                      # a family: its latest revision
//       desired_count: 4                          # omit to leave it to the autoscaler
//       target_group: web                         # with container_name and container_port
//       container_name: app
//       container_port: 8080
//       placement_strategy: [{type: spread, field: attribute:ecs.availability-zone}]
//       placement_constraints: [{type: distinctInstance}]
//       deployment: {minimum_healthy_percent: 100, maximum_percent: 200}
//
// An Auto Scaling group's target_groups must name existing target groups (checked); the local
// Auto Scaling model has no TargetGroupARNs, so its instances are not registered in them (ECS
// services register their tasks instead). A spot fleet's launch specifications and a service's
// load balancer are fixed once created (as in AWS): a change is an error naming the key.
#pragma once

#include <string>
#include <vector>

#include "aws/autoscaling.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/events.h"
#include "aws/sns.h"
#include "aws/sqs.h"
#include "base/config.h"
#include "base/status.h"

namespace steady::region {

class S3Model;
class Elbv2Model;

struct SetupTargets {
  aws::Sqs& sqs;
  aws::Sns* sns = nullptr;
  aws::EventBridge* events = nullptr;
  S3Model* buckets = nullptr;
  // The fleet (each may be null; a setup that needs a missing one is an error).
  aws::Ecs* ecs = nullptr;
  aws::Ec2* ec2 = nullptr;
  aws::AutoScaling* autoscaling = nullptr;
  Elbv2Model* elbv2 = nullptr;  // the model: traffic is not part of the ELBv2 API
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
};

struct SetupSummary {
  int queues = 0, topics = 0, subscriptions = 0, rules = 0, targets = 0, buckets = 0;
  // The fleet: resources declared, and how many were created or updated (0 when the region
  // already matched the setup).
  int clusters = 0, task_definitions = 0, target_groups = 0, auto_scaling_groups = 0,
      spot_fleets = 0, services = 0, fleet_changes = 0;
  // "4 queues, ..., 1 buckets" and, when the setup has a fleet, ", 1 clusters, ... (N
  // created or updated)".
  std::string ToString() const;
};

// Applies `setup` (the mapping described above). Errors name the key.
Result<SetupSummary> ApplySetup(const ConfigNode& setup, SetupTargets& targets);

}  // namespace steady::region
