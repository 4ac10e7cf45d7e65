// aws::Glue over HTTP: the awsJson1_1 protocol (X-Amz-Target AWSGlue.<Operation>, SigV4 service
// "glue") through AwsTransport (SigV4, retries, counters). Get* calls follow NextToken to the
// end. Timestamps are epoch seconds on the wire.
//
// Errors: the transport's (EntityNotFoundException → kNotFound, AlreadyExistsException →
// kAlreadyExists, InvalidInputException → kInvalidArgument, ThrottlingException → kThrottled and
// retried); an answer of the wrong shape is kDataLoss.
//
// Thread safety: thread-safe (the transport is).
#pragma once

#include "aws/aws_transport.h"
#include "aws/glue.h"

namespace steady::aws {

// The ServiceInfo for Glue (service id "Glue", signing name "glue", awsJson1_1).
ServiceInfo GlueService();

class GlueClient final : public Glue {
 public:
  // `transport` must be built with GlueService() and outlive the client.
  explicit GlueClient(AwsTransport& transport) : transport_(transport) {}

  Status CreateDatabase(const std::string& name, const std::string& description) override;
  Status GetDatabase(const std::string& name) override;
  Status DeleteDatabase(const std::string& name) override;
  Status CreateTable(const std::string& database, const GlueTable& table) override;
  Status UpdateTable(const std::string& database, const GlueTable& table) override;
  Result<GlueTable> GetTable(const std::string& database, const std::string& name) override;
  Result<std::vector<GlueTable>> GetTables(const std::string& database) override;
  Status DeleteTable(const std::string& database, const std::string& name) override;
  Result<std::vector<GluePartitionError>> BatchCreatePartition(
      const std::string& database, const std::string& table,
      const std::vector<GluePartition>& partitions) override;
  Result<std::vector<GluePartition>> GetPartitions(const std::string& database,
                                                   const std::string& table) override;

 private:
  AwsTransport& transport_;
};

}  // namespace steady::aws
