// Amazon EC2 as steady uses it: instances, the instance-type catalogue and Spot Fleet. One
// abstract interface, implemented in-process by the local region's model (region/ec2_model.h);
// an HTTP client can implement it later. Names follow the EC2 API reference (2016-11-15).
//
// Errors: kNotFound (InvalidInstanceID.NotFound, InvalidSpotFleetRequestId.NotFound) for unknown
// ids, kInvalidArgument (InvalidParameterValue, ...) for bad parameters.
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::aws {

struct Ec2Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Ec2Tag&, const Ec2Tag&) = default;
};

// InstanceState: code 0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping,
// 80 stopped.
struct InstanceState {
  int code = 0;
  std::string name = "pending";
};

struct Ec2Instance {
  std::string instance_id;
  std::string image_id = "ami-0steadylocal00000";
  std::string instance_type;
  InstanceState state;
  std::string private_ip_address;
  std::string availability_zone;   // Placement.AvailabilityZone
  std::string instance_lifecycle;  // "spot", or "" for on-demand (as EC2 reports it)
  std::string spot_instance_request_id;
  Time launch_time;
  std::string state_transition_reason;
  std::vector<Ec2Tag> tags;
  std::string user_data;  // plain text (EC2 carries it base64-encoded)
};

struct Reservation {
  std::string reservation_id;
  std::string owner_id;
  std::vector<Ec2Instance> instances;
};

// A Filter: Name ("instance-id", "instance-state-name", "instance-type",
// "availability-zone", "instance-lifecycle", "tag:KEY", "tag-key") and Values (any matches).
struct Ec2Filter {
  std::string name;
  std::vector<std::string> values;
};

struct DescribeInstancesRequest {
  std::vector<std::string> instance_ids;
  std::vector<Ec2Filter> filters;
};

struct InstanceStateChange {
  std::string instance_id;
  InstanceState current_state;
  InstanceState previous_state;
};

// DescribeInstanceTypes' InstanceTypeInfo, reduced to what the fleet needs, plus the prices
// the local region charges (not part of the EC2 API: the Pricing API stand-in).
struct InstanceTypeInfo {
  std::string instance_type;
  int default_vcpus = 0;
  int64_t size_in_mib = 0;     // MemoryInfo.SizeInMiB
  double on_demand_price = 0;  // USD per hour
  double spot_price = 0;       // USD per hour
};

// RequestSpotFleet's SpotFleetLaunchSpecification (the parts the model uses).
struct SpotFleetLaunchSpecification {
  std::string instance_type;
  std::optional<double> weighted_capacity;  // default 1
  std::string availability_zone;            // Placement.AvailabilityZone ("" = any)
  std::string subnet_id;                    // accepted
  std::string user_data;                    // plain text
  std::vector<Ec2Tag> tags;                 // TagSpecifications for "instance"
};

struct SpotFleetRequestConfigData {
  std::string iam_fleet_role;  // accepted, not checked
  int target_capacity = 0;
  std::string type = "maintain";  // "maintain" or "request" (request: no replacement)
  std::string allocation_strategy = "lowestPrice";
  // When the target is lowered below the running capacity: "default" terminates the excess,
  // "noTermination" keeps it (the caller terminates the instances it chose).
  std::string excess_capacity_termination_policy = "default";
  std::vector<SpotFleetLaunchSpecification> launch_specifications;
};

struct SpotFleetRequestConfig {
  std::string spot_fleet_request_id;
  // submitted, active, cancelled_running, cancelled_terminating, cancelled, modifying.
  std::string spot_fleet_request_state;
  std::string activity_status;  // "fulfilled", "pending_fulfillment", "error"
  Time create_time;
  SpotFleetRequestConfigData config;
  double fulfilled_capacity = 0;
};

struct ActiveInstance {
  std::string instance_id;
  std::string instance_type;
  std::string spot_instance_request_id;
  std::string instance_health = "healthy";
};

struct CancelledSpotFleetRequest {
  std::string spot_fleet_request_id;
  std::string current_state;
  std::string previous_state;
};

class Ec2 {
 public:
  virtual ~Ec2() = default;

  virtual Result<std::vector<Reservation>> DescribeInstances(
      const DescribeInstancesRequest& request) = 0;
  virtual Result<std::vector<InstanceStateChange>> TerminateInstances(
      const std::vector<std::string>& instance_ids) = 0;
  // Every catalogue entry when `instance_types` is empty.
  virtual Result<std::vector<InstanceTypeInfo>> DescribeInstanceTypes(
      const std::vector<std::string>& instance_types) = 0;

  // Returns the SpotFleetRequestId.
  virtual Result<std::string> RequestSpotFleet(const SpotFleetRequestConfigData& config) = 0;
  // Every request when `ids` is empty.
  virtual Result<std::vector<SpotFleetRequestConfig>> DescribeSpotFleetRequests(
      const std::vector<std::string>& ids) = 0;
  // `excess_capacity_termination_policy` "" leaves the request's policy as it is.
  virtual Status ModifySpotFleetRequest(const std::string& id, int target_capacity,
                                        const std::string& excess_capacity_termination_policy) = 0;
  virtual Result<std::vector<ActiveInstance>> DescribeSpotFleetInstances(const std::string& id) = 0;
  virtual Result<std::vector<CancelledSpotFleetRequest>> CancelSpotFleetRequests(
      const std::vector<std::string>& ids, bool terminate_instances) = 0;
};

}  // namespace steady::aws
