// Elbv2Model's entities, shared by elbv2_model.cc and elbv2_traffic.cc only.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "region/elbv2_model.h"

namespace steady::region {

using TargetKey = std::pair<std::string, int>;  // (id, port)

struct Elbv2Model::Target {
  std::string id;
  int port = 0;
  std::string az;
  Time registered;
  std::optional<Time> deregistered;  // draining since
  std::optional<Time> down;          // the process behind it died at
  // Not durable: requests in flight, as (completes at, count).
  std::deque<std::pair<Time, int64_t>> in_flight;
};

struct Elbv2Model::Group {
  aws::TargetGroup config;
  std::map<std::string, std::string> attributes;
  std::map<TargetKey, Target> targets;
  double rps = 0;
  double request_seconds = 0.1;
  // Not durable: the traffic model's running state.
  double arrivals = 0;  // fractional requests carried to the next tick
  size_t next = 0;      // round-robin position
  int64_t served = 0, failed = 0;
  int64_t failed_by[5] = {0, 0, 0, 0, 0};  // by Elbv2Model::Failure
};

}  // namespace steady::region
