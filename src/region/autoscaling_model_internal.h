// AutoScalingModel's entities, shared by autoscaling_model.cc and autoscaling_lifecycle.cc only.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "region/autoscaling_model.h"

namespace steady::region {

struct AsgMember {
  std::string id, type, az;
  // Pending, InService, Terminating:Wait, Terminating:Proceed, Terminating.
  std::string state = "Pending";
  bool protect = false;
  bool spot = false;
  std::string lt_name;
  Time launched;
  bool Terminating() const { return state.rfind("Terminating", 0) == 0; }
};

struct AutoScalingModel::Group {
  aws::CreateAutoScalingGroupRequest config;  // desired_capacity always set
  std::string arn;
  Time created;
  std::map<std::string, aws::LifecycleHook> hooks;  // by name
  std::map<std::string, AsgMember> members;         // by instance id
  int Desired() const { return config.desired_capacity.value_or(config.min_size); }
};

struct AutoScalingModel::Action {
  std::string token, hook, group, instance;
  Time deadline;         // the heartbeat timeout
  Time global_deadline;  // heartbeats cannot push the deadline past this
};

struct AutoScalingModel::Effects {
  struct Launch {
    std::string group;
    Ec2LaunchSpec spec;
    bool protect = false;
    std::string lt_name;
  };
  std::vector<Launch> launches;
  std::vector<std::string> terminates;
  std::vector<std::pair<std::string, std::string>> sqs;  // (queue ARN, body)
  std::vector<nlohmann::json> events;
};

}  // namespace steady::region
