// ObjectStore over S3: `s3://BUCKET/PREFIX`, store key K is the S3 object PREFIX + K. And
// OpenObjectStore, which turns the CLI's `--store DIR|s3://BUCKET/PREFIX` into a store.
//
// Objects up to `multipart_threshold` bytes go up in one PutObject; larger ones (Put of a
// large buffer, NewWriter, PutFile) as a multipart upload of `part_size` parts, aborted if
// anything fails so that no orphaned parts keep costing storage. Delete batches keys into
// DeleteObjects requests of up to 1000.
//
// Thread safety: all ObjectStore methods may be called from many threads at once.
#pragma once

#include <memory>
#include <string>

#include "aws/aws_transport.h"
#include "aws/credentials.h"
#include "aws/local_object_store.h"
#include "aws/object_store.h"
#include "aws/s3_client.h"
#include "base/clock.h"
#include "base/metrics.h"

namespace steady::aws {

struct S3ObjectStoreOptions {
  // Objects larger than this are uploaded in parts.
  uint64_t multipart_threshold = 16ull << 20;
  // Size of every part but the last; at least S3Client::kMinPartSize (5 MiB). An object can
  // have at most 10,000 parts, so this also caps the object size (80 GB at 8 MiB).
  uint64_t part_size = 8ull << 20;
  // Content-Type of written objects ("" → not sent).
  std::string content_type;
};

struct ObjectStoreContext;

class S3ObjectStore final : public ObjectStore {
 public:
  // `client` must outlive the store. `prefix` is "" or ends with '/' (ParseStoreSpec's form).
  // kInvalidArgument for an empty bucket or a part size below 5 MiB.
  static Result<std::unique_ptr<S3ObjectStore>> Create(S3Client& client, std::string bucket,
                                                       std::string prefix,
                                                       S3ObjectStoreOptions options = {});
  ~S3ObjectStore() override;

  Status Put(std::string_view key, std::string_view data) override;
  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Result<ListPage> List(const ListOptions& options,
                        std::string_view continuation_token = "") override;
  using ObjectStore::Delete;
  Status Delete(std::span<const std::string> keys) override;
  std::string Describe() const override { return "s3://" + bucket_ + "/" + prefix_; }

  const std::string& bucket() const { return bucket_; }
  const std::string& prefix() const { return prefix_; }
  const S3ObjectStoreOptions& options() const { return options_; }
  S3Client& client() { return client_; }

 private:
  friend Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view spec,
                                                              const ObjectStoreContext&);

  S3ObjectStore(S3Client& client, std::string bucket, std::string prefix,
                S3ObjectStoreOptions options);

  std::string FullKey(std::string_view key) const { return prefix_ + std::string(key); }

  S3Client& client_;
  std::string bucket_;
  std::string prefix_;
  S3ObjectStoreOptions options_;
  // Set when OpenObjectStore built the transport and client for this store.
  std::unique_ptr<AwsTransport> owned_transport_;
  std::unique_ptr<S3Client> owned_client_;
};

// What OpenObjectStore needs to build either kind of store. The pointers are needed only for
// s3:// specs and must outlive the store.
struct ObjectStoreContext {
  net::HttpClient* http = nullptr;
  CredentialsProvider* credentials = nullptr;
  Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
  TransportOptions transport;  // region and resolved endpoint (aws/endpoints.h)
  S3ClientOptions s3_client;
  S3ObjectStoreOptions s3_store;
  LocalObjectStoreOptions local;
};

// Opens `--store DIR` (a LocalObjectStore, created if missing) or `--store s3://BUCKET/PREFIX`
// (an S3ObjectStore with its own transport and client). kInvalidArgument for a bad spec;
// kFailedPrecondition for an s3:// spec when the context lacks an HTTP client, credentials,
// clock or metrics registry.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view spec,
                                                     const ObjectStoreContext& context);

}  // namespace steady::aws
