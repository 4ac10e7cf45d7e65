// `--store DIR|s3://BUCKET/PREFIX` for every subcommand that reads or writes log objects: the
// store plus whatever an S3 store needs kept alive (the AWS context and the S3 client).
#pragma once

#include <memory>
#include <string>

#include "aws/object_store.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"

namespace steady::aws {
class AwsContext;
class S3Client;
}  // namespace steady::aws

namespace steady::cli {

struct OpenedStore {
  std::unique_ptr<aws::AwsContext> aws;
  std::unique_ptr<aws::S3Client> s3;
  std::unique_ptr<aws::ObjectStore> store;
  OpenedStore();
  OpenedStore(OpenedStore&&) noexcept;
  ~OpenedStore();
};

// Opens the store named by `spec`. For s3:// the AWS context follows the embedded default
// (aws/aws_context.h): the local region unless an AWS account is configured; a non-empty
// `endpoint_url` sends S3 calls there instead (`steady up`'s own region).
Result<OpenedStore> OpenStore(const std::string& spec, Clock& clock, MetricsRegistry& metrics,
                              const std::string& endpoint_url = "");

// Serves /metrics (text format 0.0.4) and /healthz for `registry` on `listen`; started.
Result<std::unique_ptr<class MetricsEndpoint>> StartMetricsEndpoint(const std::string& listen,
                                                                    MetricsRegistry& registry);

class MetricsEndpoint {
 public:
  virtual ~MetricsEndpoint() = default;
  virtual int port() const = 0;
};

}  // namespace steady::cli
