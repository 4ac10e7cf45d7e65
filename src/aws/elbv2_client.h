// aws::Elbv2 over HTTP: the awsQuery protocol (Action=..., Version=2015-12-01, SigV4 service
// "elasticloadbalancing", XML answers with <member> lists inside <ActionResult>) through
// AwsTransport (SigV4, retries, rate limits, counters). DescribeTargetGroups follows
// NextMarker to the end.
//
// Errors: the transport's (ELBv2's codes through ErrorToStatus: TargetGroupNotFound →
// kNotFound, ValidationError / InvalidConfigurationRequest → kInvalidArgument,
// DuplicateTargetGroupName → kAlreadyExists, Throttling → kThrottled and retried); an answer of
// the wrong shape is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/elbv2.h"

namespace steady::aws {

// The ServiceInfo for ELBv2 (service id "Elastic Load Balancing v2", signing name and endpoint
// prefix "elasticloadbalancing", awsQuery).
ServiceInfo Elbv2Service();

class Elbv2Client final : public Elbv2 {
 public:
  // `transport` must be built with Elbv2Service() and outlive the client.
  explicit Elbv2Client(AwsTransport& transport) : transport_(transport) {}

  Result<TargetGroup> CreateTargetGroup(const CreateTargetGroupRequest& request) override;
  Result<std::vector<TargetGroup>> DescribeTargetGroups(
      const std::vector<std::string>& arns, const std::vector<std::string>& names) override;
  Status DeleteTargetGroup(const std::string& arn) override;
  Result<std::map<std::string, std::string>> ModifyTargetGroupAttributes(
      const std::string& arn, const std::map<std::string, std::string>& attributes) override;
  Result<std::map<std::string, std::string>> DescribeTargetGroupAttributes(
      const std::string& arn) override;
  Status RegisterTargets(const std::string& arn,
                         const std::vector<TargetDescription>& targets) override;
  Status DeregisterTargets(const std::string& arn,
                           const std::vector<TargetDescription>& targets) override;
  Result<std::vector<TargetHealthDescription>> DescribeTargetHealth(
      const std::string& arn, const std::vector<TargetDescription>& targets) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
