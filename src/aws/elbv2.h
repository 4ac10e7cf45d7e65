// Elastic Load Balancing v2 as steady uses it: target groups, their targets and health. One
// abstract interface, implemented in-process by the local region's model
// (region/elbv2_model.h). Names follow the ELBv2 API reference (2015-12-01).
//
// Errors: kNotFound (TargetGroupNotFound), kInvalidArgument (ValidationError,
// InvalidConfigurationRequest), AlreadyExists (DuplicateTargetGroupName).
// Thread safety: implementations are thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace steady::aws {

struct CreateTargetGroupRequest {
  std::string name;
  std::string protocol = "HTTP";
  int port = 80;
  std::string vpc_id;  // accepted
  std::string target_type = "instance";
  std::string health_check_path = "/";
  int health_check_interval_seconds = 30;
  int health_check_timeout_seconds = 5;
  int healthy_threshold_count = 5;
  int unhealthy_threshold_count = 2;
};

struct TargetGroup {
  std::string target_group_arn;
  std::string target_group_name;
  std::string protocol;
  int port = 0;
  std::string vpc_id;
  std::string target_type;
  std::string health_check_path;
  int health_check_interval_seconds = 30;
  int health_check_timeout_seconds = 5;
  int healthy_threshold_count = 5;
  int unhealthy_threshold_count = 2;
  std::vector<std::string> load_balancer_arns;
};

struct TargetDescription {
  std::string id;
  std::optional<int> port;  // default: the group's port
  std::string availability_zone;
};

struct TargetHealth {
  std::string state;   // initial, healthy, unhealthy, unused, draining, unavailable
  std::string reason;  // Elb.RegistrationInProgress, Target.DeregistrationInProgress, ...
  std::string description;
};

struct TargetHealthDescription {
  TargetDescription target;
  std::string health_check_port;
  TargetHealth target_health;
};

class Elbv2 {
 public:
  virtual ~Elbv2() = default;

  virtual Result<TargetGroup> CreateTargetGroup(const CreateTargetGroupRequest& request) = 0;
  // Every group when both lists are empty.
  virtual Result<std::vector<TargetGroup>> DescribeTargetGroups(
      const std::vector<std::string>& arns, const std::vector<std::string>& names) = 0;
  virtual Status DeleteTargetGroup(const std::string& arn) = 0;
  // Returns every attribute after the change.
  virtual Result<std::map<std::string, std::string>> ModifyTargetGroupAttributes(
      const std::string& arn, const std::map<std::string, std::string>& attributes) = 0;
  virtual Result<std::map<std::string, std::string>> DescribeTargetGroupAttributes(
      const std::string& arn) = 0;
  virtual Status RegisterTargets(const std::string& arn,
                                 const std::vector<TargetDescription>& targets) = 0;
  virtual Status DeregisterTargets(const std::string& arn,
                                   const std::vector<TargetDescription>& targets) = 0;
  // Every registered (or draining) target when `targets` is empty.
  virtual Result<std::vector<TargetHealthDescription>> DescribeTargetHealth(
      const std::string& arn, const std::vector<TargetDescription>& targets) = 0;
};

}  // namespace steady::aws
