// aws::CloudWatch over HTTP: the awsQuery protocol (Action=..., Version=2010-08-01, XML
// answers, SigV4 service "monitoring") through AwsTransport (SigV4, retries, rate limits,
// counters). Timestamps go out as ISO 8601 UTC and are read back from ISO 8601.
//
// Errors: the transport's (CloudWatch's codes through ErrorToStatus: InvalidParameterValue,
// MissingParameter, InvalidParameterCombination → kInvalidArgument, Throttling → kThrottled,
// InternalServiceError → kUnavailable); an answer of the wrong shape (not XML, another root
// element, a number or timestamp that does not parse, a GetMetricData result whose timestamps
// and values do not pair up) is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/cloudwatch.h"

namespace steady::aws {

// The ServiceInfo for CloudWatch (service id "CloudWatch", signing name and endpoint prefix
// "monitoring", awsQuery).
ServiceInfo CloudWatchService();

class CloudWatchClient final : public CloudWatch {
 public:
  // `transport` must be built with CloudWatchService() and outlive the client.
  explicit CloudWatchClient(AwsTransport& transport) : transport_(transport) {}

  Status PutMetricData(const PutMetricDataRequest& request) override;
  Result<GetMetricStatisticsResult> GetMetricStatistics(
      const GetMetricStatisticsRequest& request) override;
  Result<GetMetricDataResult> GetMetricData(const GetMetricDataRequest& request) override;
  Result<ListMetricsResult> ListMetrics(const ListMetricsRequest& request) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
