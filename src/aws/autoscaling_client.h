// aws::AutoScaling over HTTP: the awsQuery protocol (Action=..., Version=2011-01-01, SigV4
// service "autoscaling", XML answers with <member> lists inside <ActionResult>) through
// AwsTransport (SigV4, retries, rate limits, counters).
//
// The launch-template stand-in goes out as LaunchTemplate.LaunchTemplateName / .Version (and
// MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.*); AsgLaunchTemplate's
// instance_type and user_data are not part of the API and are neither sent nor read back (they
// keep their defaults; the local region derives the type from a template named after one).
// AsgInstance::spot is the model's own view and is not read either. DescribeAutoScalingGroups
// and DescribeAutoScalingInstances follow NextToken to the end.
//
// Errors: the transport's (Auto Scaling's codes through ErrorToStatus: ValidationError →
// kInvalidArgument, AlreadyExists → kAlreadyExists, Throttling → kThrottled and retried); an
// answer of the wrong shape is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/autoscaling.h"
#include "aws/aws_transport.h"

namespace steady::aws {

// The ServiceInfo for Auto Scaling (service id "Auto Scaling", signing name and endpoint prefix
// "autoscaling", awsQuery).
ServiceInfo AutoScalingService();

class AutoScalingClient final : public AutoScaling {
 public:
  // `transport` must be built with AutoScalingService() and outlive the client.
  explicit AutoScalingClient(AwsTransport& transport) : transport_(transport) {}

  Status CreateAutoScalingGroup(const CreateAutoScalingGroupRequest& request) override;
  Result<std::vector<AutoScalingGroup>> DescribeAutoScalingGroups(
      const std::vector<std::string>& names) override;
  Status UpdateAutoScalingGroup(const UpdateAutoScalingGroupRequest& request) override;
  Status SetDesiredCapacity(const std::string& group, int desired_capacity) override;
  Result<std::string> TerminateInstanceInAutoScalingGroup(
      const std::string& instance_id, bool should_decrement_desired_capacity) override;
  Status SetInstanceProtection(const std::string& group,
                               const std::vector<std::string>& instance_ids,
                               bool protected_from_scale_in) override;
  Result<std::vector<AutoScalingInstanceDetails>> DescribeAutoScalingInstances(
      const std::vector<std::string>& instance_ids) override;
  Status PutLifecycleHook(const LifecycleHook& hook) override;
  Result<std::vector<LifecycleHook>> DescribeLifecycleHooks(
      const std::string& group, const std::vector<std::string>& names) override;
  Status CompleteLifecycleAction(const CompleteLifecycleActionRequest& request) override;
  Status RecordLifecycleActionHeartbeat(const std::string& hook_name, const std::string& group,
                                        const std::string& lifecycle_action_token,
                                        const std::string& instance_id) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
