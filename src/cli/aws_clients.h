// The AWS service clients a daemon talks through, built from one AwsContext (credentials,
// endpoint, region, retry and the shared ECS rate limits): AWS when an account is configured,
// the local region otherwise, or `endpoint_url` when given (`steady up`'s own region).
#pragma once

#include <memory>
#include <string>

#include "aws/autoscaling.h"
#include "aws/cloudwatch.h"
#include "aws/ec2.h"
#include "aws/ecs.h"
#include "aws/elbv2.h"
#include "aws/sns.h"
#include "aws/sqs.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::aws {
class AwsContext;
}  // namespace steady::aws

namespace steady::cli {

struct AwsClients {
  std::unique_ptr<aws::AwsContext> context;
  std::unique_ptr<aws::Ecs> ecs;
  std::unique_ptr<aws::Ec2> ec2;
  std::unique_ptr<aws::AutoScaling> autoscaling;
  std::unique_ptr<aws::Elbv2> elbv2;
  std::unique_ptr<aws::Sqs> sqs;
  std::unique_ptr<aws::Sns> sns;
  std::unique_ptr<aws::CloudWatch> cloudwatch;
  AwsClients();
  AwsClients(AwsClients&&) noexcept;
  ~AwsClients();
  // "http://127.0.0.1:4566 (local region)" or "AWS us-east-1".
  std::string Describe() const;
};

Result<AwsClients> OpenAwsClients(Clock& clock, MetricsRegistry& metrics,
                                  const std::string& endpoint_url = "");

// A queue given by name or URL, as a URL.
Result<std::string> QueueUrl(aws::Sqs& sqs, const std::string& name_or_url);

// A topic given by name or ARN, as an ARN (by ListTopics; kNotFound when there is none).
Result<std::string> TopicArn(aws::Sns& sns, const std::string& name_or_arn);

}  // namespace steady::cli
