// aws::Ec2 over HTTP: the ec2Query protocol (Action=..., Version=2016-11-15, SigV4 service
// "ec2", XML answers whose lists are <item>s directly under <OperationResponse>) through
// AwsTransport (SigV4, retries, rate limits, counters).
//
// List parameters use EC2's naming: InstanceId.1, Filter.1.Name / Filter.1.Value.1,
// SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType,
// ...LaunchSpecifications.1.TagSpecificationSet.1.Tag.1.Key. User data goes out base64-encoded
// and is read back decoded. DescribeInstances, DescribeInstanceTypes and
// DescribeSpotFleetInstances/Requests follow nextToken to the end.
//
// InstanceTypeInfo's prices are not part of the EC2 API and stay 0 over HTTP; Ec2Instance's
// user_data is not in DescribeInstances' answer (EC2 serves it through DescribeInstanceAttribute)
// and stays empty.
//
// Errors: the transport's (EC2's codes through ErrorToStatus: InvalidInstanceID.NotFound,
// InvalidSpotFleetRequestId.NotFound → kNotFound, InvalidParameterValue → kInvalidArgument,
// RequestLimitExceeded → kThrottled and retried); an answer of the wrong shape is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/ec2.h"

namespace steady::aws {

// The ServiceInfo for EC2 (service id "EC2", signing name and endpoint prefix "ec2", ec2Query).
ServiceInfo Ec2Service();

class Ec2Client final : public Ec2 {
 public:
  // `transport` must be built with Ec2Service() and outlive the client.
  explicit Ec2Client(AwsTransport& transport) : transport_(transport) {}

  Result<std::vector<Reservation>> DescribeInstances(
      const DescribeInstancesRequest& request) override;
  Result<std::vector<InstanceStateChange>> TerminateInstances(
      const std::vector<std::string>& instance_ids) override;
  Result<std::vector<InstanceTypeInfo>> DescribeInstanceTypes(
      const std::vector<std::string>& instance_types) override;
  Result<std::string> RequestSpotFleet(const SpotFleetRequestConfigData& config) override;
  Result<std::vector<SpotFleetRequestConfig>> DescribeSpotFleetRequests(
      const std::vector<std::string>& ids) override;
  Status ModifySpotFleetRequest(const std::string& id, int target_capacity,
                                const std::string& excess_capacity_termination_policy) override;
  Result<std::vector<ActiveInstance>> DescribeSpotFleetInstances(const std::string& id) override;
  Result<std::vector<CancelledSpotFleetRequest>> CancelSpotFleetRequests(
      const std::vector<std::string>& ids, bool terminate_instances) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
