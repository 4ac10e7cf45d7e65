// What the region needs from each service model to keep it durable: replaying its journal
// records, writing and restoring a snapshot, and its lock (held while the region snapshots
// every service at one consistent moment).
//
// A model's mutations follow one rule: under its lock, build the journal record, apply it
// through the same function that replay uses, Enqueue it, and Commit after unlocking before
// answering. That keeps live state and replayed state from drifting apart.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "base/status.h"

namespace steady::region {

class ServiceFront;

class ServiceModel {
 public:
  virtual ~ServiceModel() = default;
  // The journal's "s" field for this model's records ("sqs", "sns", "events", "s3", ...).
  virtual std::string service() const = 0;
  virtual Status Replay(const nlohmann::json& record) = 0;
  // The whole state; Restore(Snapshot()) rebuilds it. Called with mutex() held.
  virtual nlohmann::json Snapshot() const = 0;
  virtual Status Restore(const nlohmann::json& snapshot) = 0;
  virtual std::mutex& mutex() = 0;
  // The HTTP front for this model (nullptr: served by another model's front).
  virtual std::unique_ptr<ServiceFront> MakeFront() = 0;
};

}  // namespace steady::region
