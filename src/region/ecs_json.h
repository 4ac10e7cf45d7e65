// ECS's JSON shapes (camelCase members, timestamps as epoch seconds) for the aws::Ecs types,
// used both on the wire (ecs_front.cc) and in the ECS model's journal records and snapshots.
// Readers are lenient: a missing member keeps the type's default; a member of the wrong JSON
// type throws nlohmann::json::exception, which callers turn into an error.
//
// Internal to the region's ECS files (it includes nlohmann/json.hpp).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "aws/ecs.h"

namespace steady::region::ecsjson {

using nlohmann::json;

json Seconds(Time t);
Time TimeFrom(const json& j);

json ToJson(const aws::EcsTag& v);
json ToJson(const aws::KeyValuePair& v);
json ToJson(const aws::PortMapping& v);
json ToJson(const aws::ContainerDefinition& v);
json ToJson(const aws::TaskDefinition& v);
json ToJson(const aws::EcsResource& v);
json ToJson(const aws::ContainerInstance& v);
json ToJson(const aws::EcsContainer& v);
json ToJson(const aws::ContainerOverride& v);
json ToJson(const aws::EcsTask& v);
json ToJson(const aws::EcsFailure& v);
json ToJson(const aws::PlacementStrategy& v);
json ToJson(const aws::PlacementConstraint& v);
json ToJson(const aws::EcsLoadBalancer& v);
json ToJson(const aws::DeploymentConfiguration& v);
json ToJson(const aws::Deployment& v);
json ToJson(const aws::ServiceEvent& v);
json ToJson(const aws::EcsService& v);
json ToJson(const aws::EcsCluster& v);

template <class T>
json ToJson(const std::vector<T>& list) {
  json out = json::array();
  for (const T& v : list) out.push_back(ToJson(v));
  return out;
}

void FromJson(const json& j, aws::EcsTag& v);
void FromJson(const json& j, aws::KeyValuePair& v);
void FromJson(const json& j, aws::PortMapping& v);
void FromJson(const json& j, aws::ContainerDefinition& v);
void FromJson(const json& j, aws::TaskDefinition& v);
void FromJson(const json& j, aws::EcsResource& v);
void FromJson(const json& j, aws::ContainerInstance& v);
void FromJson(const json& j, aws::EcsContainer& v);
void FromJson(const json& j, aws::ContainerOverride& v);
void FromJson(const json& j, aws::EcsTask& v);
void FromJson(const json& j, aws::PlacementStrategy& v);
void FromJson(const json& j, aws::PlacementConstraint& v);
void FromJson(const json& j, aws::EcsLoadBalancer& v);
void FromJson(const json& j, aws::DeploymentConfiguration& v);
void FromJson(const json& j, aws::Deployment& v);
void FromJson(const json& j, aws::ServiceEvent& v);
void FromJson(const json& j, aws::EcsService& v);
void FromJson(const json& j, aws::EcsCluster& v);

// The list at j[key] (empty when absent).
template <class T>
std::vector<T> ListFrom(const json& j, const char* key) {
  std::vector<T> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  for (const json& e : *it) {
    T v;
    FromJson(e, v);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace steady::region::ecsjson
