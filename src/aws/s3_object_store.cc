#include "aws/s3_object_store.h"

#include <algorithm>

#include "base/log.h"

namespace steady::aws {
namespace {

// Buffers an object and sends it as one PutObject if it stays small, else as a multipart
// upload whose parts go up as soon as they are full.
class S3ObjectWriter final : public ObjectWriter {
 public:
  S3ObjectWriter(S3Client& client, std::string bucket, std::string key,
                 const S3ObjectStoreOptions& options)
      : client_(client), bucket_(std::move(bucket)), key_(std::move(key)), options_(options) {}
  ~S3ObjectWriter() override { Abort(); }

  Status Write(std::string_view data) override {
    if (!status_.ok()) return status_;
    if (closed_) return FailedPreconditionError("write after close: " + key_);
    buffer_.append(data);
    bytes_ += data.size();
    if (upload_id_.empty() && buffer_.size() > options_.multipart_threshold) {
      auto id = client_.CreateMultipartUpload(bucket_, key_, options_.content_type);
      if (!id.ok()) return Fail(id.status());
      upload_id_ = std::move(*id);
    }
    if (!upload_id_.empty()) {
      size_t pos = 0;
      while (buffer_.size() - pos >= options_.part_size) {
        Status s = UploadPart(buffer_.substr(pos, options_.part_size));
        if (!s.ok()) return Fail(s);
        pos += options_.part_size;
      }
      buffer_.erase(0, pos);
    }
    return Status::Ok();
  }

  Status Close() override {
    if (!status_.ok()) return status_;
    if (closed_) return Status::Ok();
    if (upload_id_.empty()) {
      PutObjectRequest req{.bucket = bucket_,
                           .key = key_,
                           .body = std::move(buffer_),
                           .content_type = options_.content_type};
      buffer_.clear();
      auto put = client_.PutObject(std::move(req));
      if (!put.ok()) return Fail(put.status());
      closed_ = true;
      return Status::Ok();
    }
    // The last part may be smaller than the minimum; it is sent even when empty only if it
    // would be the only part (cannot happen: an upload starts past the threshold).
    if (!buffer_.empty() || parts_.empty()) {
      Status s = UploadPart(std::move(buffer_));
      buffer_.clear();
      if (!s.ok()) return Fail(s);
    }
    auto done = client_.CompleteMultipartUpload(bucket_, key_, upload_id_, parts_);
    if (!done.ok()) return Fail(done.status());
    closed_ = true;
    return Status::Ok();
  }

  void Abort() override {
    if (closed_) return;
    if (status_.ok()) status_ = CancelledError("writer aborted: " + key_);
    AbortUpload();
    buffer_.clear();
  }

  uint64_t bytes_written() const override { return bytes_; }

 private:
  Status UploadPart(std::string body) {
    int number = static_cast<int>(parts_.size()) + 1;
    if (number > S3Client::kMaxParts) {
      return InvalidArgumentError("object " + key_ + " needs more than 10000 parts of " +
                                  std::to_string(options_.part_size) + " bytes");
    }
    ASSIGN_OR_RETURN(std::string etag,
                     client_.UploadPart(bucket_, key_, upload_id_, number, std::move(body)));
    parts_.push_back({number, std::move(etag)});
    return Status::Ok();
  }

  // Records the first error and gives up on the upload.
  Status Fail(Status s) {
    status_ = s;
    AbortUpload();
    buffer_.clear();
    return s;
  }

  void AbortUpload() {
    if (upload_id_.empty()) return;
    Status s = client_.AbortMultipartUpload(bucket_, key_, upload_id_);
    // NoSuchUpload: already gone, which is what we wanted.
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      LogWarn(
          "abort multipart upload failed; its parts stay until a lifecycle rule removes "
          "them",
          {{"bucket", bucket_}, {"key", key_}, {"upload_id", upload_id_}, {"error", s.ToString()}});
    }
    upload_id_.clear();
  }

  S3Client& client_;
  std::string bucket_, key_;
  const S3ObjectStoreOptions options_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<CompletedPart> parts_;
  uint64_t bytes_ = 0;
  bool closed_ = false;
  Status status_;
};

}  // namespace

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Client& client, std::string bucket,
                                                             std::string prefix,
                                                             S3ObjectStoreOptions options) {
  if (bucket.empty()) return InvalidArgumentError("s3 store: empty bucket");
  if (options.part_size < S3Client::kMinPartSize) {
    return InvalidArgumentError("s3 store: part size below 5 MiB");
  }
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(client, std::move(bucket), std::move(prefix), std::move(options)));
}

S3ObjectStore::S3ObjectStore(S3Client& client, std::string bucket, std::string prefix,
                             S3ObjectStoreOptions options)
    : client_(client),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)),
      options_(std::move(options)) {}

S3ObjectStore::~S3ObjectStore() = default;

Status S3ObjectStore::Put(std::string_view key, std::string_view data) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  if (data.size() > options_.multipart_threshold) {
    ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, NewWriter(key));
    RETURN_IF_ERROR(writer->Write(data));
    return writer->Close();
  }
  PutObjectRequest req{.bucket = bucket_,
                       .key = FullKey(key),
                       .body = std::string(data),
                       .content_type = options_.content_type};
  return client_.PutObject(std::move(req)).status();
}

Result<std::unique_ptr<ObjectWriter>> S3ObjectStore::NewWriter(std::string_view key) {
  RETURN_IF_ERROR(ValidateObjectKey(key));
  return std::unique_ptr<ObjectWriter>(
      new S3ObjectWriter(client_, bucket_, FullKey(key), options_));
}

Result<std::string> S3ObjectStore::Get(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("get: empty key");
  ASSIGN_OR_RETURN(GetObjectOutput out,
                   client_.GetObject({.bucket = bucket_, .key = FullKey(key)}));
  return std::move(out.body);
}

Result<std::string> S3ObjectStore::GetRange(std::string_view key, uint64_t offset,
                                            uint64_t length) {
  if (key.empty()) return InvalidArgumentError("get: empty key");
  if (length == 0) {
    RETURN_IF_ERROR(Head(key));
    return std::string();
  }
  GetObjectRequest req{.bucket = bucket_, .key = FullKey(key)};
  req.range = ByteRange{.first = offset};
  if (length != kToEnd) {
    if (offset > kToEnd - length) return InvalidArgumentError("get: range overflows");
    req.range->last = offset + length - 1;
  }
  auto out = client_.GetObject(req);
  if (!out.ok()) {
    // S3 answers 416 to any range of an empty object; the contract reads it as "".
    if (offset == 0 && out.status().code() == StatusCode::kInvalidArgument) {
      auto head = Head(key);
      if (head.ok() && head->size == 0) return std::string();
    }
    return out.status();
  }
  if (out->content_range.empty()) {
    // The server ignored the Range header and sent the whole object: cut the range here.
    const std::string& body = out->body;
    if (offset >= body.size() && !(offset == 0 && body.empty())) {
      return InvalidArgumentError("get: range not satisfiable: offset " + std::to_string(offset) +
                                  " of " + std::to_string(body.size()) + " bytes");
    }
    uint64_t n = std::min<uint64_t>(length, body.size() - offset);
    return body.substr(static_cast<size_t>(offset), static_cast<size_t>(n));
  }
  return std::move(out->body);
}

Result<ObjectInfo> S3ObjectStore::Head(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("head: empty key");
  ASSIGN_OR_RETURN(HeadObjectOutput out, client_.HeadObject(bucket_, FullKey(key)));
  ObjectInfo info;
  info.key = std::string(key);
  info.size = out.content_length;
  info.etag = std::move(out.etag);
  info.last_modified = out.last_modified;
  return info;
}

Result<ListPage> S3ObjectStore::List(const ListOptions& options,
                                     std::string_view continuation_token) {
  if (options.max_keys < 1 || options.max_keys > 1000) {
    return InvalidArgumentError("list: max_keys must be 1..1000");
  }
  ListObjectsV2Request req;
  req.bucket = bucket_;
  req.prefix = prefix_ + options.prefix;
  req.delimiter = options.delimiter;
  req.continuation_token = std::string(continuation_token);
  if (continuation_token.empty() && !options.start_after.empty()) {
    req.start_after = prefix_ + options.start_after;
  }
  req.max_keys = options.max_keys;
  ASSIGN_OR_RETURN(ListObjectsV2Output out, client_.ListObjectsV2(req));
  ListPage page;
  auto strip = [&](std::string& key) -> Status {
    if (!key.starts_with(prefix_)) {
      return DataLossError("list " + Describe() + ": the server returned \"" + key +
                           "\", outside the prefix");
    }
    key.erase(0, prefix_.size());
    return Status::Ok();
  };
  page.objects.reserve(out.contents.size());
  for (S3Object& obj : out.contents) {
    RETURN_IF_ERROR(strip(obj.key));
    page.objects.push_back({std::move(obj.key), obj.size, std::move(obj.etag), obj.last_modified});
  }
  for (std::string& p : out.common_prefixes) {
    RETURN_IF_ERROR(strip(p));
    // The contract puts common prefixes, like keys, strictly after start_after; servers
    // differ on a prefix that contains it (s3rver returns it), so the rule is applied here.
    if (!options.start_after.empty() && p <= options.start_after) continue;
    page.common_prefixes.push_back(std::move(p));
  }
  if (out.is_truncated) page.continuation_token = std::move(out.next_continuation_token);
  return page;
}

Status S3ObjectStore::Delete(std::span<const std::string> keys) {
  Status first;
  size_t failed = 0;
  auto fail = [&](const Status& s, size_t n) {
    if (failed == 0) first = s;
    failed += n;
  };
  std::vector<std::string> batch;
  batch.reserve(std::min(keys.size(), S3Client::kMaxDeleteKeys));
  for (size_t i = 0; i < keys.size(); i += S3Client::kMaxDeleteKeys) {
    size_t n = std::min(S3Client::kMaxDeleteKeys, keys.size() - i);
    batch.clear();
    for (size_t j = i; j < i + n; ++j) {
      if (keys[j].empty()) {
        fail(InvalidArgumentError("empty key"), 1);
        continue;
      }
      batch.push_back(FullKey(keys[j]));
    }
    if (batch.empty()) continue;
    auto out = client_.DeleteObjects(bucket_, batch, /*quiet=*/true);
    if (!out.ok()) {
      fail(out.status(), batch.size());
      continue;
    }
    for (const auto& e : out->errors) {
      // A key that does not exist is not an error in S3's DeleteObjects; anything reported
      // here is a real failure (AccessDenied, InternalError, ...).
      AwsError error{.http_status = 200, .code = e.code, .message = e.key + ": " + e.message};
      fail(ErrorToStatus(error, "DeleteObjects"), 1);
    }
  }
  if (failed > 0) {
    return first.WithContext("delete from " + Describe() + " (" + std::to_string(failed) + " of " +
                             std::to_string(keys.size()) + " keys failed)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view spec,
                                                     const ObjectStoreContext& context) {
  ASSIGN_OR_RETURN(StoreSpec parsed, ParseStoreSpec(spec));
  if (parsed.kind == StoreSpec::Kind::kLocal) {
    ASSIGN_OR_RETURN(std::unique_ptr<LocalObjectStore> local,
                     LocalObjectStore::Open(parsed.dir, context.local));
    return std::unique_ptr<ObjectStore>(std::move(local));
  }
  if (context.http == nullptr || context.credentials == nullptr || context.clock == nullptr ||
      context.metrics == nullptr) {
    return FailedPreconditionError("--store " + std::string(spec) +
                                   ": S3 needs an HTTP client, credentials, a clock and metrics");
  }
  if (context.s3_store.part_size < S3Client::kMinPartSize) {
    return InvalidArgumentError("s3 store: part size below 5 MiB");
  }
  auto transport =
      std::make_unique<AwsTransport>(S3ServiceInfo(), context.transport, *context.http,
                                     *context.credentials, *context.clock, *context.metrics);
  auto client = std::make_unique<S3Client>(*transport, context.s3_client);
  std::unique_ptr<S3ObjectStore> store(
      new S3ObjectStore(*client, parsed.bucket, parsed.prefix, context.s3_store));
  store->owned_transport_ = std::move(transport);
  store->owned_client_ = std::move(client);
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace steady::aws
