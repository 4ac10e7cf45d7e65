// What every service model of the local region shares: the clock, the account and region
// names, the endpoint that goes into URLs and ARNs, a seeded random source and the journal.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/ids.h"
#include "region/journal.h"

namespace steady::region {

struct RegionContext {
  RegionContext(Clock& c, Journal& j) : clock(c), journal_(&j) {}

  Clock& clock;
  Journal& journal() { return *journal_; }
  // Swapped once by the region after replaying --state into the models.
  void set_journal(Journal& j) { journal_ = &j; }
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Base of queue URLs and the like; set once the front knows its port.
  std::string endpoint() const {
    std::lock_guard lock(endpoint_mu);
    return endpoint_;
  }
  void set_endpoint(std::string e) {
    std::lock_guard lock(endpoint_mu);
    endpoint_ = std::move(e);
  }

  // Seeded, so that ids are deterministic in simulations.
  std::string NewId() {
    std::lock_guard lock(rng_mu);
    return rng.Uuid();
  }
  std::string NewHex(int chars) {
    std::lock_guard lock(rng_mu);
    return rng.Hex(chars);
  }
  std::string Arn(std::string_view service, std::string_view resource) const {
    return "arn:aws:" + std::string(service) + ":" + region + ":" + account_id + ":" +
           std::string(resource);
  }

  Journal* journal_;
  mutable std::mutex endpoint_mu;
  std::string endpoint_ = "http://127.0.0.1:4566";
  std::mutex rng_mu;
  Random rng{42};
};

}  // namespace steady::region
