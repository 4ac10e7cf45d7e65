// Amazon EC2 Auto Scaling as steady uses it: groups with a launch-template stand-in and a
// MixedInstancesPolicy, instance protection and termination lifecycle hooks. One abstract
// interface, implemented in-process by the local region's model (region/autoscaling_model.h).
// Names follow the Auto Scaling API reference (2011-01-01).
//
// Errors: kInvalidArgument with code ValidationError (AWS's code for unknown groups, hooks and
// bad values), AlreadyExists for a duplicate group name.
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct AutoScalingTag {
  std::string key;
  std::string value;
  bool propagate_at_launch = false;
};

// The launch-template stand-in: LaunchTemplate.LaunchTemplateName is kept as given, and the
// instance it launches is described here directly.
struct AsgLaunchTemplate {
  std::string launch_template_name;
  std::string version = "$Default";
  std::string instance_type = "m5.large";
  std::string user_data;  // plain text, e.g. "ECS_CLUSTER=web"
};

struct InstancesDistribution {
  int on_demand_base_capacity = 0;
  int on_demand_percentage_above_base_capacity = 100;
  std::string spot_allocation_strategy = "lowest-price";
};

struct MixedInstancesPolicy {
  AsgLaunchTemplate launch_template;
  std::vector<std::string> overrides;  // instance types, tried in order
  InstancesDistribution instances_distribution;
};

struct CreateAutoScalingGroupRequest {
  std::string auto_scaling_group_name;
  std::optional<AsgLaunchTemplate> launch_template;
  std::optional<MixedInstancesPolicy> mixed_instances_policy;
  int min_size = 0;
  int max_size = 0;
  std::optional<int> desired_capacity;  // default min_size
  std::vector<std::string> availability_zones;
  std::string vpc_zone_identifier;  // accepted
  std::vector<AutoScalingTag> tags;
  bool new_instances_protected_from_scale_in = false;
};

struct UpdateAutoScalingGroupRequest {
  std::string auto_scaling_group_name;
  std::optional<int> min_size, max_size, desired_capacity;
  std::optional<AsgLaunchTemplate> launch_template;
  std::optional<MixedInstancesPolicy> mixed_instances_policy;
  std::optional<bool> new_instances_protected_from_scale_in;
};

struct AsgInstance {
  std::string instance_id;
  std::string instance_type;
  std::string availability_zone;
  // Pending, InService, Terminating:Wait, Terminating:Proceed, Terminating, Terminated.
  std::string lifecycle_state;
  std::string health_status = "Healthy";
  bool protected_from_scale_in = false;
  std::string launch_template_name;
  bool spot = false;  // not in the API; the model's own view
};

struct AutoScalingGroup {
  std::string auto_scaling_group_name;
  std::string auto_scaling_group_arn;
  std::optional<AsgLaunchTemplate> launch_template;
  std::optional<MixedInstancesPolicy> mixed_instances_policy;
  int min_size = 0, max_size = 0, desired_capacity = 0;
  std::vector<std::string> availability_zones;
  std::string vpc_zone_identifier;
  std::vector<AsgInstance> instances;
  std::vector<AutoScalingTag> tags;
  Time created_time;
  bool new_instances_protected_from_scale_in = false;
};

struct AutoScalingInstanceDetails {
  std::string auto_scaling_group_name;
  AsgInstance instance;
};

struct LifecycleHook {
  std::string lifecycle_hook_name;
  std::string auto_scaling_group_name;
  std::string lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING";
  std::string notification_target_arn;  // an SQS queue ARN, or ""
  std::string role_arn;                 // accepted
  std::string notification_metadata;
  int heartbeat_timeout = 3600;            // seconds
  int global_timeout = 172800;             // 100 × heartbeat timeout, at most 48 h
  std::string default_result = "ABANDON";  // CONTINUE or ABANDON
};

struct CompleteLifecycleActionRequest {
  std::string lifecycle_hook_name;
  std::string auto_scaling_group_name;
  std::string lifecycle_action_token;  // this or instance_id
  std::string instance_id;
  std::string lifecycle_action_result;  // CONTINUE or ABANDON
};

class AutoScaling {
 public:
  virtual ~AutoScaling() = default;

  virtual Status CreateAutoScalingGroup(const CreateAutoScalingGroupRequest& request) = 0;
  // Every group when `names` is empty.
  virtual Result<std::vector<AutoScalingGroup>> DescribeAutoScalingGroups(
      const std::vector<std::string>& names) = 0;
  virtual Status UpdateAutoScalingGroup(const UpdateAutoScalingGroupRequest& request) = 0;
  virtual Status SetDesiredCapacity(const std::string& group, int desired_capacity) = 0;
  // Returns the activity description.
  virtual Result<std::string> TerminateInstanceInAutoScalingGroup(
      const std::string& instance_id, bool should_decrement_desired_capacity) = 0;
  virtual Status SetInstanceProtection(const std::string& group,
                                       const std::vector<std::string>& instance_ids,
                                       bool protected_from_scale_in) = 0;
  // Every group's instances when `instance_ids` is empty.
  virtual Result<std::vector<AutoScalingInstanceDetails>> DescribeAutoScalingInstances(
      const std::vector<std::string>& instance_ids) = 0;
  virtual Status PutLifecycleHook(const LifecycleHook& hook) = 0;
  virtual Result<std::vector<LifecycleHook>> DescribeLifecycleHooks(
      const std::string& group, const std::vector<std::string>& names) = 0;
  virtual Status CompleteLifecycleAction(const CompleteLifecycleActionRequest& request) = 0;
  virtual Status RecordLifecycleActionHeartbeat(const std::string& hook_name,
                                                const std::string& group,
                                                const std::string& lifecycle_action_token,
                                                const std::string& instance_id) = 0;
};

}  // namespace steady::aws
