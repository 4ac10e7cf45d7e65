// Ec2Model's entities and their journal form, shared by ec2_model.cc and ec2_spot.cc only.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "region/ec2_model.h"

namespace steady::region {

struct Ec2Model::Inst {
  std::string id, type, state = "pending", az, ip, sir, reservation, user_data, fleet, reason;
  bool spot = false;
  double weight = 1;  // the fleet's WeightedCapacity for this instance
  Time launch, since, boot_at;
  std::vector<aws::Ec2Tag> tags;
  std::optional<Time> warn_at;        // the interruption warning is due
  bool warned = false;                // the warning was emitted
  std::optional<Time> terminate_at;   // shutting-down is due (two minutes after the warning)
  std::optional<Time> terminated_at;  // terminated is due (while shutting-down)
};

struct Ec2Model::Fleet {
  std::string id, state = "active", activity = "pending_fulfillment";
  Time created;
  aws::SpotFleetRequestConfigData config;
};

struct Ec2Model::Effects {
  std::vector<FleetInstance> booted;
  std::vector<std::string> down;  // instances that went away (links)
  std::vector<nlohmann::json> events;
};

namespace ec2internal {

nlohmann::json InstToJson(const Ec2Model::Inst& i);
Ec2Model::Inst InstFromJson(const nlohmann::json& j);
nlohmann::json FleetToJson(const Ec2Model::Fleet& f);
Ec2Model::Fleet FleetFromJson(const nlohmann::json& j);
int StateCode(const std::string& state);
bool Active(const Ec2Model::Inst& i);  // pending or running
// "ECS_CLUSTER=name" in user data, else the ECS_CLUSTER / ecs:cluster-name tag, else "".
std::string ClusterOf(const Ec2Model::Inst& i);
FleetInstance ToFleet(const Ec2Model::Inst& i);

}  // namespace ec2internal
}  // namespace steady::region
