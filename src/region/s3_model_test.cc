#include "region/s3_model.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "aws/aws_error.h"
#include "base/ids.h"

namespace steady::region {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Code(const Status& s) { return aws::AwsErrorCode(s); }

// A journal and a state directory that outlive the models built on them.
class S3ModelTest : public ::testing::Test {
 protected:
  S3ModelTest() {
    root_ = fs::temp_directory_path() / ("steady-s3-test-" + NewUuid());
    fs::create_directories(root_);
    Open();
  }
  ~S3ModelTest() override {
    Close();
    fs::remove_all(root_);
  }

  // (Re)opens the journal in root_/journal (replaying it into fresh models) and the models.
  void Open(uint64_t min_part_size = 5) {
    ctx_.reset();
    journal_.reset();
    boot_ = *Journal::Open(
        {}, [](std::string_view) { return Status::Ok(); },
        [](std::string_view) { return Status::Ok(); });
    ctx_ = std::make_unique<RegionContext>(clock_, *boot_);
    sqs_ = std::make_unique<SqsModel>(*ctx_);
    s3_ = std::make_unique<S3Model>(
        *ctx_, *sqs_, S3ModelOptions{.state_dir = root_.string(), .min_part_size = min_part_size});
    auto opened = Journal::Open(
        {.dir = (root_ / "journal").string()}, [](std::string_view) { return Status::Ok(); },
        [this](std::string_view rec) {
          json r = json::parse(rec);
          return r["s"] == "s3" ? s3_->Replay(r) : sqs_->Replay(r);
        });
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    journal_ = std::move(*opened);
    ctx_->set_journal(*journal_);
  }
  void Close() {
    s3_.reset();
    sqs_.reset();
    journal_.reset();
  }

  S3ObjectMeta Put(const std::string& bucket, const std::string& key, std::string_view body,
                   S3ObjectAttrs attrs = {}) {
    S3PutInput in{bucket, key, body, std::move(attrs), "", ""};
    auto r = s3_->PutObject(in);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.value_or(S3ObjectMeta{});
  }
  std::string Get(const std::string& bucket, const std::string& key) {
    auto r = s3_->GetObject(bucket, key);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.ok() ? r->body : "";
  }
  size_t BlobFiles() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_ / "s3" / "blobs")) ++n;
    return n;
  }
  std::vector<std::string> Drain(const std::string& queue) {
    aws::ReceiveMessageRequest r;
    r.queue_url = queue;
    r.max_number_of_messages = 10;
    std::vector<std::string> out;
    for (;;) {
      auto got = sqs_->ReceiveMessage(r);
      if (!got.ok() || got->empty()) return out;
      for (const auto& m : *got) {
        out.push_back(m.body);
        EXPECT_TRUE(sqs_->DeleteMessage(queue, m.receipt_handle).ok());
      }
    }
  }

  fs::path root_;
  ManualClock clock_;
  std::unique_ptr<Journal> boot_, journal_;
  std::unique_ptr<RegionContext> ctx_;
  std::unique_ptr<SqsModel> sqs_;
  std::unique_ptr<S3Model> s3_;
};

TEST_F(S3ModelTest, BucketLifecycle) {
  EXPECT_EQ(Code(s3_->CreateBucket("Bad_Name")), "InvalidBucketName");
  EXPECT_EQ(Code(s3_->CreateBucket("192.168.1.1")), "InvalidBucketName");
  ASSERT_TRUE(s3_->CreateBucket("logs").ok());
  EXPECT_EQ(Code(s3_->CreateBucket("logs")), "BucketAlreadyOwnedByYou");
  ASSERT_TRUE(s3_->CreateBucket("archive.2024").ok());
  auto buckets = s3_->ListBuckets();
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].name, "archive.2024");
  EXPECT_EQ(buckets[1].created, clock_.Now());
  Put("logs", "a", "x");
  EXPECT_EQ(Code(s3_->DeleteBucket("logs")), "BucketNotEmpty");
  ASSERT_TRUE(s3_->DeleteObject("logs", "a").ok());
  EXPECT_TRUE(s3_->DeleteBucket("logs").ok());
  EXPECT_EQ(Code(s3_->HeadBucket("logs")), "NoSuchBucket");
  EXPECT_EQ(Code(s3_->DeleteBucket("logs")), "NoSuchBucket");
  S3PutInput in{"logs", "k", "x", {}, "", ""};
  EXPECT_EQ(Code(s3_->PutObject(in).status()), "NoSuchBucket");
}

TEST_F(S3ModelTest, PutGetHeadKeepBytesAndHeaders) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  clock_.Advance(seconds(5));
  S3ObjectAttrs attrs;
  attrs.content_type = "text/plain";
  attrs.metadata = {{"color", "red"}};
  S3ObjectMeta m = Put("bkt", "dir/hello.txt", "hello", attrs);
  EXPECT_EQ(m.etag, "5d41402abc4b2a76b9719d911017c592");  // md5("hello")
  EXPECT_EQ(m.size, 5u);
  EXPECT_EQ(m.last_modified, clock_.Now());

  auto got = s3_->GetObject("bkt", "dir/hello.txt");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, "hello");
  EXPECT_FALSE(got->partial);
  EXPECT_EQ(got->meta.attrs.content_type, "text/plain");
  EXPECT_EQ(got->meta.attrs.metadata.at("color"), "red");
  EXPECT_EQ(got->meta.attrs.storage_class, "STANDARD");

  auto head = s3_->HeadObject("bkt", "dir/hello.txt");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->meta.size, 5u);

  // Overwrite: new bytes, new ETag, default content type, old file gone.
  Put("bkt", "dir/hello.txt", std::string(1000, 'z'));
  EXPECT_EQ(Get("bkt", "dir/hello.txt"), std::string(1000, 'z'));
  EXPECT_EQ(s3_->HeadObject("bkt", "dir/hello.txt")->meta.attrs.content_type,
            "binary/octet-stream");
  EXPECT_EQ(BlobFiles(), 1u);

  EXPECT_EQ(Code(s3_->GetObject("bkt", "nope").status()), "NoSuchKey");
  S3PutInput too_long{"bkt", std::string(1025, 'k'), "x", {}, "", ""};
  EXPECT_EQ(Code(s3_->PutObject(too_long).status()), "KeyTooLongError");
  // Binary bytes, an empty object.
  std::string binary("\0\x01\xff\n\r", 5);
  Put("bkt", "bin", binary);
  EXPECT_EQ(Get("bkt", "bin"), binary);
  Put("bkt", "empty", "");
  EXPECT_EQ(Get("bkt", "empty"), "");
  EXPECT_EQ(s3_->HeadObject("bkt", "empty")->meta.etag, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_F(S3ModelTest, RangesFollowHttpSemantics) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  Put("bkt", "k", "0123456789");
  auto read = [&](std::string_view header) {
    return s3_->GetObject("bkt", "k", ParseS3Range(header));
  };
  auto r = read("bytes=2-4");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "234");
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->first, 2u);
  EXPECT_EQ(r->last, 4u);
  EXPECT_EQ(read("bytes=7-")->body, "789");
  EXPECT_EQ(read("bytes=-3")->body, "789");
  EXPECT_EQ(read("bytes=-30")->body, "0123456789");  // suffix longer than the object
  EXPECT_EQ(read("bytes=8-100")->body, "89");        // end past the object is clamped
  EXPECT_EQ(read("bytes=9-9")->body, "9");
  EXPECT_EQ(Code(read("bytes=10-").status()), "InvalidRange");
  EXPECT_EQ(Code(read("bytes=-0").status()), "InvalidRange");
  // Headers S3 ignores (whole object, not partial).
  for (std::string_view ignored :
       {"bytes=4-2", "bytes=1-2,4-5", "items=1-2", "bytes=a-b", "", "bytes=-"}) {
    EXPECT_FALSE(ParseS3Range(ignored).has_value()) << ignored;
  }
  Put("bkt", "empty", "");
  EXPECT_EQ(Code(s3_->GetObject("bkt", "empty", ParseS3Range("bytes=0-")).status()),
            "InvalidRange");
  // HEAD with a range reports the range without bytes.
  auto h = s3_->HeadObject("bkt", "k", ParseS3Range("bytes=3-5"));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->partial);
  EXPECT_EQ(h->body, "");
}

TEST_F(S3ModelTest, ConditionalReadsAndWrites) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  S3ObjectMeta m = Put("bkt", "k", "v1");
  auto get = [&](S3Conditions c) { return s3_->GetObject("bkt", "k", std::nullopt, c); };
  EXPECT_TRUE(get({.if_match = "\"" + m.etag + "\""}).ok());
  EXPECT_EQ(Code(get({.if_match = "\"other\""}).status()), "PreconditionFailed");
  EXPECT_EQ(Code(get({.if_none_match = m.etag}).status()), "NotModified");
  EXPECT_TRUE(get({.if_none_match = "\"other\", \"more\""}).ok());
  Time lm = m.last_modified;
  EXPECT_EQ(Code(get({.if_modified_since = lm}).status()), "NotModified");
  EXPECT_TRUE(get({.if_modified_since = lm - seconds(1)}).ok());
  EXPECT_EQ(Code(get({.if_unmodified_since = lm - seconds(1)}).status()), "PreconditionFailed");
  // If-Match wins over If-Unmodified-Since.
  EXPECT_TRUE(get({.if_match = m.etag, .if_unmodified_since = lm - seconds(1)}).ok());

  S3PutInput create_only{"bkt", "k", "v2", {}, "*", ""};
  EXPECT_EQ(Code(s3_->PutObject(create_only).status()), "PreconditionFailed");
  EXPECT_EQ(Get("bkt", "k"), "v1");
  create_only.key = "new";
  EXPECT_TRUE(s3_->PutObject(create_only).ok());
  S3PutInput swap{"bkt", "k", "v3", {}, "", "\"stale\""};
  EXPECT_EQ(Code(s3_->PutObject(swap).status()), "PreconditionFailed");
  swap.if_match = m.etag;
  EXPECT_TRUE(s3_->PutObject(swap).ok());
  EXPECT_EQ(Get("bkt", "k"), "v3");
  // A failed conditional write leaves no file behind.
  EXPECT_EQ(BlobFiles(), 2u);
}

TEST_F(S3ModelTest, ListingWithPrefixDelimiterAndPages) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  for (const char* k : {"a.txt", "logs/2024/01/x.gz", "logs/2024/01/y.gz", "logs/2024/02/z.gz",
                        "logs/readme", "logs/2025/a.gz", "m", "z/1"})
    Put("bkt", k, "x");
  S3ListInput in{.bucket = "bkt", .prefix = "logs/", .delimiter = "/"};
  auto page = s3_->ListObjects(in);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->contents.size(), 1u);
  EXPECT_EQ(page->contents[0].key, "logs/readme");
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"logs/2024/", "logs/2025/"}));
  EXPECT_FALSE(page->is_truncated);

  // Pages of 2 over the top level: [a.txt, logs/], [m, z/].
  in = {.bucket = "bkt", .delimiter = "/", .max_keys = 2};
  auto p1 = s3_->ListObjects(in);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->contents.size(), 1u);
  EXPECT_EQ(p1->common_prefixes, std::vector<std::string>{"logs/"});
  ASSERT_TRUE(p1->is_truncated);
  in.continuation_token = p1->next_continuation_token;
  auto p2 = s3_->ListObjects(in);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->contents.size(), 1u);
  EXPECT_EQ(p2->contents[0].key, "m");
  EXPECT_EQ(p2->common_prefixes, std::vector<std::string>{"z/"});
  EXPECT_FALSE(p2->is_truncated);  // nothing after z/

  in = {.bucket = "bkt", .start_after = "logs/2024/01/y.gz", .max_keys = 2};
  auto after = s3_->ListObjects(in);
  ASSERT_EQ(after->contents.size(), 2u);
  EXPECT_EQ(after->contents[0].key, "logs/2024/02/z.gz");
  EXPECT_EQ(after->contents[1].key, "logs/2025/a.gz");

  in = {.bucket = "bkt", .continuation_token = "!!not a token"};
  EXPECT_EQ(Code(s3_->ListObjects(in).status()), "InvalidArgument");
  in = {.bucket = "bkt", .max_keys = 0};
  auto none = s3_->ListObjects(in);
  EXPECT_TRUE(none->contents.empty());
  EXPECT_FALSE(none->is_truncated);
  in = {.bucket = "nope"};
  EXPECT_EQ(Code(s3_->ListObjects(in).status()), "NoSuchBucket");
}

// Every way of paging through random keys yields what one pass over the sorted keys does.
TEST_F(S3ModelTest, PaginationMatchesAReferenceListing) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  std::mt19937 rng(7);
  std::set<std::string> keys;
  const std::string alphabet = "ab/-";
  while (keys.size() < 120) {
    std::string k;
    int len = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < len; ++i) k += alphabet[rng() % alphabet.size()];
    keys.insert(k);
  }
  for (const auto& k : keys) Put("bkt", k, k);
  for (std::string prefix : {"", "a", "a/", "b-"}) {
    for (std::string delimiter : {"", "/", "-", "b/"}) {
      // Reference: one pass, rolling up.
      std::vector<std::string> want;
      std::set<std::string> seen_cp;
      for (const auto& k : keys) {
        if (!k.starts_with(prefix)) continue;
        size_t at = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
        if (at == std::string::npos) {
          want.push_back("K" + k);
        } else if (seen_cp.insert(k.substr(0, at + delimiter.size())).second) {
          want.push_back("P" + k.substr(0, at + delimiter.size()));
        }
      }
      std::sort(want.begin(), want.end(), [](const std::string& x, const std::string& y) {
        return x.substr(1) < y.substr(1);
      });
      for (int page_size : {1, 3, 7, 1000}) {
        std::vector<std::string> got;
        S3ListInput in{
            .bucket = "bkt", .prefix = prefix, .delimiter = delimiter, .max_keys = page_size};
        for (int pages = 0; pages < 1000; ++pages) {
          auto page = s3_->ListObjects(in);
          ASSERT_TRUE(page.ok());
          // Objects and prefixes of one page, merged in key order.
          std::vector<std::string> items;
          for (const auto& o : page->contents) items.push_back("K" + o.key);
          for (const auto& p : page->common_prefixes) items.push_back("P" + p);
          std::sort(items.begin(), items.end(), [](const std::string& x, const std::string& y) {
            return x.substr(1) < y.substr(1);
          });
          EXPECT_LE(static_cast<int>(items.size()), page_size);
          got.insert(got.end(), items.begin(), items.end());
          if (!page->is_truncated) break;
          EXPECT_EQ(static_cast<int>(items.size()), page_size);
          in.continuation_token = page->next_continuation_token;
        }
        EXPECT_EQ(got, want) << "prefix '" << prefix << "' delimiter '" << delimiter << "' page "
                             << page_size;
      }
    }
  }
}

TEST_F(S3ModelTest, DeleteObjectsReportsEachKey) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  Put("bkt", "a", "1");
  Put("bkt", "bkt", "2");
  auto r = s3_->DeleteObjects("bkt", {"a", "missing", std::string(1100, 'x')});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].code, "");
  EXPECT_EQ((*r)[1].code, "");  // deleting a missing key succeeds
  EXPECT_EQ((*r)[2].code, "KeyTooLongError");
  EXPECT_EQ(Code(s3_->GetObject("bkt", "a").status()), "NoSuchKey");
  EXPECT_EQ(Get("bkt", "bkt"), "2");
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_EQ(Code(s3_->DeleteObjects("bkt", {}).status()), "MalformedXML");
  EXPECT_EQ(Code(s3_->DeleteObjects("bkt", std::vector<std::string>(1001, "k")).status()),
            "MalformedXML");
}

TEST_F(S3ModelTest, CopyObject) {
  ASSERT_TRUE(s3_->CreateBucket("src").ok());
  ASSERT_TRUE(s3_->CreateBucket("dst").ok());
  S3ObjectAttrs attrs;
  attrs.content_type = "text/csv";
  attrs.metadata = {{"a", "1"}};
  S3ObjectMeta m = Put("src", "k", "data", attrs);
  S3CopyInput in{.src_bucket = "src", .src_key = "k", .bucket = "dst", .key = "k2"};
  auto c = s3_->CopyObject(in);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->etag, m.etag);
  EXPECT_EQ(Get("dst", "k2"), "data");
  EXPECT_EQ(s3_->HeadObject("dst", "k2")->meta.attrs.metadata.at("a"), "1");
  // The source can go; the copy keeps its bytes.
  ASSERT_TRUE(s3_->DeleteObject("src", "k").ok());
  EXPECT_EQ(Get("dst", "k2"), "data");

  in = {.src_bucket = "dst", .src_key = "k2", .bucket = "dst", .key = "k2"};
  EXPECT_EQ(Code(s3_->CopyObject(in).status()), "InvalidRequest");
  in.replace_metadata = true;
  in.attrs.content_type = "application/json";
  ASSERT_TRUE(s3_->CopyObject(in).ok());
  EXPECT_EQ(s3_->HeadObject("dst", "k2")->meta.attrs.content_type, "application/json");
  EXPECT_TRUE(s3_->HeadObject("dst", "k2")->meta.attrs.metadata.empty());
  in = {.src_bucket = "dst",
        .src_key = "k2",
        .bucket = "dst",
        .key = "k3",
        .src_conditions = {.if_match = "\"nope\""}};
  EXPECT_EQ(Code(s3_->CopyObject(in).status()), "PreconditionFailed");
  in = {.src_bucket = "dst", .src_key = "missing", .bucket = "dst", .key = "k3"};
  EXPECT_EQ(Code(s3_->CopyObject(in).status()), "NoSuchKey");
}

TEST_F(S3ModelTest, MultipartUpload) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  S3ObjectAttrs attrs;
  attrs.content_type = "application/gzip";
  auto id = s3_->CreateMultipartUpload("bkt", "big", attrs);
  ASSERT_TRUE(id.ok());
  // Parts arrive out of order; a part can be replaced.
  auto p2 = s3_->UploadPart("bkt", "big", *id, 2, "BBBBBB");
  auto p1 = s3_->UploadPart("bkt", "big", *id, 1, "xxxxxx");
  p1 = s3_->UploadPart("bkt", "big", *id, 1, "AAAAAA");
  auto p3 = s3_->UploadPart("bkt", "big", *id, 3, "C");
  ASSERT_TRUE(p1.ok() && p2.ok() && p3.ok());
  EXPECT_EQ(p1->etag, "36d04a9d74392c727b1a9bf97a7bcbac");  // md5("AAAAAA")
  EXPECT_EQ(p3->etag, "0d61f8370cad1d412f80b84d143e1257");  // md5("C")
  auto parts = s3_->ListParts("bkt", "big", *id);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].size, 6u);
  auto uploads = s3_->ListMultipartUploads("bkt", "");
  ASSERT_EQ(uploads->size(), 1u);
  EXPECT_EQ((*uploads)[0].upload_id, *id);
  EXPECT_EQ(BlobFiles(), 3u);  // the replaced part's file is gone

  using Parts = std::vector<std::pair<int, std::string>>;
  EXPECT_EQ(
      Code(s3_->CompleteMultipartUpload("bkt", "big", *id, Parts{{2, p2->etag}, {1, p1->etag}})
               .status()),
      "InvalidPartOrder");
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "big", *id, Parts{{1, "\"bad\""}}).status()),
            "InvalidPart");
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "big", *id, Parts{{4, p1->etag}}).status()),
            "InvalidPart");
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "big", *id,
                                              Parts{{1, p1->etag}, {3, p3->etag}, {4, "x"}})
                     .status()),
            "InvalidPart");
  EXPECT_EQ(
      Code(s3_->CompleteMultipartUpload("bkt", "big", *id, Parts{{3, p3->etag}, {4, p3->etag}})
               .status()),
      "InvalidPart");
  // Part 3 (1 byte) is below the minimum size (5 here) unless it is last.
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "big", *id,
                                              Parts{{1, p1->etag}, {3, p3->etag}, {2, p2->etag}})
                     .status()),
            "InvalidPartOrder");
  auto small_first = s3_->CreateMultipartUpload("bkt", "small", {});
  auto s1 = s3_->UploadPart("bkt", "small", *small_first, 1, "tiny");
  auto s2 = s3_->UploadPart("bkt", "small", *small_first, 2, "tail");
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "small", *small_first,
                                              Parts{{1, s1->etag}, {2, s2->etag}})
                     .status()),
            "EntityTooSmall");
  EXPECT_EQ(Code(s3_->CompleteMultipartUpload("bkt", "big", *id, {}).status()), "MalformedXML");

  // Parts 1 and 3 only (2 is skipped); quotes on ETags are fine.
  auto done = s3_->CompleteMultipartUpload("bkt", "big", *id,
                                           Parts{{1, "\"" + p1->etag + "\""}, {3, p3->etag}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(Get("bkt", "big"), "AAAAAAC");
  // ETag: md5 of the concatenated binary part digests, then -<parts>.
  EXPECT_EQ(done->etag, "53c72b6428ea27e0845e96a0e6c70c6f-2");
  EXPECT_EQ(done->parts, 2);
  EXPECT_EQ(s3_->HeadObject("bkt", "big")->meta.attrs.content_type, "application/gzip");
  EXPECT_EQ(Code(s3_->UploadPart("bkt", "big", *id, 1, "late").status()), "NoSuchUpload");
  EXPECT_EQ(Code(s3_->ListParts("bkt", "big", *id).status()), "NoSuchUpload");
  EXPECT_EQ(Code(s3_->UploadPart("bkt", "big", "nope", 1, "x").status()), "NoSuchUpload");
  EXPECT_EQ(Code(s3_->UploadPart("bkt", "big", *small_first, 0, "x").status()), "InvalidArgument");
  EXPECT_EQ(Code(s3_->UploadPart("bkt", "other-key", *small_first, 1, "x").status()),
            "NoSuchUpload");

  // Abort drops the parts' files.
  ASSERT_TRUE(s3_->AbortMultipartUpload("bkt", "small", *small_first).ok());
  EXPECT_EQ(Code(s3_->AbortMultipartUpload("bkt", "small", *small_first)), "NoSuchUpload");
  EXPECT_EQ(BlobFiles(), 1u);  // only the completed object
  EXPECT_TRUE(s3_->ListMultipartUploads("bkt", "")->empty());
}

TEST_F(S3ModelTest, UploadPartCopyTakesARange) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  Put("bkt", "src", "0123456789");
  auto id = s3_->CreateMultipartUpload("bkt", "dst", {});
  auto p1 = s3_->UploadPartCopy("bkt", "dst", *id, 1, "bkt", "src", ParseS3Range("bytes=0-4"));
  auto p2 = s3_->UploadPartCopy("bkt", "dst", *id, 2, "bkt", "src", ParseS3Range("bytes=5-9"));
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(Code(s3_->UploadPartCopy("bkt", "dst", *id, 3, "bkt", "src", ParseS3Range("bytes=5-10"))
                     .status()),
            "InvalidArgument");
  ASSERT_TRUE(s3_->CompleteMultipartUpload("bkt", "dst", *id, {{1, p1->etag}, {2, p2->etag}}).ok());
  EXPECT_EQ(Get("bkt", "dst"), "0123456789");
}

TEST_F(S3ModelTest, NotificationsReachTheQueueInS3EventJson) {
  ASSERT_TRUE(s3_->CreateBucket("logs").ok());
  std::string queue = *sqs_->CreateQueue("events", {});
  std::string arn = *sqs_->QueueArn("events");

  S3QueueNotification bad{
      "", "arn:aws:sqs:us-east-1:000000000000:nope", {"s3:ObjectCreated:*"}, "", ""};
  EXPECT_EQ(Code(s3_->PutBucketNotificationConfiguration("logs", {bad})), "InvalidArgument");
  S3QueueNotification bad_event{"", arn, {"s3:Nope"}, "", ""};
  EXPECT_EQ(Code(s3_->PutBucketNotificationConfiguration("logs", {bad_event})), "InvalidArgument");

  S3QueueNotification created{"created", arn, {"s3:ObjectCreated:*"}, "service-logs/", ".gz"};
  S3QueueNotification removed{"", arn, {"s3:ObjectRemoved:*"}, "", ""};
  S3Caller caller{.principal_id = "AWS:AKID",
                  .source_ip = "10.0.0.1",
                  .request_id = "REQ1",
                  .host_id = "HOST1"};
  ASSERT_TRUE(s3_->PutBucketNotificationConfiguration("logs", {created, removed}, caller).ok());
  auto cfg = s3_->GetBucketNotificationConfiguration("logs");
  ASSERT_EQ(cfg->size(), 2u);
  EXPECT_EQ((*cfg)[0].prefix, "service-logs/");
  EXPECT_FALSE((*cfg)[1].id.empty());  // generated

  auto test_events = Drain(queue);
  ASSERT_EQ(test_events.size(), 1u);  // one per queue
  json t = json::parse(test_events[0]);
  EXPECT_EQ(t["Event"], "s3:TestEvent");
  EXPECT_EQ(t["Bucket"], "logs");
  EXPECT_EQ(t["Service"], "Amazon S3");

  clock_.Advance(seconds(3));
  S3PutInput in{"logs", "service-logs/web/2024 01/a=b.gz", "payload", {}, "", ""};
  ASSERT_TRUE(s3_->PutObject(in, caller).ok());
  in.key = "service-logs/web/readme.txt";  // suffix does not match
  ASSERT_TRUE(s3_->PutObject(in, caller).ok());
  in.key = "other/x.gz";  // prefix does not match
  ASSERT_TRUE(s3_->PutObject(in, caller).ok());

  auto msgs = Drain(queue);
  ASSERT_EQ(msgs.size(), 1u);
  json e = json::parse(msgs[0]);
  ASSERT_EQ(e["Records"].size(), 1u);
  json r = e["Records"][0];
  EXPECT_EQ(r["eventVersion"], "2.1");
  EXPECT_EQ(r["eventSource"], "aws:s3");
  EXPECT_EQ(r["awsRegion"], "us-east-1");
  EXPECT_EQ(r["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(r["eventTime"], "2023-11-14T22:13:23.000Z");
  EXPECT_EQ(r["userIdentity"]["principalId"], "AWS:AKID");
  EXPECT_EQ(r["requestParameters"]["sourceIPAddress"], "10.0.0.1");
  EXPECT_EQ(r["responseElements"]["x-amz-request-id"], "REQ1");
  EXPECT_EQ(r["s3"]["s3SchemaVersion"], "1.0");
  EXPECT_EQ(r["s3"]["configurationId"], "created");
  EXPECT_EQ(r["s3"]["bucket"]["name"], "logs");
  EXPECT_EQ(r["s3"]["bucket"]["arn"], "arn:aws:s3:::logs");
  EXPECT_EQ(r["s3"]["object"]["key"], "service-logs/web/2024+01/a%3Db.gz");
  EXPECT_EQ(r["s3"]["object"]["size"], 7);
  EXPECT_EQ(r["s3"]["object"]["eTag"], "321c3cf486ed509164edec1e1981fec8");  // md5("payload")
  std::string seq1 = r["s3"]["object"]["sequencer"];

  // A later write has a greater sequencer; multipart and copy have their own event names.
  auto id = s3_->CreateMultipartUpload("logs", "service-logs/mp.gz", {});
  auto part = s3_->UploadPart("logs", "service-logs/mp.gz", *id, 1, "abc");
  ASSERT_TRUE(
      s3_->CompleteMultipartUpload("logs", "service-logs/mp.gz", *id, {{1, part->etag}}).ok());
  S3CopyInput copy{.src_bucket = "logs",
                   .src_key = "other/x.gz",
                   .bucket = "logs",
                   .key = "service-logs/copy.gz"};
  ASSERT_TRUE(s3_->CopyObject(copy).ok());
  ASSERT_TRUE(s3_->DeleteObject("logs", "other/x.gz").ok());
  ASSERT_TRUE(s3_->DeleteObject("logs", "never-existed").ok());
  msgs = Drain(queue);
  ASSERT_EQ(msgs.size(), 3u);
  std::vector<std::string> names;
  for (const auto& m : msgs) names.push_back(json::parse(m)["Records"][0]["eventName"]);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ObjectCreated:CompleteMultipartUpload",
                                             "ObjectCreated:Copy", "ObjectRemoved:Delete"}));
  for (const auto& m : msgs) {
    json rec = json::parse(m)["Records"][0];
    EXPECT_GT(rec["s3"]["object"]["sequencer"].get<std::string>(), seq1);
    if (rec["eventName"] == "ObjectRemoved:Delete") {
      EXPECT_EQ(rec["s3"]["object"]["key"], "other/x.gz");
      EXPECT_FALSE(rec["s3"]["object"].contains("size"));
    }
  }

  // An empty configuration stops delivery.
  ASSERT_TRUE(s3_->PutBucketNotificationConfiguration("logs", {}).ok());
  in.key = "service-logs/after.gz";
  ASSERT_TRUE(s3_->PutObject(in).ok());
  EXPECT_TRUE(Drain(queue).empty());
}

TEST_F(S3ModelTest, StateSurvivesReplayIntoANewModel) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  std::string queue = *sqs_->CreateQueue("q", {});
  ASSERT_TRUE(s3_->PutBucketNotificationConfiguration(
                     "bkt", {{"n1", *sqs_->QueueArn("q"), {"s3:ObjectCreated:Put"}, "", ""}})
                  .ok());
  S3ObjectAttrs attrs;
  attrs.content_type = "text/plain";
  attrs.metadata = {{"m", "v"}};
  Put("bkt", "keep", "kept bytes", attrs);
  Put("bkt", "replace", "old");
  Put("bkt", "replace", "new");
  Put("bkt", "gone", "x");
  ASSERT_TRUE(s3_->DeleteObject("bkt", "gone").ok());
  auto id = s3_->CreateMultipartUpload("bkt", "mp", {});
  auto p1 = s3_->UploadPart("bkt", "mp", *id, 1, "part-one");
  ASSERT_TRUE(p1.ok());
  S3ObjectMeta before = s3_->HeadObject("bkt", "keep")->meta;
  size_t files = BlobFiles();
  // A file no record names (a crash between writing bytes and journaling them).
  std::ofstream(root_ / "s3" / "blobs" / "orphan") << "junk";

  Close();
  clock_.Advance(hours(1));
  Open();
  auto got = s3_->GetObject("bkt", "keep");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, "kept bytes");
  EXPECT_EQ(got->meta.etag, before.etag);
  EXPECT_EQ(got->meta.last_modified, before.last_modified);
  EXPECT_EQ(got->meta.attrs.metadata.at("m"), "v");
  EXPECT_EQ(Get("bkt", "replace"), "new");
  EXPECT_EQ(Code(s3_->GetObject("bkt", "gone").status()), "NoSuchKey");
  ASSERT_EQ(s3_->GetBucketNotificationConfiguration("bkt")->size(), 1u);
  // The upload goes on where it was.
  auto p2 = s3_->UploadPart("bkt", "mp", *id, 2, "two");
  ASSERT_TRUE(p2.ok());
  EXPECT_FALSE(fs::exists(root_ / "s3" / "blobs" / "orphan"));  // collected before the write
  ASSERT_TRUE(s3_->CompleteMultipartUpload("bkt", "mp", *id, {{1, p1->etag}, {2, p2->etag}}).ok());
  EXPECT_EQ(Get("bkt", "mp"), "part-onetwo");
  EXPECT_EQ(BlobFiles(), files - 1 + 1);  // two parts became one object

  // Sequencers keep increasing across the restart.
  Drain(queue);
  Put("bkt", "after", "x");
  auto msgs = Drain(queue);
  ASSERT_EQ(msgs.size(), 1u);
}

TEST_F(S3ModelTest, SnapshotRestoresTheSameState) {
  ASSERT_TRUE(s3_->CreateBucket("bkt").ok());
  Put("bkt", "k1", "one");
  auto id = s3_->CreateMultipartUpload("bkt", "mp", {});
  ASSERT_TRUE(s3_->UploadPart("bkt", "mp", *id, 1, "p").ok());
  json snap;
  {
    std::lock_guard lock(s3_->mutex());
    snap = s3_->Snapshot();
  }
  S3Model other(*ctx_, *sqs_, S3ModelOptions{.state_dir = root_.string()});
  ASSERT_TRUE(other.Restore(snap).ok());
  auto got = other.GetObject("bkt", "k1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, "one");
  EXPECT_EQ(other.ListParts("bkt", "mp", *id)->size(), 1u);
  EXPECT_EQ(other.Snapshot(), snap);
}

TEST(S3ModelTemporaryDir, WithoutStateObjectsLiveInATemporaryDirectory) {
  ManualClock clock;
  auto journal = *Journal::Open(
      {}, [](std::string_view) { return Status::Ok(); },
      [](std::string_view) { return Status::Ok(); });
  RegionContext ctx(clock, *journal);
  SqsModel sqs(ctx);
  std::string dir;
  {
    S3Model s3(ctx, sqs);
    dir = s3.data_dir();
    ASSERT_TRUE(fs::exists(dir));
    ASSERT_TRUE(s3.CreateBucket("bkt").ok());
    S3PutInput in{"bkt", "k", "v", {}, "", ""};
    ASSERT_TRUE(s3.PutObject(in).ok());
    EXPECT_EQ(s3.GetObject("bkt", "k")->body, "v");
  }
  EXPECT_FALSE(fs::exists(dir));
}

TEST(S3EventKey, EncodesLikeS3) {
  EXPECT_EQ(S3EventKeyEncode("a/b c.txt"), "a/b+c.txt");
  EXPECT_EQ(S3EventKeyEncode("x=1&y+z"), "x%3D1%26y%2Bz");
  EXPECT_EQ(S3EventKeyEncode("é"), "%C3%A9");
  EXPECT_EQ(S3EventKeyEncode("A-z_0.9*"), "A-z_0.9*");
}

}  // namespace
}  // namespace steady::region
