// The local region's S3: buckets and objects whose bytes live in files under the region's
// state directory, multipart uploads, listings with S3's prefix/delimiter/pagination rules,
// ranged and conditional reads, copies, and bucket notifications delivered to SQS queues in
// S3's event JSON.
//
// Durability: an object's bytes are written to a new file (temp + fsync + rename + fsync of
// the directory) BEFORE the journal record that points at it, so a crash never leaves
// metadata naming missing bytes; files no record names (a crash between the two, or a
// replaced object whose file was not yet removed) are deleted on the first mutation after
// the model was replayed. Files are never rewritten in place: a reader that opened one keeps
// consistent bytes even while the key is overwritten.
//
// Errors are S3's codes through ServiceError (the front maps them to HTTP statuses):
// NoSuchBucket, NoSuchKey, NoSuchUpload, BucketAlreadyOwnedByYou, BucketNotEmpty,
// InvalidBucketName, KeyTooLongError, InvalidArgument, InvalidRange, PreconditionFailed,
// NotModified, InvalidPart, InvalidPartOrder, EntityTooSmall, MalformedXML, InvalidRequest;
// I/O failures are kInternal/kDataLoss Statuses (the front answers InternalError).
//
// Thread safety: all methods may be called from any thread. Object bytes are read and written
// outside the model lock.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "region/region_context.h"
#include "region/s3_blobs.h"
#include "region/service_model.h"
#include "region/sqs_model.h"

namespace steady::region {

struct S3ModelOptions {
  // The region's --state directory: object bytes go under <state_dir>/s3/. Empty: a temporary
  // directory, removed when the model is destroyed (nothing is fsynced then).
  std::string state_dir;
  // Every part of a multipart upload but the last must be at least this big (S3: 5 MiB).
  uint64_t min_part_size = 5ull << 20;
};

// Who made a request, for the notification events ("userIdentity", "requestParameters",
// "responseElements").
struct S3Caller {
  std::string principal_id;  // "" → "AWS:<account id>"
  std::string source_ip = "127.0.0.1";
  std::string request_id;
  std::string host_id;
};

// The headers an object keeps and returns.
struct S3ObjectAttrs {
  std::string content_type;  // "" → binary/octet-stream
  std::string content_encoding, content_disposition, content_language, cache_control, expires;
  std::string storage_class;                    // "" → STANDARD
  std::map<std::string, std::string> metadata;  // x-amz-meta-<name> (lower-case name)
};

struct S3ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes: md5 hex, or "<md5 of part md5s>-<parts>"
  Time last_modified{};
  S3ObjectAttrs attrs;
  int parts = 0;  // number of parts for a multipart object, else 0
};

// An HTTP byte range as Range: bytes=first-last, bytes=first- or bytes=-suffix.
struct S3Range {
  std::optional<uint64_t> first, last, suffix;
};
// Parses one "bytes=..." range; nullopt for anything else (S3 then ignores the header and
// returns the whole object).
std::optional<S3Range> ParseS3Range(std::string_view header);

struct S3Conditions {
  std::string if_match, if_none_match;  // ETags (quoted or not), "*" allowed
  std::optional<Time> if_modified_since, if_unmodified_since;
};

struct S3GetOutput {
  S3ObjectMeta meta;
  std::string body;              // empty for Head
  bool partial = false;          // a range was served: 206 with Content-Range
  uint64_t first = 0, last = 0;  // the served range (inclusive) when partial
};

struct S3PutInput {
  std::string bucket, key;
  std::string_view body;
  S3ObjectAttrs attrs;
  // Conditional write: If-None-Match: * (fails if the key exists), If-Match: <etag>.
  std::string if_none_match, if_match;
};

struct S3ListInput {
  std::string bucket, prefix, delimiter;
  std::string start_after;         // v2 start-after / v1 marker
  std::string continuation_token;  // v2; takes precedence over start_after
  int max_keys = 1000;             // clamped to 0..1000
};

struct S3ListOutput {
  std::vector<S3ObjectMeta> contents;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;  // when truncated
  std::string next_marker;              // the last key or common prefix returned
};

struct S3BucketInfo {
  std::string name;
  Time created{};
};

struct S3DeleteResult {
  std::string key;
  std::string code, message;  // empty when deleted
};

struct S3PartInfo {
  int part_number = 0;
  std::string etag;  // without quotes
  uint64_t size = 0;
  Time last_modified{};
};

struct S3UploadInfo {
  std::string key, upload_id;
  Time initiated{};
  S3ObjectAttrs attrs;
};

struct S3CopyInput {
  std::string src_bucket, src_key, bucket, key;
  bool replace_metadata = false;  // x-amz-metadata-directive: REPLACE
  S3ObjectAttrs attrs;            // used when replace_metadata
  S3Conditions src_conditions;    // x-amz-copy-source-if-*
};

// One queue of a bucket's notification configuration.
struct S3QueueNotification {
  std::string id;  // "" on input → generated
  std::string queue_arn;
  std::vector<std::string> events;  // "s3:ObjectCreated:*", ...
  std::string prefix, suffix;       // key filter rules ("" = none)
};

class S3Model final : public ServiceModel {
 public:
  S3Model(RegionContext& ctx, SqsModel& sqs, S3ModelOptions options = {});
  ~S3Model() override;

  // Buckets.
  Status CreateBucket(const std::string& bucket);
  Status DeleteBucket(const std::string& bucket);
  Status HeadBucket(const std::string& bucket);
  std::vector<S3BucketInfo> ListBuckets();

  // Objects.
  Result<S3ObjectMeta> PutObject(const S3PutInput& input, const S3Caller& caller = {});
  // Reads the object, or the range of it. Conditions are checked first (NotModified,
  // PreconditionFailed), then the range (InvalidRange when unsatisfiable).
  Result<S3GetOutput> GetObject(const std::string& bucket, const std::string& key,
                                const std::optional<S3Range>& range = std::nullopt,
                                const S3Conditions& conditions = {});
  Result<S3GetOutput> HeadObject(const std::string& bucket, const std::string& key,
                                 const std::optional<S3Range>& range = std::nullopt,
                                 const S3Conditions& conditions = {});
  Result<S3ObjectMeta> CopyObject(const S3CopyInput& input, const S3Caller& caller = {});
  // A missing key is not an error (S3's semantics).
  Status DeleteObject(const std::string& bucket, const std::string& key,
                      const S3Caller& caller = {});
  // Up to 1000 keys; one result per key in input order.
  Result<std::vector<S3DeleteResult>> DeleteObjects(const std::string& bucket,
                                                    const std::vector<std::string>& keys,
                                                    const S3Caller& caller = {});
  Result<S3ListOutput> ListObjects(const S3ListInput& input);

  // Multipart uploads.
  Result<std::string> CreateMultipartUpload(const std::string& bucket, const std::string& key,
                                            const S3ObjectAttrs& attrs);
  Result<S3PartInfo> UploadPart(const std::string& bucket, const std::string& key,
                                const std::string& upload_id, int part_number,
                                std::string_view body);
  Result<S3PartInfo> UploadPartCopy(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id, int part_number,
                                    const std::string& src_bucket, const std::string& src_key,
                                    const std::optional<S3Range>& range);
  Result<std::vector<S3PartInfo>> ListParts(const std::string& bucket, const std::string& key,
                                            const std::string& upload_id);
  // `parts` as the client listed them: (part number, ETag with or without quotes).
  Result<S3ObjectMeta> CompleteMultipartUpload(
      const std::string& bucket, const std::string& key, const std::string& upload_id,
      const std::vector<std::pair<int, std::string>>& parts, const S3Caller& caller = {});
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id);
  Result<std::vector<S3UploadInfo>> ListMultipartUploads(const std::string& bucket,
                                                         const std::string& prefix);

  // Notifications: replaces the bucket's configuration (empty: none). Every queue must exist
  // (InvalidArgument otherwise); each gets an s3:TestEvent message.
  Status PutBucketNotificationConfiguration(const std::string& bucket,
                                            std::vector<S3QueueNotification> queues,
                                            const S3Caller& caller = {});
  Result<std::vector<S3QueueNotification>> GetBucketNotificationConfiguration(
      const std::string& bucket);

  // Where object bytes live (<state_dir>/s3, or the temporary directory).
  const std::string& data_dir() const;

  // ServiceModel.
  std::string service() const override { return "s3"; }
  Status Replay(const nlohmann::json& record) override;
  nlohmann::json Snapshot() const override;
  Status Restore(const nlohmann::json& snapshot) override;
  std::mutex& mutex() override { return mu_; }
  std::unique_ptr<ServiceFront> MakeFront() override;

 private:
  struct Object {
    S3ObjectMeta meta;
    std::string blob;
    uint64_t seq = 0;  // event sequencer of the write that made it
  };
  struct Part {
    S3PartInfo info;
    std::string blob;
  };
  struct Upload {
    std::string key, id;
    Time initiated{};
    S3ObjectAttrs attrs;
    std::map<int, Part> parts;
  };
  struct Bucket {
    std::string name;
    Time created{};
    std::map<std::string, Object> objects;  // byte order, as S3 lists
    std::map<std::string, Upload> uploads;  // by upload id
    std::vector<S3QueueNotification> notifications;
  };
  // A message for a queue, sent once the mutation that caused it is durable.
  struct Event {
    std::string queue_arn, body;
  };

  Bucket* FindLocked(const std::string& name);
  Result<Bucket*> BucketLocked(std::string_view op, const std::string& name);
  // Applies one record to the in-memory state (caller holds mu_): the same code for live
  // mutations and replay. Blobs the record stops naming are added to `dropped`.
  Status ApplyLocked(const nlohmann::json& record, std::vector<std::string>* dropped);
  // Applies and enqueues a record built here from validated input; returns its sequence.
  uint64_t RecordLocked(nlohmann::json record, std::vector<std::string>* dropped);
  // Removes files no record names, once, before this process writes its first blob (so after
  // replay, and never while a write is under way).
  Status Prepare();
  // Commits the journal up to `seq`, then removes the dropped blobs and delivers the events.
  Status Finish(uint64_t seq, const std::vector<std::string>& dropped,
                const std::vector<Event>& events);
  Result<S3GetOutput> Read(std::string_view op, const std::string& bucket, const std::string& key,
                           const std::optional<S3Range>& range, const S3Conditions& conditions,
                           bool with_body);
  // Records `blob` as the object `key` (the write half of Put, Copy and Complete): checks the
  // bucket, the write conditions and (for Complete) that the upload still exists, then
  // journals, removes what it replaced and sends the notifications for `event`. Removes
  // `blob` on failure.
  struct NewObject {
    std::string blob;
    uint64_t size = 0;
    std::string etag;
    S3ObjectAttrs attrs;
    int parts = 0;
    std::string upload_id;  // Complete: the upload to consume, with these part blobs
    std::vector<std::string> part_blobs;
    std::string if_none_match, if_match;
  };
  Result<S3ObjectMeta> CommitObject(std::string_view op, const std::string& bucket,
                                    const std::string& key, NewObject obj, std::string_view event,
                                    const S3Caller& caller);
  // Builds the messages for `event_name` on `key` (caller holds mu_).
  void CollectEventsLocked(const Bucket& b, const std::string& key, std::string_view event_name,
                           const S3ObjectMeta* meta, uint64_t sequencer, const S3Caller& caller,
                           std::vector<Event>& out) const;
  void Deliver(const std::vector<Event>& events);
  Result<Upload*> UploadLocked(std::string_view op, Bucket& b, const std::string& key,
                               const std::string& upload_id);
  Result<S3PartInfo> StorePart(std::string_view op, const std::string& bucket,
                               const std::string& key, const std::string& upload_id,
                               int part_number, std::string_view body);

  RegionContext& ctx_;
  SqsModel& sqs_;
  S3ModelOptions options_;
  std::unique_ptr<S3BlobDir> blobs_;
  std::once_flag prepared_;
  Status prepare_status_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Bucket>> buckets_;
  uint64_t next_seq_ = 1;  // event sequencers, across buckets
};

// The object key as S3 writes it in event notifications: form-URL-encoded (space → '+'),
// with '/' kept.
std::string S3EventKeyEncode(std::string_view key);

}  // namespace steady::region
