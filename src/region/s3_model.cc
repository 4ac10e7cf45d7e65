#include "region/s3_model.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <set>

#include "base/base64.h"
#include "base/ids.h"
#include "region/s3_front.h"
#include "region/s3_util.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using namespace s3_internal;  // NOLINT: this component's own helpers

namespace {

// Bucket naming rules for general purpose buckets.
bool ValidBucketName(std::string_view n) {
  if (n.size() < 3 || n.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : n)
    if (!alnum(c) && c != '.' && c != '-') return false;
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  if (n.find("..") != std::string_view::npos || n.find(".-") != std::string_view::npos ||
      n.find("-.") != std::string_view::npos)
    return false;
  if (n.starts_with("xn--") || n.starts_with("sthree-") || n.ends_with("-s3alias") ||
      n.ends_with("--ol-s3"))
    return false;
  // Not formatted as an IP address.
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : n) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      digits_and_dots = false;
  }
  return !(digits_and_dots && dots == 3);
}

// The smallest string greater than every string that starts with `p` ("" if none is).
std::string PrefixSuccessor(std::string p) {
  while (!p.empty() && static_cast<unsigned char>(p.back()) == 0xff) p.pop_back();
  if (!p.empty()) p.back() = static_cast<char>(static_cast<unsigned char>(p.back()) + 1);
  return p;
}

}  // namespace

std::optional<S3Range> ParseS3Range(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.size() < 6 || !net::EqualsIgnoreCase(h.substr(0, 6), "bytes=")) return std::nullopt;
  h.remove_prefix(6);
  size_t dash = h.find('-');
  if (dash == std::string_view::npos || h.find(',') != std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s, uint64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  S3Range r;
  std::string_view a = h.substr(0, dash), b = h.substr(dash + 1);
  uint64_t v;
  if (a.empty()) {
    if (!number(b, v)) return std::nullopt;
    r.suffix = v;
    return r;
  }
  if (!number(a, v)) return std::nullopt;
  r.first = v;
  if (!b.empty()) {
    if (!number(b, v) || v < *r.first) return std::nullopt;
    r.last = v;
  }
  return r;
}

S3Model::S3Model(RegionContext& ctx, SqsModel& sqs, S3ModelOptions options)
    : ctx_(ctx),
      sqs_(sqs),
      options_(std::move(options)),
      blobs_(std::make_unique<S3BlobDir>(options_.state_dir.empty() ? ""
                                                                    : options_.state_dir + "/s3")) {
}

S3Model::~S3Model() = default;

const std::string& S3Model::data_dir() const { return blobs_->dir(); }

std::unique_ptr<ServiceFront> S3Model::MakeFront() {
  return std::make_unique<S3Front>(*this, ctx_);
}

Status S3Model::Prepare() {
  std::call_once(prepared_, [this] {
    prepare_status_ = blobs_->status();
    if (!prepare_status_.ok() || !blobs_->durable()) return;
    std::set<std::string> keep;
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, b] : buckets_) {
        for (const auto& [k, o] : b->objects) keep.insert(o.blob);
        for (const auto& [id, u] : b->uploads)
          for (const auto& [n, p] : u.parts) keep.insert(p.blob);
      }
    }
    blobs_->Collect(keep);
  });
  return prepare_status_;
}

S3Model::Bucket* S3Model::FindLocked(const std::string& name) {
  auto it = buckets_.find(name);
  return it == buckets_.end() ? nullptr : it->second.get();
}

Result<S3Model::Bucket*> S3Model::BucketLocked(std::string_view op, const std::string& name) {
  Bucket* b = FindLocked(name);
  if (!b) return NoSuchBucket(op);
  return b;
}

uint64_t S3Model::RecordLocked(json record, std::vector<std::string>* dropped) {
  record["s"] = "s3";
  Status s = ApplyLocked(record, dropped);
  // Live records are built by this file from validated input; failing to apply one is a bug.
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status S3Model::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record, nullptr);
}

Status S3Model::ApplyLocked(const json& r, std::vector<std::string>* dropped) {
  auto drop = [dropped](const std::string& blob) {
    if (dropped) dropped->push_back(blob);
  };
  try {
    const std::string op = r.at("op");
    if (op == "seq") {
      next_seq_ = std::max<uint64_t>(next_seq_, r.at("next"));
      return Status::Ok();
    }
    const std::string name = r.at("b");
    if (op == "mkb") {
      auto b = std::make_unique<Bucket>();
      b->name = name;
      b->created = FromUnixNanos(r.at("t"));
      buckets_[name] = std::move(b);
      return Status::Ok();
    }
    Bucket* b = FindLocked(name);
    if (!b) return DataLossError("s3 journal names unknown bucket " + name);
    if (op == "rmb") {
      for (const auto& [id, u] : b->uploads)
        for (const auto& [n, p] : u.parts) drop(p.blob);
      buckets_.erase(name);
    } else if (op == "put") {
      const std::string key = r.at("k");
      Object obj;
      obj.blob = r.at("blob");
      obj.seq = r.at("seq");
      obj.meta.key = key;
      obj.meta.size = r.at("size");
      obj.meta.etag = r.at("etag");
      obj.meta.last_modified = FromUnixNanos(r.at("t"));
      obj.meta.attrs = AttrsFromJson(r.at("a"));
      obj.meta.parts = r.value("parts", 0);
      if (r.contains("u")) {
        auto u = b->uploads.find(r.at("u"));
        if (u == b->uploads.end()) return DataLossError("s3 journal completes unknown upload");
        for (const auto& [n, p] : u->second.parts) drop(p.blob);
        b->uploads.erase(u);
      }
      auto old = b->objects.find(key);
      if (old != b->objects.end()) drop(old->second.blob);
      next_seq_ = std::max(next_seq_, obj.seq + 1);
      b->objects[key] = std::move(obj);
    } else if (op == "del") {
      auto it = b->objects.find(r.at("k"));
      if (it != b->objects.end()) {
        drop(it->second.blob);
        b->objects.erase(it);
      }
      next_seq_ = std::max<uint64_t>(next_seq_, r.value("seq", uint64_t{0}) + 1);
    } else if (op == "mpu") {
      Upload u;
      u.id = r.at("u");
      u.key = r.at("k");
      u.initiated = FromUnixNanos(r.at("t"));
      u.attrs = AttrsFromJson(r.at("a"));
      b->uploads[u.id] = std::move(u);
    } else if (op == "part") {
      auto u = b->uploads.find(r.at("u"));
      if (u == b->uploads.end()) return DataLossError("s3 journal names unknown upload");
      Part p;
      p.blob = r.at("blob");
      p.info.part_number = r.at("n");
      p.info.size = r.at("size");
      p.info.etag = r.at("etag");
      p.info.last_modified = FromUnixNanos(r.at("t"));
      auto old = u->second.parts.find(p.info.part_number);
      if (old != u->second.parts.end()) drop(old->second.blob);
      u->second.parts[p.info.part_number] = std::move(p);
    } else if (op == "abort") {
      auto u = b->uploads.find(r.at("u"));
      if (u != b->uploads.end()) {
        for (const auto& [n, p] : u->second.parts) drop(p.blob);
        b->uploads.erase(u);
      }
    } else if (op == "notif") {
      b->notifications.clear();
      for (const json& c : r.at("cfg")) {
        S3QueueNotification n;
        n.id = c.at("id");
        n.queue_arn = c.at("q");
        n.events = c.at("ev").get<std::vector<std::string>>();
        n.prefix = c.value("pre", "");
        n.suffix = c.value("suf", "");
        b->notifications.push_back(std::move(n));
      }
    } else {
      return DataLossError("unknown s3 journal op " + op);
    }
  } catch (const json::exception& e) {
    return DataLossError(std::string("bad s3 journal record: ") + e.what());
  }
  return Status::Ok();
}

json S3Model::Snapshot() const {
  // As records that replay to the same state: one code path restores both.
  json records = json::array();
  records.push_back({{"s", "s3"}, {"op", "seq"}, {"next", next_seq_}});
  for (const auto& [name, b] : buckets_) {
    records.push_back({{"s", "s3"}, {"op", "mkb"}, {"b", name}, {"t", Ns(b->created)}});
    if (!b->notifications.empty()) {
      json cfg = json::array();
      for (const auto& n : b->notifications)
        cfg.push_back({{"id", n.id},
                       {"q", n.queue_arn},
                       {"ev", n.events},
                       {"pre", n.prefix},
                       {"suf", n.suffix}});
      records.push_back({{"s", "s3"}, {"op", "notif"}, {"b", name}, {"cfg", cfg}});
    }
    for (const auto& [key, o] : b->objects) {
      records.push_back({{"s", "s3"},
                         {"op", "put"},
                         {"b", name},
                         {"k", key},
                         {"blob", o.blob},
                         {"size", o.meta.size},
                         {"etag", o.meta.etag},
                         {"t", Ns(o.meta.last_modified)},
                         {"a", AttrsToJson(o.meta.attrs)},
                         {"parts", o.meta.parts},
                         {"seq", o.seq}});
    }
    for (const auto& [id, u] : b->uploads) {
      records.push_back({{"s", "s3"},
                         {"op", "mpu"},
                         {"b", name},
                         {"u", id},
                         {"k", u.key},
                         {"t", Ns(u.initiated)},
                         {"a", AttrsToJson(u.attrs)}});
      for (const auto& [n, p] : u.parts) {
        records.push_back({{"s", "s3"},
                           {"op", "part"},
                           {"b", name},
                           {"u", id},
                           {"n", n},
                           {"blob", p.blob},
                           {"size", p.info.size},
                           {"etag", p.info.etag},
                           {"t", Ns(p.info.last_modified)}});
      }
    }
  }
  return records;
}

Status S3Model::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  buckets_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r, nullptr));
  return Status::Ok();
}

Status S3Model::Finish(uint64_t seq, const std::vector<std::string>& dropped,
                       const std::vector<Event>& events) {
  if (seq != 0) RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  // Only once the record that stopped naming them is durable: before, a crash would replay
  // to a state that still needs them.
  blobs_->Remove(dropped);
  Deliver(events);
  return Status::Ok();
}

// --- buckets ---

Status S3Model::CreateBucket(const std::string& bucket) {
  constexpr std::string_view kOp = "CreateBucket";
  if (!ValidBucketName(bucket))
    return ServiceError(kOp, "InvalidBucketName", "The specified bucket is not valid.");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (FindLocked(bucket))
      return ServiceError(kOp, "BucketAlreadyOwnedByYou",
                          "Your previous request to create the named bucket succeeded and you "
                          "already own it.",
                          409);
    seq = RecordLocked({{"op", "mkb"}, {"b", bucket}, {"t", Ns(ctx_.clock.Now())}}, nullptr);
  }
  return ctx_.journal().Commit(seq);
}

Status S3Model::DeleteBucket(const std::string& bucket) {
  constexpr std::string_view kOp = "DeleteBucket";
  uint64_t seq;
  std::vector<std::string> dropped;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    if (!b->objects.empty())
      return ServiceError(kOp, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                          409);
    seq = RecordLocked({{"op", "rmb"}, {"b", bucket}}, &dropped);
  }
  return Finish(seq, dropped, {});
}

Status S3Model::HeadBucket(const std::string& bucket) {
  std::lock_guard lock(mu_);
  return BucketLocked("HeadBucket", bucket).status();
}

std::vector<S3BucketInfo> S3Model::ListBuckets() {
  std::lock_guard lock(mu_);
  std::vector<S3BucketInfo> out;
  for (const auto& [name, b] : buckets_) out.push_back({name, b->created});
  return out;
}

// --- objects ---

Result<S3ObjectMeta> S3Model::CommitObject(std::string_view op, const std::string& bucket,
                                           const std::string& key, NewObject obj,
                                           std::string_view event, const S3Caller& caller) {
  std::vector<std::string> dropped;
  std::vector<Event> events;
  uint64_t seq;
  S3ObjectMeta meta;
  {
    std::lock_guard lock(mu_);
    auto fail = [&](Status s) {
      blobs_->Remove({obj.blob});
      return s;
    };
    Bucket* b = FindLocked(bucket);
    if (!b) return fail(NoSuchBucket(op));
    auto existing = b->objects.find(key);
    bool exists = existing != b->objects.end();
    if (!obj.if_none_match.empty() && exists &&
        EtagListMatches(obj.if_none_match, existing->second.meta.etag))
      return fail(PreconditionFailed(op));
    if (!obj.if_match.empty()) {
      if (!exists) return fail(NoSuchKey(op));
      if (!EtagListMatches(obj.if_match, existing->second.meta.etag))
        return fail(PreconditionFailed(op));
    }
    if (!obj.upload_id.empty()) {
      auto u = b->uploads.find(obj.upload_id);
      if (u == b->uploads.end() || u->second.key != key)
        return fail(ServiceError(op, "NoSuchUpload", "The specified upload does not exist.", 404));
      std::set<std::string> current;
      for (const auto& [n, p] : u->second.parts) current.insert(p.blob);
      for (const std::string& pb : obj.part_blobs)
        if (!current.count(pb))
          return fail(ServiceError(op, "InvalidPart",
                                   "A part was replaced while the upload was being completed."));
    }
    uint64_t sequencer = next_seq_;
    json r = {{"op", "put"},
              {"b", bucket},
              {"k", key},
              {"blob", obj.blob},
              {"size", obj.size},
              {"etag", obj.etag},
              {"t", Ns(ctx_.clock.Now())},
              {"a", AttrsToJson(obj.attrs)},
              {"parts", obj.parts},
              {"seq", sequencer}};
    if (!obj.upload_id.empty()) r["u"] = obj.upload_id;
    seq = RecordLocked(std::move(r), &dropped);
    meta = b->objects.at(key).meta;
    CollectEventsLocked(*b, key, event, &meta, sequencer, caller, events);
  }
  RETURN_IF_ERROR(Finish(seq, dropped, events));
  meta.attrs = WithDefaults(std::move(meta.attrs));
  return meta;
}

Result<S3ObjectMeta> S3Model::PutObject(const S3PutInput& in, const S3Caller& caller) {
  constexpr std::string_view kOp = "PutObject";
  RETURN_IF_ERROR(ValidateKey(kOp, in.key));
  RETURN_IF_ERROR(ValidateAttrs(kOp, in.attrs));
  RETURN_IF_ERROR(Prepare());
  {
    // Fail before writing the bytes when the bucket is missing (checked again at commit).
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(BucketLocked(kOp, in.bucket).status());
  }
  NewObject obj;
  obj.etag = Md5Hex(in.body);
  obj.size = in.body.size();
  obj.attrs = in.attrs;
  obj.if_none_match = in.if_none_match;
  obj.if_match = in.if_match;
  ASSIGN_OR_RETURN(obj.blob, blobs_->Write(in.body));
  return CommitObject(kOp, in.bucket, in.key, std::move(obj), "ObjectCreated:Put", caller);
}

Result<S3GetOutput> S3Model::Read(std::string_view op, const std::string& bucket,
                                  const std::string& key, const std::optional<S3Range>& range,
                                  const S3Conditions& conditions, bool with_body) {
  S3GetOutput out;
  S3BlobFile file;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(op, bucket));
    auto it = b->objects.find(key);
    if (it == b->objects.end()) return NoSuchKey(op);
    out.meta = it->second.meta;
    RETURN_IF_ERROR(CheckConditions(op, out.meta, conditions));
    if (range) {
      RETURN_IF_ERROR(ResolveRange(op, *range, out.meta.size, out.first, out.last));
      out.partial = true;
    }
    // Opened under the lock: the file stays readable through this descriptor even if the
    // object is replaced and its file removed before the read below.
    if (with_body) {
      ASSIGN_OR_RETURN(file, blobs_->Open(it->second.blob));
    }
  }
  out.meta.attrs = WithDefaults(std::move(out.meta.attrs));
  if (with_body) {
    uint64_t first = out.partial ? out.first : 0;
    uint64_t n = out.partial ? out.last - out.first + 1 : out.meta.size;
    ASSIGN_OR_RETURN(out.body, file.ReadAt(first, n));
  }
  return out;
}

Result<S3GetOutput> S3Model::GetObject(const std::string& bucket, const std::string& key,
                                       const std::optional<S3Range>& range,
                                       const S3Conditions& conditions) {
  return Read("GetObject", bucket, key, range, conditions, true);
}

Result<S3GetOutput> S3Model::HeadObject(const std::string& bucket, const std::string& key,
                                        const std::optional<S3Range>& range,
                                        const S3Conditions& conditions) {
  return Read("HeadObject", bucket, key, range, conditions, false);
}

Result<S3ObjectMeta> S3Model::CopyObject(const S3CopyInput& in, const S3Caller& caller) {
  constexpr std::string_view kOp = "CopyObject";
  RETURN_IF_ERROR(ValidateKey(kOp, in.key));
  RETURN_IF_ERROR(ValidateAttrs(kOp, in.attrs));
  RETURN_IF_ERROR(Prepare());
  NewObject obj;
  bool multipart_source = false;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * src, BucketLocked(kOp, in.src_bucket));
    RETURN_IF_ERROR(BucketLocked(kOp, in.bucket).status());
    auto it = src->objects.find(in.src_key);
    if (it == src->objects.end()) return NoSuchKey(kOp);
    const S3ObjectMeta& m = it->second.meta;
    if (Status s = CheckConditions(kOp, m, in.src_conditions); !s.ok())
      return PreconditionFailed(kOp);  // copies answer 412 for every failed condition
    if (in.src_bucket == in.bucket && in.src_key == in.key && !in.replace_metadata)
      return ServiceError(kOp, "InvalidRequest",
                          "This copy request is illegal because it is trying to copy an object "
                          "to itself without changing the object's metadata, storage class, "
                          "website redirect location or encryption attributes.");
    obj.size = m.size;
    obj.etag = m.etag;
    obj.attrs = in.replace_metadata ? in.attrs : m.attrs;
    multipart_source = m.parts > 0;
    // A new name for the same immutable bytes; under the lock so that the source file cannot
    // be removed first.
    ASSIGN_OR_RETURN(obj.blob, blobs_->Link(it->second.blob));
  }
  if (multipart_source) {
    // A copy is written in one piece: its ETag is the MD5 of its bytes.
    auto file = blobs_->Open(obj.blob);
    auto bytes = file.ok() ? file->ReadAt(0, obj.size) : Result<std::string>(file.status());
    if (!bytes.ok()) {
      blobs_->Remove({obj.blob});
      return bytes.status();
    }
    obj.etag = Md5Hex(*bytes);
  }
  return CommitObject(kOp, in.bucket, in.key, std::move(obj), "ObjectCreated:Copy", caller);
}

Status S3Model::DeleteObject(const std::string& bucket, const std::string& key,
                             const S3Caller& caller) {
  RETURN_IF_ERROR(ValidateKey("DeleteObject", key));
  ASSIGN_OR_RETURN(auto results, DeleteObjects(bucket, {key}, caller));
  return Status::Ok();
}

Result<std::vector<S3DeleteResult>> S3Model::DeleteObjects(const std::string& bucket,
                                                           const std::vector<std::string>& keys,
                                                           const S3Caller& caller) {
  constexpr std::string_view kOp = "DeleteObjects";
  if (keys.empty() || keys.size() > kMaxDeleteKeys)
    return ServiceError(kOp, "MalformedXML",
                        "The XML you provided was not well-formed or did not validate against "
                        "our published schema");
  std::vector<S3DeleteResult> results;
  std::vector<std::string> dropped;
  std::vector<Event> events;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, bucket));
    for (const std::string& key : keys) {
      S3DeleteResult r{key, "", ""};
      if (key.empty() || key.size() > kMaxKeyBytes) {
        r.code = key.empty() ? "InvalidArgument" : "KeyTooLongError";
        r.message = key.empty() ? "An object key must not be empty." : "Your key is too long";
      } else if (b->objects.count(key)) {
        uint64_t sequencer = next_seq_;
        seq =
            RecordLocked({{"op", "del"}, {"b", bucket}, {"k", key}, {"seq", sequencer}}, &dropped);
        CollectEventsLocked(*b, key, "ObjectRemoved:Delete", nullptr, sequencer, caller, events);
      }
      results.push_back(std::move(r));
    }
  }
  RETURN_IF_ERROR(Finish(seq, dropped, events));
  return results;
}

Result<S3ListOutput> S3Model::ListObjects(const S3ListInput& in) {
  constexpr std::string_view kOp = "ListObjects";
  if (in.max_keys < 0)
    return ServiceError(kOp, "InvalidArgument",
                        "Argument maxKeys must be an integer between 0 and 2147483647");
  std::string marker = in.start_after;
  if (!in.continuation_token.empty()) {
    auto decoded = Base64Decode(in.continuation_token);
    if (!decoded.ok() || !decoded->starts_with("1:"))
      return ServiceError(kOp, "InvalidArgument", "The continuation token provided is incorrect");
    marker = decoded->substr(2);
  }
  const int max_keys = std::min(in.max_keys, 1000);
  S3ListOutput out;
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Bucket * b, BucketLocked(kOp, in.bucket));
  if (max_keys == 0) return out;
  const auto& objects = b->objects;
  auto it = in.prefix > marker ? objects.lower_bound(in.prefix) : objects.upper_bound(marker);
  int count = 0;
  // Jumps past every key under common prefix `cp`.
  auto skip_prefix = [&](const std::string& cp) {
    std::string next = PrefixSuccessor(cp);
    it = next.empty() ? objects.end() : objects.lower_bound(next);
  };
  while (it != objects.end() && it->first.starts_with(in.prefix)) {
    const std::string& key = it->first;
    std::string cp;
    if (!in.delimiter.empty()) {
      size_t at = key.find(in.delimiter, in.prefix.size());
      if (at != std::string::npos) cp = key.substr(0, at + in.delimiter.size());
    }
    if (!cp.empty() && cp <= marker) {  // rolled up on an earlier page
      skip_prefix(cp);
      continue;
    }
    if (count == max_keys) {
      out.is_truncated = true;
      break;
    }
    ++count;
    if (!cp.empty()) {
      out.common_prefixes.push_back(cp);
      out.next_marker = cp;
      skip_prefix(cp);
      continue;
    }
    S3ObjectMeta m = it->second.meta;
    m.attrs = WithDefaults(std::move(m.attrs));
    out.contents.push_back(std::move(m));
    out.next_marker = key;
    ++it;
  }
  if (out.is_truncated) out.next_continuation_token = Base64Encode("1:" + out.next_marker);
  return out;
}

}  // namespace steady::region
