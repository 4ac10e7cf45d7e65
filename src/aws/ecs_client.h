// aws::Ecs over HTTP: the awsJson1_1 protocol (X-Amz-Target
// AmazonEC2ContainerServiceV20141113.<Operation>, SigV4 service "ecs") through AwsTransport
// (SigV4, retries, rate limits, counters). Every call draws from the client-side ECS bucket
// EcsLimiterGroup(operation) names (when the transport has a RateLimiter with those groups).
//
// Describe* calls ask for TAGS (include=["TAGS"]) so that the structs' tags are filled as the
// in-process model fills them. Timestamps are epoch seconds on the wire.
//
// Errors: the transport's (ECS's codes through ErrorToStatus: ClusterNotFoundException,
// ServiceNotFoundException → kNotFound, InvalidParameterException, ClientException →
// kInvalidArgument, ThrottlingException → kThrottled and retried); an answer of the wrong shape
// is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include <string_view>

#include "aws/aws_transport.h"
#include "aws/ecs.h"

namespace steady::aws {

// The ServiceInfo for ECS (service id "ECS", signing name and endpoint prefix "ecs", awsJson1_1).
// Named ...Info because aws::EcsService is the ECS service resource (as S3ServiceInfo).
ServiceInfo EcsServiceInfo();

// An ECS task from its JSON: a member of DescribeTasks' `tasks`, or the `detail` of an "ECS Task
// State Change" event (the same member names, with ISO 8601 times). kDataLoss if `text` is not a
// JSON object of that shape.
Result<EcsTask> ParseEcsTaskJson(std::string_view text);

class EcsClient final : public Ecs {
 public:
  // `transport` must be built with EcsServiceInfo() and outlive the client.
  explicit EcsClient(AwsTransport& transport) : transport_(transport) {}

  Result<EcsCluster> CreateCluster(const std::string& name,
                                   const std::vector<EcsTag>& tags) override;
  Result<Described<EcsCluster>> DescribeClusters(const std::vector<std::string>& clusters) override;
  Result<ArnPage> ListClusters(const PageRequest& page) override;

  Result<TaskDefinition> RegisterTaskDefinition(
      const RegisterTaskDefinitionRequest& request) override;
  Result<TaskDefinition> DescribeTaskDefinition(const std::string& task_definition) override;
  Result<TaskDefinition> DeregisterTaskDefinition(const std::string& task_definition) override;
  Result<ArnPage> ListTaskDefinitions(const ListTaskDefinitionsRequest& request) override;

  Result<ArnPage> ListContainerInstances(const ListContainerInstancesRequest& request) override;
  Result<Described<ContainerInstance>> DescribeContainerInstances(
      const std::string& cluster, const std::vector<std::string>& container_instances) override;
  Result<Described<ContainerInstance>> UpdateContainerInstancesState(
      const std::string& cluster, const std::vector<std::string>& container_instances,
      const std::string& status) override;
  Result<ContainerInstance> DeregisterContainerInstance(const std::string& cluster,
                                                        const std::string& container_instance,
                                                        bool force) override;

  Result<EcsService> CreateService(const CreateServiceRequest& request) override;
  Result<EcsService> UpdateService(const UpdateServiceRequest& request) override;
  Result<EcsService> DeleteService(const std::string& cluster, const std::string& service,
                                   bool force) override;
  Result<Described<EcsService>> DescribeServices(const std::string& cluster,
                                                 const std::vector<std::string>& services) override;
  Result<ArnPage> ListServices(const std::string& cluster, const PageRequest& page) override;

  Result<RunTaskResult> RunTask(const RunTaskRequest& request) override;
  Result<RunTaskResult> StartTask(const StartTaskRequest& request) override;
  Result<EcsTask> StopTask(const std::string& cluster, const std::string& task,
                           const std::string& reason) override;
  Result<Described<EcsTask>> DescribeTasks(const std::string& cluster,
                                           const std::vector<std::string>& tasks) override;
  Result<ArnPage> ListTasks(const ListTasksRequest& request) override;

  Status TagResource(const std::string& resource_arn, const std::vector<EcsTag>& tags) override;
  Result<std::vector<EcsTag>> ListTagsForResource(const std::string& resource_arn) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
