// The region's S3 over HTTP, driven by steady's own S3 client and S3ObjectStore (the way the
// log pipeline uses it) and by raw requests for the wire details clients do not show.
#include "region/s3_front.h"

#include <gtest/gtest.h>

#include "aws/aws_error.h"
#include "aws/credentials.h"
#include "aws/s3_client.h"
#include "aws/s3_object_store.h"
#include "base/metrics.h"
#include "net/http_client_curl.h"
#include "region/region.h"

namespace steady::region {
namespace {

class S3FrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegionOptions o;
    o.listen = "127.0.0.1:0";
    auto r = Region::Open(o, SystemClock::Get(), metrics_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    region_ = std::move(*r);
    ASSERT_TRUE(region_->Start().ok());
    creds_ = aws::StaticCredentials({"AKIDTEST", "secret", "", std::nullopt});
    aws::TransportOptions to;
    to.endpoint = region_->endpoint();
    to.max_attempts = 1;
    transport_ = std::make_unique<aws::AwsTransport>(aws::S3ServiceInfo(), to, http_, *creds_,
                                                     SystemClock::Get(), metrics_);
    client_ = std::make_unique<aws::S3Client>(*transport_);
    ASSERT_TRUE(client_->CreateBucket("logs").ok());
  }
  void TearDown() override { region_->Stop(); }

  S3Model& model() {
    for (ServiceModel* m : region_->models())
      if (m->service() == "s3") return *static_cast<S3Model*>(m);
    std::abort();  // the region always has S3
  }

  net::HttpResponse Raw(std::string method, std::string path, std::string body = "",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpRequest req;
    req.method = std::move(method);
    req.url = region_->endpoint() + path;
    req.body = std::move(body);
    for (auto& [k, v] : headers) req.headers.Add(k, v);
    auto resp = http_.Send(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.value_or(net::HttpResponse{});
  }

  MetricsRegistry metrics_;
  std::unique_ptr<Region> region_;
  net::CurlHttpClient http_;
  std::unique_ptr<aws::CredentialsProvider> creds_;
  std::unique_ptr<aws::AwsTransport> transport_;
  std::unique_ptr<aws::S3Client> client_;
};

TEST_F(S3FrontTest, ClientCallsRoundTrip) {
  EXPECT_EQ(client_->CreateBucket("logs").code(), StatusCode::kAlreadyExists);
  aws::PutObjectRequest put{.bucket = "logs",
                            .key = "a dir/x+y=z.txt",
                            .body = "0123456789",
                            .content_type = "text/plain",
                            .content_encoding = "",
                            .metadata = {{"team", "infra"}}};
  auto p = client_->PutObject(put);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->etag, "781e5e245d69b566979b86e28d23f2c7");  // md5("0123456789")

  auto g = client_->GetObject({"logs", "a dir/x+y=z.txt", aws::ByteRange{2, 4}});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->body, "234");
  EXPECT_EQ(g->content_range, "bytes 2-4/10");
  EXPECT_EQ(g->object_size, 10u);
  EXPECT_EQ(g->metadata.at("team"), "infra");
  EXPECT_EQ(g->content_type, "text/plain");

  auto h = client_->HeadObject("logs", "a dir/x+y=z.txt");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->content_length, 10u);
  EXPECT_EQ(h->etag, p->etag);
  EXPECT_EQ(client_->HeadObject("logs", "missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client_->GetObject({"nobucket", "k", std::nullopt}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(client_->GetObject({"logs", "a dir/x+y=z.txt", aws::ByteRange{10, std::nullopt}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);  // 416

  auto list =
      client_->ListObjectsV2({.bucket = "logs", .delimiter = "/", .encoding_type_url = true});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->common_prefixes, std::vector<std::string>{"a dir/"});
  EXPECT_EQ(list->key_count, 1);

  std::vector<std::string> keys = {"a dir/x+y=z.txt", "never"};
  auto del = client_->DeleteObjects("logs", keys, /*quiet=*/false);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->deleted.size(), 2u);
  EXPECT_TRUE(del->errors.empty());
  EXPECT_EQ(client_->HeadObject("logs", "a dir/x+y=z.txt").status().code(), StatusCode::kNotFound);
}

TEST_F(S3FrontTest, MultipartThroughTheClient) {
  auto id = client_->CreateMultipartUpload("logs", "mp", "application/gzip");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  std::string a(5 << 20, 'a'), b = "tail";
  auto e1 = client_->UploadPart("logs", "mp", *id, 1, a);
  auto e2 = client_->UploadPart("logs", "mp", *id, 2, b);
  ASSERT_TRUE(e1.ok() && e2.ok());
  std::vector<aws::CompletedPart> wrong = {{1, *e2}, {2, *e2}};
  auto bad = client_->CompleteMultipartUpload("logs", "mp", *id, wrong);
  EXPECT_EQ(aws::AwsErrorCode(bad.status()), "InvalidPart");
  std::vector<aws::CompletedPart> parts = {{1, *e1}, {2, *e2}};
  auto done = client_->CompleteMultipartUpload("logs", "mp", *id, parts);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->etag.ends_with("-2"));
  auto g = client_->GetObject({"logs", "mp", std::nullopt});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->body.size(), a.size() + b.size());
  EXPECT_EQ(g->body.substr(a.size()), "tail");
  EXPECT_EQ(g->content_type, "application/gzip");

  auto id2 = client_->CreateMultipartUpload("logs", "aborted");
  ASSERT_TRUE(client_->UploadPart("logs", "aborted", *id2, 1, "x").ok());
  EXPECT_TRUE(client_->AbortMultipartUpload("logs", "aborted", *id2).ok());
  EXPECT_EQ(client_->UploadPart("logs", "aborted", *id2, 2, "y").status().code(),
            StatusCode::kNotFound);
}

TEST_F(S3FrontTest, ObjectStoreContract) {
  auto store = aws::S3ObjectStore::Create(*client_, "logs", "service-logs/",
                                          {.multipart_threshold = 6 << 20, .part_size = 5 << 20});
  ASSERT_TRUE(store.ok());
  aws::ObjectStore& s = **store;
  for (const char* k : {"web/app/2024/01/01/a.gz", "web/app/2024/01/01/b.gz",
                        "web/app/2024/01/02/c.gz", "api/app/x.gz", "z.gz"})
    ASSERT_TRUE(s.Put(k, std::string("data of ") + k).ok());
  ASSERT_TRUE(s.Put("empty", "").ok());
  EXPECT_EQ(*s.Get("z.gz"), "data of z.gz");
  EXPECT_EQ(*s.GetRange("z.gz", 5, 2), "of");
  EXPECT_EQ(*s.GetRange("z.gz", 8, aws::ObjectStore::kToEnd), "z.gz");
  EXPECT_EQ(*s.GetRange("empty", 0, 10), "");
  EXPECT_EQ(s.GetRange("z.gz", 100, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.Head("web/app/2024/01/01/a.gz")->size, 31u);

  std::vector<std::string> seen;
  ASSERT_TRUE(s.ListAll({.prefix = "web/app/2024/", .delimiter = "/", .max_keys = 1},
                        [&](const aws::ListEntry& e) {
                          seen.push_back((e.is_prefix ? "P:" : "K:") + e.object.key);
                          return true;
                        })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"P:web/app/2024/01/"}));
  seen.clear();
  ASSERT_TRUE(s.ListAll({.max_keys = 2}, [&](const aws::ListEntry& e) {
                 seen.push_back(e.object.key);
                 return true;
               }).ok());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.front(), "api/app/x.gz");

  // Big enough for a multipart upload through the writer.
  auto w = s.NewWriter("big.gz");
  ASSERT_TRUE(w.ok());
  std::string chunk(1 << 20, 'q');
  for (int i = 0; i < 7; ++i) {
    chunk[0] = static_cast<char>('0' + i);
    ASSERT_TRUE((*w)->Write(chunk).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  auto big = s.Get("big.gz");
  ASSERT_TRUE(big.ok());
  ASSERT_EQ(big->size(), 7u << 20);
  EXPECT_EQ((*big)[6u << 20], '6');
  EXPECT_TRUE(s.Head("big.gz")->etag.ends_with("-2"));

  std::vector<std::string> all = {"z.gz", "big.gz", "empty", "missing"};
  ASSERT_TRUE(s.Delete(all).ok());
  EXPECT_EQ(s.Get("big.gz").status().code(), StatusCode::kNotFound);
}

TEST_F(S3FrontTest, VirtualHostedRequests) {
  auto port = std::to_string(net::ParseUrl(region_->endpoint())->port);
  // The Host header names the bucket; the path is the key.
  auto put = Raw("PUT", "/vh/key.txt", "virtual", {{"Host", "logs.localhost:" + port}});
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(model().GetObject("logs", "vh/key.txt")->body, "virtual");
  auto get = Raw("GET", "/vh/key.txt", "", {{"Host", "logs.s3.us-east-1.amazonaws.com"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "virtual");
  auto list = Raw("GET", "/?list-type=2&prefix=vh/", "", {{"Host", "logs.s3.local"}});
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<Key>vh/key.txt</Key>"), std::string::npos) << list.body;
}

TEST_F(S3FrontTest, WireDetails) {
  // aws-chunked with a trailing CRC32: the stored bytes are the decoded ones.
  std::string framed = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  auto put = Raw("PUT", "/logs/chunked", framed,
                 {{"Content-Encoding", "aws-chunked"},
                  {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                  {"x-amz-decoded-content-length", "11"},
                  {"x-amz-trailer", "x-amz-checksum-crc32"}});
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.headers.Get("x-amz-checksum-crc32"), "DUoRhQ==");
  auto got = model().GetObject("logs", "chunked");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, "hello world");
  EXPECT_EQ(got->meta.attrs.content_encoding, "");  // the framing is not the object's encoding

  std::string bad_crc = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  auto rejected = Raw("PUT", "/logs/chunked", bad_crc,
                      {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}});
  EXPECT_EQ(rejected.status, 400);
  EXPECT_NE(rejected.body.find("<Code>BadDigest</Code>"), std::string::npos);
  EXPECT_EQ(model().GetObject("logs", "chunked")->body, "hello world");

  auto md5 = Raw("PUT", "/logs/md5", "body", {{"Content-MD5", aws::ContentMd5("other")}});
  EXPECT_EQ(md5.status, 400);
  EXPECT_NE(md5.body.find("<Code>BadDigest</Code>"), std::string::npos);

  // Errors: S3's document, the resource named, HEAD without a body.
  auto missing = Raw("GET", "/logs/no/such%20key");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(missing.body.find("<Key>no/such key</Key>"), std::string::npos) << missing.body;
  EXPECT_NE(missing.body.find("<RequestId>"), std::string::npos);
  EXPECT_FALSE(missing.headers.Get("x-amz-request-id").empty());
  auto head = Raw("HEAD", "/nobucket/x");
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.body, "");
  auto range = Raw("GET", "/logs/chunked", "", {{"Range", "bytes=50-"}});
  EXPECT_EQ(range.status, 416);
  EXPECT_NE(range.body.find("InvalidRange"), std::string::npos);
  auto partial = Raw("GET", "/logs/chunked", "", {{"Range", "bytes=-5"}});
  EXPECT_EQ(partial.status, 206);
  EXPECT_EQ(partial.body, "world");
  EXPECT_EQ(partial.headers.Get("Content-Range"), "bytes 6-10/11");
  EXPECT_EQ(partial.headers.Get("Accept-Ranges"), "bytes");

  EXPECT_EQ(Raw("POST", "/logs?delete", "<Delete><Object>").status, 400);
  auto malformed = Raw("POST", "/logs/k?uploadId=x", "not xml");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("MalformedXML"), std::string::npos);
  auto unsupported = Raw("GET", "/logs?policy");
  EXPECT_EQ(unsupported.status, 501);
  EXPECT_NE(unsupported.body.find("NotImplemented"), std::string::npos);
  EXPECT_EQ(Raw("PUT", "/logs").status, 409);  // BucketAlreadyOwnedByYou
  auto not_empty = Raw("DELETE", "/logs");
  EXPECT_EQ(not_empty.status, 409);
  EXPECT_NE(not_empty.body.find("<BucketName>logs</BucketName>"), std::string::npos);
  EXPECT_EQ(Raw("GET", "/logs/chunked?uploadId=nope").status, 404);

  auto location = Raw("GET", "/logs?location");
  EXPECT_EQ(location.status, 200);
  EXPECT_NE(location.body.find("<LocationConstraint"), std::string::npos);
  ASSERT_EQ(Raw("PUT", "/logs/second", "2").status, 200);
  auto v1 = Raw("GET", "/logs?max-keys=1");
  EXPECT_NE(v1.body.find("<IsTruncated>true</IsTruncated>"), std::string::npos) << v1.body;
  EXPECT_NE(v1.body.find("<NextMarker>chunked</NextMarker>"), std::string::npos) << v1.body;
  // The server keeps serving.
  EXPECT_EQ(Raw("GET", "/").status, 200);
}

}  // namespace
}  // namespace steady::region
