// S3Model's multipart uploads: parts are blobs of their own; Complete concatenates the listed
// parts into a new blob and records it as the object in the same record that ends the upload.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "region/s3_model.h"
#include "region/s3_util.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using namespace s3_internal;  // NOLINT: this component's own helpers

Result<S3Model::Upload*> S3Model::UploadLocked(std::string_view op, Bucket& b,
                                               const std::string& key,
                                               const std::string& upload_id) {
  auto u = b.uploads.find(upload_id);
  if (u == b.uploads.end() || u->second.key != key)
    return ServiceError(op, "NoSuchUpload",
                        "The specified upload does not exist. The upload ID may be invalid, or "
                        "the upload may have been aborted or completed.",
                        404);
  return &u->second;
}

Result<std::string> S3Model::CreateMultipartUpload(const std::string& bucket,
                                                   const std::string& key,
                                                   const S3ObjectAttrs& attrs) {
  constexpr std::string_view kOp = "CreateMultipartUpload";
  RETURN_IF_ERROR(ValidateKey(kOp, key));
  RETURN_IF_ERROR(ValidateAttrs(kOp, attrs));
  uint64_t seq;
  std::string id;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    do {
      id = ctx_.NewHex(48);
    } while (b->uploads.count(id));
    seq = RecordLocked({{"op", "mpu"},
                        {"b", bucket},
                        {"u", id},
                        {"k", key},
                        {"t", Ns(ctx_.clock.Now())},
                        {"a", AttrsToJson(attrs)}},
                       nullptr);
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return id;
}

Result<S3PartInfo> S3Model::StorePart(std::string_view op, const std::string& bucket,
                                      const std::string& key, const std::string& upload_id,
                                      int part_number, std::string_view body) {
  RETURN_IF_ERROR(Prepare());
  std::string etag = Md5Hex(body);
  ASSIGN_OR_RETURN(std::string blob, blobs_->Write(body));
  uint64_t seq;
  std::vector<std::string> dropped;
  S3PartInfo info;
  {
    std::lock_guard lock(mu_);
    Bucket* b = FindLocked(bucket);
    Status s = b ? UploadLocked(op, *b, key, upload_id).status() : NoSuchBucket(op);
    if (!s.ok()) {
      blobs_->Remove({blob});
      return s;
    }
    seq = RecordLocked({{"op", "part"},
                        {"b", bucket},
                        {"u", upload_id},
                        {"n", part_number},
                        {"blob", blob},
                        {"size", body.size()},
                        {"etag", etag},
                        {"t", Ns(ctx_.clock.Now())}},
                       &dropped);
    info = b->uploads.at(upload_id).parts.at(part_number).info;
  }
  RETURN_IF_ERROR(Finish(seq, dropped, {}));
  return info;
}

namespace {

Status CheckPartNumber(std::string_view op, int n) {
  if (n < 1 || n > kMaxPartNumber)
    return ServiceError(op, "InvalidArgument",
                        "Part number must be an integer between 1 and 10000, inclusive");
  return Status::Ok();
}

}  // namespace

Result<S3PartInfo> S3Model::UploadPart(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id, int part_number,
                                       std::string_view body) {
  constexpr std::string_view kOp = "UploadPart";
  RETURN_IF_ERROR(CheckPartNumber(kOp, part_number));
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    RETURN_IF_ERROR(UploadLocked(kOp, *b, key, upload_id).status());
  }
  return StorePart(kOp, bucket, key, upload_id, part_number, body);
}

Result<S3PartInfo> S3Model::UploadPartCopy(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           const std::string& src_bucket,
                                           const std::string& src_key,
                                           const std::optional<S3Range>& range) {
  constexpr std::string_view kOp = "UploadPartCopy";
  RETURN_IF_ERROR(CheckPartNumber(kOp, part_number));
  S3BlobFile file;
  uint64_t first = 0, n = 0;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    RETURN_IF_ERROR(UploadLocked(kOp, *b, key, upload_id).status());
    ASSIGN_OR_RETURN(Bucket * src, BucketLocked(kOp, src_bucket));
    auto it = src->objects.find(src_key);
    if (it == src->objects.end()) return NoSuchKey(kOp);
    uint64_t size = it->second.meta.size;
    n = size;
    if (range) {
      uint64_t last = 0;
      if (!range->first || !range->last || *range->last >= size ||
          !ResolveRange(kOp, *range, size, first, last).ok())
        return ServiceError(
            kOp, "InvalidArgument",
            "Range specified is not valid for source object of size: " + std::to_string(size));
      n = last - first + 1;
    }
    ASSIGN_OR_RETURN(file, blobs_->Open(it->second.blob));
  }
  ASSIGN_OR_RETURN(std::string bytes, file.ReadAt(first, n));
  return StorePart(kOp, bucket, key, upload_id, part_number, bytes);
}

Result<std::vector<S3PartInfo>> S3Model::ListParts(const std::string& bucket,
                                                   const std::string& key,
                                                   const std::string& upload_id) {
  constexpr std::string_view kOp = "ListParts";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
  ASSIGN_OR_RETURN(Upload * u, UploadLocked(kOp, *b, key, upload_id));
  std::vector<S3PartInfo> out;
  for (const auto& [n, p] : u->parts) out.push_back(p.info);
  return out;
}

Result<S3ObjectMeta> S3Model::CompleteMultipartUpload(
    const std::string& bucket, const std::string& key, const std::string& upload_id,
    const std::vector<std::pair<int, std::string>>& parts, const S3Caller& caller) {
  constexpr std::string_view kOp = "CompleteMultipartUpload";
  if (parts.empty())
    return ServiceError(kOp, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against "
                        "our published schema");
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].first <= parts[i - 1].first)
      return ServiceError(kOp, "InvalidPartOrder",
                          "The list of parts was not in ascending order. Parts must be ordered "
                          "by part number.");
  }
  RETURN_IF_ERROR(Prepare());
  std::vector<S3BlobFile> files;
  std::vector<uint64_t> sizes;
  NewObject obj;
  std::string md5s;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    ASSIGN_OR_RETURN(Upload * u, UploadLocked(kOp, *b, key, upload_id));
    std::vector<const Part*> chosen;
    for (const auto& [n, etag] : parts) {
      auto p = u->parts.find(n);
      if (p == u->parts.end() || StripQuotes(etag) != p->second.info.etag)
        return ServiceError(kOp, "InvalidPart",
                            "One or more of the specified parts could not be found.  The part "
                            "may not have been uploaded, or the specified entity tag may not "
                            "match the part's entity tag.");
      chosen.push_back(&p->second);
    }
    for (size_t i = 0; i + 1 < chosen.size(); ++i) {
      if (chosen[i]->info.size < options_.min_part_size)
        return ServiceError(kOp, "EntityTooSmall",
                            "Your proposed upload is smaller than the minimum allowed size");
    }
    // Opened under the lock, so that a concurrent abort cannot remove them first.
    for (const Part* p : chosen) {
      ASSIGN_OR_RETURN(S3BlobFile f, blobs_->Open(p->blob));
      files.push_back(std::move(f));
      sizes.push_back(p->info.size);
      obj.size += p->info.size;
      md5s += HexDecode(p->info.etag);
      obj.part_blobs.push_back(p->blob);
    }
    obj.attrs = u->attrs;
  }
  std::vector<std::pair<const S3BlobFile*, uint64_t>> pieces;
  for (size_t i = 0; i < files.size(); ++i) pieces.emplace_back(&files[i], sizes[i]);
  ASSIGN_OR_RETURN(obj.blob, blobs_->Concat(pieces));
  obj.etag = Md5Hex(md5s) + "-" + std::to_string(parts.size());
  obj.parts = static_cast<int>(parts.size());
  obj.upload_id = upload_id;
  return CommitObject(kOp, bucket, key, std::move(obj), "ObjectCreated:CompleteMultipartUpload",
                      caller);
}

Status S3Model::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                     const std::string& upload_id) {
  constexpr std::string_view kOp = "AbortMultipartUpload";
  uint64_t seq;
  std::vector<std::string> dropped;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    RETURN_IF_ERROR(UploadLocked(kOp, *b, key, upload_id).status());
    seq = RecordLocked({{"op", "abort"}, {"b", bucket}, {"u", upload_id}}, &dropped);
  }
  return Finish(seq, dropped, {});
}

Result<std::vector<S3UploadInfo>> S3Model::ListMultipartUploads(const std::string& bucket,
                                                                const std::string& prefix) {
  constexpr std::string_view kOp = "ListMultipartUploads";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
  std::vector<S3UploadInfo> out;
  for (const auto& [id, u] : b->uploads)
    if (u.key.starts_with(prefix)) out.push_back({u.key, id, u.initiated, u.attrs});
  std::sort(out.begin(), out.end(), [](const S3UploadInfo& a, const S3UploadInfo& b) {
    return std::tie(a.key, a.initiated, a.upload_id) < std::tie(b.key, b.initiated, b.upload_id);
  });
  return out;
}

}  // namespace steady::region
