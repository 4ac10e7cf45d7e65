#include "aws/s3_client.h"

#include <functional>
#include <mutex>
#include <pugixml.hpp>

#include "aws/s3_object_store.h"
#include "aws/sigv4.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace steady::aws {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Records every request and answers with `handler` (200 with an empty body by default).
class FakeHttp final : public net::HttpClient {
 public:
  using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;

  Result<net::HttpResponse> Send(const net::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (handler) return handler(request);
    net::HttpResponse ok;
    ok.status = 200;
    return ok;
  }

  Handler handler;
  std::vector<net::HttpRequest> requests;

 private:
  std::mutex mu_;
};

net::HttpResponse Respond(int status, std::string body = "",
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [k, v] : headers) r.headers.Add(k, v);
  return r;
}

// The parts of a request URL as a server sees them.
struct SeenUrl {
  std::string scheme, host, path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string raw_query;
};
SeenUrl See(const net::HttpRequest& r) {
  auto url = net::ParseUrl(r.url);
  EXPECT_TRUE(url.ok()) << r.url;
  if (!url.ok()) return {};
  return {url->scheme, url->HostHeader(), url->path, net::ParseQuery(url->query), url->query};
}

std::string QueryValue(const SeenUrl& u, std::string_view name) {
  for (const auto& [k, v] : u.query)
    if (k == name) return v;
  return "<absent>";
}

class S3ClientTest : public ::testing::Test {
 protected:
  void Build(std::string endpoint, std::string region = "us-east-1", S3ClientOptions options = {}) {
    client_.reset();
    transport_.reset();
    TransportOptions t;
    t.endpoint = std::move(endpoint);
    t.region = std::move(region);
    t.max_attempts = 1;  // no backoff sleeps on the manual clock
    transport_ =
        std::make_unique<AwsTransport>(S3ServiceInfo(), t, http_, *credentials_, clock_, metrics_);
    client_ = std::make_unique<S3Client>(*transport_, options);
  }

  void SetUp() override { Build("http://127.0.0.1:9000"); }

  const net::HttpRequest& Last() {
    EXPECT_FALSE(http_.requests.empty());
    return http_.requests.back();
  }

  FakeHttp http_;
  ManualClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<CredentialsProvider> credentials_ =
      StaticCredentials({.access_key_id = "AKIDEXAMPLE", .secret_access_key = "secret"});
  std::unique_ptr<AwsTransport> transport_;
  std::unique_ptr<S3Client> client_;
};

TEST(ContentMd5Test, KnownVectors) {
  // RFC 1321 test vectors, base64-encoded.
  EXPECT_EQ(ContentMd5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");     // d41d8cd98f00b204e9800998ecf8427e
  EXPECT_EQ(ContentMd5("abc"), "kAFQmDzST7DWlj99KOF/cg==");  // 900150983cd24fb0d6963f7d28e17f72
  EXPECT_EQ(ContentMd5("message digest"), "+WtpfXy3k41SWi8xqvFh0A==");  // f96b697d...
}

TEST(StripEtagQuotesTest, Forms) {
  EXPECT_EQ(StripEtagQuotes("\"abc\""), "abc");
  EXPECT_EQ(StripEtagQuotes("abc"), "abc");
  EXPECT_EQ(StripEtagQuotes("W/\"abc-3\""), "abc-3");
  EXPECT_EQ(StripEtagQuotes("&quot;abc&quot;"), "abc");
  EXPECT_EQ(StripEtagQuotes("\""), "\"");
}

TEST_F(S3ClientTest, PutObjectPathStyleEncodingAndHeaders) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, "",
                   {{"ETag", "\"5d41402abc4b2a76b9719d911017c592\""}, {"x-amz-version-id", "v1"}});
  };
  auto out = client_->PutObject({.bucket = "logs",
                                 .key = "svc/a b+c%~\xc3\xa9/x=y&z.gz",
                                 .body = "hello",
                                 .content_type = "application/gzip",
                                 .metadata = {{"flush", "u1"}}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(out->version_id, "v1");
  const net::HttpRequest& r = Last();
  EXPECT_EQ(r.method, "PUT");
  // '/' stays, everything outside the unreserved set is percent-encoded (S3 signs the path
  // exactly as sent, so the two must agree).
  EXPECT_EQ(r.url, "http://127.0.0.1:9000/logs/svc/a%20b%2Bc%25~%C3%A9/x%3Dy%26z.gz");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.headers.Get("Content-MD5"), "XUFAKrxLKna5cZ2REBfFkg==");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/gzip");
  EXPECT_EQ(r.headers.Get("x-amz-meta-flush"), "u1");
  EXPECT_EQ(r.headers.Get("x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_THAT(r.headers.Get("Authorization"), HasSubstr("/us-east-1/s3/aws4_request"));
}

TEST_F(S3ClientTest, ContentMd5CanBeTurnedOff) {
  Build("http://127.0.0.1:9000", "us-east-1", {.content_md5 = false});
  ASSERT_TRUE(client_->PutObject({.bucket = "b", .key = "k", .body = "x"}).ok());
  EXPECT_FALSE(Last().headers.Has("Content-MD5"));
}

TEST_F(S3ClientTest, AddressingStyles) {
  Build("https://s3.us-west-2.amazonaws.com", "us-west-2");
  EXPECT_TRUE(client_->UsesVirtualHost("my-bucket"));
  EXPECT_EQ(client_->ObjectUrl("my-bucket", "a/b c"),
            "https://my-bucket.s3.us-west-2.amazonaws.com/a/b%20c");
  EXPECT_EQ(client_->ObjectUrl("my-bucket", "", "list-type=2"),
            "https://my-bucket.s3.us-west-2.amazonaws.com/?list-type=2");
  // Dotted names break the TLS wildcard; upper case is not a DNS label: path-style.
  EXPECT_FALSE(client_->UsesVirtualHost("my.bucket"));
  EXPECT_FALSE(client_->UsesVirtualHost("MyBucket"));
  EXPECT_EQ(client_->ObjectUrl("my.bucket", "k"), "/my.bucket/k");
  ASSERT_TRUE(client_->PutObject({.bucket = "my-bucket", .key = "k", .body = "x"}).ok());
  EXPECT_EQ(Last().url, "https://my-bucket.s3.us-west-2.amazonaws.com/k");
  EXPECT_EQ(Last().headers.Get("Host"), "my-bucket.s3.us-west-2.amazonaws.com");
  // Bodies over TLS are not hashed.
  EXPECT_EQ(Last().headers.Get("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");

  // Custom endpoints (the local region, s3rver) are path-style unless told otherwise.
  Build("http://localhost:4566");
  EXPECT_FALSE(client_->UsesVirtualHost("my-bucket"));
  Build("http://localhost:4566", "us-east-1", {.addressing = S3Addressing::kVirtualHost});
  EXPECT_EQ(client_->ObjectUrl("my-bucket", "k"), "http://my-bucket.localhost:4566/k");
  Build("https://s3.us-east-1.amazonaws.com", "us-east-1", {.addressing = S3Addressing::kPath});
  EXPECT_EQ(client_->ObjectUrl("my-bucket", "k"), "/my-bucket/k");
}

TEST_F(S3ClientTest, GetObjectRangeAndHeaders) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(206, "56789",
                   {{"ETag", "\"e1\""},
                    {"Content-Range", "bytes 5-9/100"},
                    {"Last-Modified", "Mon, 23 Nov 2026 19:12:40 GMT"},
                    {"Content-Encoding", "gzip"},
                    {"X-Amz-Meta-Flush", "abc"}});
  };
  auto out = client_->GetObject({.bucket = "b", .key = "k", .range = ByteRange{5, 9}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Last().method, "GET");
  EXPECT_EQ(Last().headers.Get("Range"), "bytes=5-9");
  EXPECT_EQ(out->body, "56789");
  EXPECT_EQ(out->object_size, 100u);
  EXPECT_EQ(out->etag, "e1");
  EXPECT_EQ(out->content_encoding, "gzip");
  EXPECT_EQ(out->metadata.at("flush"), "abc");
  EXPECT_EQ(ToUnixNanos(out->last_modified), int64_t{1795461160} * 1'000'000'000);

  ASSERT_TRUE(client_->GetObject({.bucket = "b", .key = "k", .range = ByteRange{7}}).ok());
  EXPECT_EQ(Last().headers.Get("Range"), "bytes=7-");
  EXPECT_EQ(
      client_->GetObject({.bucket = "b", .key = "k", .range = ByteRange{7, 6}}).status().code(),
      StatusCode::kInvalidArgument);

  http_.handler = [](const net::HttpRequest&) {
    return Respond(206, "x", {{"Content-Range", "garbage"}});
  };
  EXPECT_EQ(
      client_->GetObject({.bucket = "b", .key = "k", .range = ByteRange{0, 0}}).status().code(),
      StatusCode::kDataLoss);
}

TEST_F(S3ClientTest, ErrorsMapToStatusCodes) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(404,
                   "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified "
                   "key does not exist.</Message><RequestId>r1</RequestId></Error>");
  };
  auto get = client_->GetObject({.bucket = "b", .key = "missing"});
  EXPECT_EQ(get.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorCode(get.status()), "NoSuchKey");
  // HEAD errors have no body: the status alone says it.
  http_.handler = [](const net::HttpRequest&) { return Respond(404); };
  EXPECT_EQ(client_->HeadObject("b", "missing").status().code(), StatusCode::kNotFound);
  http_.handler = [](const net::HttpRequest&) {
    return Respond(416, "<Error><Code>InvalidRange</Code></Error>");
  };
  EXPECT_EQ(client_->GetObject({.bucket = "b", .key = "k", .range = ByteRange{10}}).status().code(),
            StatusCode::kInvalidArgument);
  http_.handler = [](const net::HttpRequest&) {
    return Respond(503, "<Error><Code>SlowDown</Code></Error>");
  };
  Status s = client_->PutObject({.bucket = "b", .key = "k", .body = "x"}).status();
  EXPECT_EQ(s.code(), StatusCode::kThrottled);
  EXPECT_TRUE(s.retryable());
  http_.handler = [](const net::HttpRequest&) { return Respond(500); };
  EXPECT_EQ(client_->DeleteObject("b", "k").code(), StatusCode::kUnavailable);
  // Client-side checks send nothing.
  size_t before = http_.requests.size();
  EXPECT_EQ(client_->GetObject({.bucket = "b", .key = ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->UploadPart("b", "k", "id", 0, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->UploadPart("b", "k", "id", 10001, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.requests.size(), before);
}

TEST_F(S3ClientTest, HeadObject) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, "",
                   {{"Content-Length", "12345"},
                    {"ETag", "\"abc-2\""},
                    {"Last-Modified", "Mon, 23 Nov 2026 19:12:40 GMT"},
                    {"Content-Type", "application/gzip"}});
  };
  auto out = client_->HeadObject("b", "dir/k");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Last().method, "HEAD");
  EXPECT_EQ(Last().url, "http://127.0.0.1:9000/b/dir/k");
  EXPECT_EQ(out->content_length, 12345u);
  EXPECT_EQ(out->etag, "abc-2");
  EXPECT_EQ(out->content_type, "application/gzip");
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, "", {{"Content-Length", "12x"}});
  };
  EXPECT_EQ(client_->HeadObject("b", "k").status().code(), StatusCode::kDataLoss);
}

TEST_F(S3ClientTest, ListObjectsV2QueryParameters) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  };
  auto out = client_->ListObjectsV2({.bucket = "b",
                                     .prefix = "svc/a b/",
                                     .delimiter = "/",
                                     .continuation_token = "1/2+3=",
                                     .start_after = "svc/a b/x",
                                     .max_keys = 250,
                                     .encoding_type_url = true});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  SeenUrl u = See(Last());
  EXPECT_EQ(Last().method, "GET");
  EXPECT_EQ(u.path, "/b");
  EXPECT_EQ(QueryValue(u, "list-type"), "2");
  EXPECT_EQ(QueryValue(u, "prefix"), "svc/a b/");
  EXPECT_EQ(QueryValue(u, "delimiter"), "/");
  EXPECT_EQ(QueryValue(u, "continuation-token"), "1/2+3=");
  EXPECT_EQ(QueryValue(u, "start-after"), "svc/a b/x");
  EXPECT_EQ(QueryValue(u, "max-keys"), "250");
  EXPECT_EQ(QueryValue(u, "encoding-type"), "url");
  // On the wire every reserved character is escaped ('+' would read as a space otherwise).
  EXPECT_THAT(u.raw_query, HasSubstr("continuation-token=1%2F2%2B3%3D"));
  EXPECT_THAT(u.raw_query, HasSubstr("prefix=svc%2Fa%20b%2F"));

  // Empty parameters are left out.
  ASSERT_TRUE(client_->ListObjectsV2({.bucket = "b"}).ok());
  EXPECT_EQ(See(Last()).raw_query, "list-type=2");
}

TEST(ParseListObjectsV2Test, ContentsPrefixesAndToken) {
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>p/</Prefix><KeyCount>4</KeyCount><MaxKeys>4</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <Contents><Key>p/a&amp;b&lt;c&gt;.gz</Key><LastModified>2026-11-23T19:12:40.123Z</LastModified>
    <ETag>&quot;0123abcd&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>   </Key><LastModified>2026-11-23T19:12:41Z</LastModified>
    <ETag>"ff-2"</ETag><Size>18446744073709551615</Size></Contents>
  <CommonPrefixes><Prefix>p/x/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>p/y/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  auto out = ParseListObjectsV2(xml);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->contents.size(), 2u);
  EXPECT_EQ(out->contents[0].key, "p/a&b<c>.gz");
  EXPECT_EQ(out->contents[0].size, 42u);
  EXPECT_EQ(out->contents[0].etag, "0123abcd");
  EXPECT_EQ(out->contents[0].storage_class, "STANDARD");
  EXPECT_EQ(ToUnixNanos(out->contents[0].last_modified), int64_t{1795461160'123'000'000});
  EXPECT_EQ(out->contents[1].key, "   ");  // whitespace-only keys are keys
  EXPECT_EQ(out->contents[1].size, 18446744073709551615u);
  EXPECT_EQ(out->contents[1].etag, "ff-2");
  EXPECT_THAT(out->common_prefixes, ElementsAre("p/x/", "p/y/"));
  EXPECT_TRUE(out->is_truncated);
  EXPECT_EQ(out->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(out->key_count, 4);
}

TEST(ParseListObjectsV2Test, UrlEncodingTypeIsDecoded) {
  const char* xml = R"(<ListBucketResult><EncodingType>url</EncodingType>
  <Contents><Key>a+b%2Fc%01%E2%82%AC</Key><Size>1</Size></Contents>
  <CommonPrefixes><Prefix>d%20e/</Prefix></CommonPrefixes>
  <IsTruncated>false</IsTruncated></ListBucketResult>)";
  auto out = ParseListObjectsV2(xml);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->contents.size(), 1u);
  EXPECT_EQ(out->contents[0].key, "a b/c\x01\xe2\x82\xac");
  EXPECT_THAT(out->common_prefixes, ElementsAre("d e/"));
}

TEST(ParseListObjectsV2Test, RejectsMalformedShapes) {
  for (const char* bad : {
           "",                              // empty
           "<ListBucketResult><Contents>",  // truncated
           "not xml at all",                // garbage
           "<ListAllMyBucketsResult/>",     // wrong document
           "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",  // no key
           "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1e3</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1</Size><LastModified>yesterday"
           "</LastModified></Contents></ListBucketResult>",
           "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
           // Truncated without a token: a paginating caller would loop forever.
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
       }) {
    EXPECT_EQ(ParseListObjectsV2(bad).status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST_F(S3ClientTest, DeleteObjectsBodyAndContentMd5) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>a</Key></Deleted>
  <Error><Key>b&amp;c</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>)");
  };
  std::vector<std::string> keys = {"a", "b&c", "<x>\"'", "dir/\xc3\xa9 t"};
  auto out = client_->DeleteObjects("bkt", keys, /*quiet=*/true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(out->deleted, ElementsAre("a"));
  ASSERT_EQ(out->errors.size(), 1u);
  EXPECT_EQ(out->errors[0].key, "b&c");
  EXPECT_EQ(out->errors[0].code, "AccessDenied");

  const net::HttpRequest& r = Last();
  EXPECT_EQ(r.method, "POST");
  SeenUrl u = See(r);
  EXPECT_EQ(u.path, "/bkt");
  EXPECT_EQ(u.query.size(), 1u);
  EXPECT_EQ(u.query[0].first, "delete");
  EXPECT_EQ(r.headers.Get("Content-MD5"), ContentMd5(r.body));
  EXPECT_EQ(r.headers.Get("x-amz-content-sha256"), Sha256Hex(r.body));
  // The body, read back by an XML parser, names every key exactly.
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.body.c_str()));
  pugi::xml_node del = doc.child("Delete");
  ASSERT_TRUE(del);
  EXPECT_STREQ(del.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_STREQ(del.child("Quiet").text().as_string(), "true");
  std::vector<std::string> sent;
  for (pugi::xml_node o : del.children("Object")) sent.push_back(o.child("Key").text().as_string());
  EXPECT_EQ(sent, keys);

  ASSERT_TRUE(client_->DeleteObjects("bkt", keys, /*quiet=*/false).ok());
  pugi::xml_document doc2;
  ASSERT_TRUE(doc2.load_string(Last().body.c_str()));
  EXPECT_FALSE(doc2.child("Delete").child("Quiet"));
}

TEST_F(S3ClientTest, DeleteObjectsLimits) {
  std::vector<std::string> many(1001, "k");
  size_t before = http_.requests.size();
  EXPECT_EQ(client_->DeleteObjects("b", many).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->DeleteObjects("b", {}).status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string> with_empty = {"a", ""};
  EXPECT_EQ(client_->DeleteObjects("b", with_empty).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.requests.size(), before);
  many.resize(1000);
  EXPECT_TRUE(client_->DeleteObjects("b", many).ok());  // quiet, empty answer
}

TEST_F(S3ClientTest, MultipartUploadRequests) {
  http_.handler = [](const net::HttpRequest& r) {
    SeenUrl u = See(r);
    if (r.method == "POST" && u.raw_query == "uploads") {
      return Respond(200, R"(<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>
          <UploadId>VXBsb2FkIElE+/=</UploadId></InitiateMultipartUploadResult>)");
    }
    if (r.method == "PUT") {
      return Respond(200, "", {{"ETag", "\"etag-" + QueryValue(u, "partNumber") + "\""}});
    }
    if (r.method == "POST") {
      return Respond(200, R"(<CompleteMultipartUploadResult><Location>http://x/b/k</Location>
          <Bucket>b</Bucket><Key>k</Key><ETag>"abcdef-2"</ETag></CompleteMultipartUploadResult>)");
    }
    return Respond(204);
  };
  auto id = client_->CreateMultipartUpload("b", "logs/k.gz", "application/gzip");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "VXBsb2FkIElE+/=");
  EXPECT_EQ(See(Last()).path, "/b/logs/k.gz");
  EXPECT_EQ(Last().headers.Get("Content-Type"), "application/gzip");

  auto e1 = client_->UploadPart("b", "logs/k.gz", *id, 1, "part one");
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ(*e1, "\"etag-1\"");
  SeenUrl u = See(Last());
  EXPECT_EQ(QueryValue(u, "partNumber"), "1");
  EXPECT_EQ(QueryValue(u, "uploadId"), "VXBsb2FkIElE+/=");
  EXPECT_THAT(u.raw_query, HasSubstr("uploadId=VXBsb2FkIElE%2B%2F%3D"));
  EXPECT_EQ(Last().headers.Get("Content-MD5"), ContentMd5("part one"));
  EXPECT_EQ(Last().body, "part one");

  std::vector<CompletedPart> parts = {{1, *e1}, {2, "etag-2"}};
  auto done = client_->CompleteMultipartUpload("b", "logs/k.gz", *id, parts);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, "abcdef-2");
  EXPECT_EQ(Last().method, "POST");
  EXPECT_EQ(QueryValue(See(Last()), "uploadId"), "VXBsb2FkIElE+/=");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(Last().body.c_str()));
  std::vector<std::string> sent;
  for (pugi::xml_node p : doc.child("CompleteMultipartUpload").children("Part")) {
    sent.push_back(std::string(p.child("PartNumber").text().as_string()) + "=" +
                   p.child("ETag").text().as_string());
  }
  EXPECT_THAT(sent, ElementsAre("1=\"etag-1\"", "2=\"etag-2\""));

  ASSERT_TRUE(client_->AbortMultipartUpload("b", "logs/k.gz", *id).ok());
  EXPECT_EQ(Last().method, "DELETE");
  EXPECT_EQ(QueryValue(See(Last()), "uploadId"), "VXBsb2FkIElE+/=");

  // Parts out of order are refused before sending.
  std::vector<CompletedPart> unordered = {{2, "a"}, {1, "b"}};
  EXPECT_EQ(client_->CompleteMultipartUpload("b", "k", *id, unordered).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(S3ClientTest, CompleteMultipartUploadErrorInsideA200) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message>
<RequestId>656c76696e6727732072657175657374</RequestId></Error>)");
  };
  std::vector<CompletedPart> parts = {{1, "e"}};
  auto done = client_->CompleteMultipartUpload("b", "k", "id", parts);
  EXPECT_EQ(done.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(AwsErrorCode(done.status()), "InternalError");
  EXPECT_EQ(
      ParseCompleteMultipartUpload("<Error><Code>EntityTooSmall</Code></Error>").status().code(),
      StatusCode::kInvalidArgument);
  // moto's root name for the same document.
  auto moto = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResponse><ETag>\"e-1\"</ETag></CompleteMultipartUploadResponse>");
  ASSERT_TRUE(moto.ok()) << moto.status().ToString();
  EXPECT_EQ(moto->etag, "e-1");
  EXPECT_EQ(ParseCompleteMultipartUpload("<ListBucketResult/>").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").status().code(),
            StatusCode::kDataLoss);
}

TEST_F(S3ClientTest, CreateBucketLocationConstraint) {
  ASSERT_TRUE(client_->CreateBucket("new-bucket").ok());
  EXPECT_EQ(Last().method, "PUT");
  EXPECT_EQ(Last().url, "http://127.0.0.1:9000/new-bucket");
  EXPECT_EQ(Last().body, "");
  Build("http://127.0.0.1:9000", "eu-west-1");
  ASSERT_TRUE(client_->CreateBucket("new-bucket").ok());
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(Last().body.c_str()));
  EXPECT_STREQ(
      doc.child("CreateBucketConfiguration").child("LocationConstraint").text().as_string(),
      "eu-west-1");
  http_.handler = [](const net::HttpRequest&) {
    return Respond(409, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>");
  };
  EXPECT_EQ(client_->CreateBucket("new-bucket").code(), StatusCode::kAlreadyExists);
}

// --- S3ObjectStore over the fake: what it asks of S3 ---

class S3ObjectStoreTest : public S3ClientTest {
 protected:
  void SetUp() override {
    S3ClientTest::SetUp();
    auto store = S3ObjectStore::Create(*client_, "bkt", "pre/fix",
                                       {.multipart_threshold = 6 << 20, .part_size = 5 << 20});
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }
  std::unique_ptr<S3ObjectStore> store_;
};

TEST_F(S3ObjectStoreTest, SmallPutIsOneRequestUnderThePrefix) {
  ASSERT_TRUE(store_->Put("a/b", "data").ok());
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(Last().url, "http://127.0.0.1:9000/bkt/pre/fix/a/b");
  EXPECT_EQ(store_->Describe(), "s3://bkt/pre/fix/");
  EXPECT_EQ(store_->Put("../x", "data").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(S3ObjectStoreTest, LargePutGoesMultipartInPartSizedPieces) {
  std::vector<size_t> part_sizes;
  std::vector<std::string> methods;
  http_.handler = [&](const net::HttpRequest& r) {
    SeenUrl u = See(r);
    methods.push_back(r.method + (u.raw_query.empty() ? "" : "?" + u.raw_query.substr(0, 10)));
    if (r.method == "POST" && u.raw_query == "uploads") {
      return Respond(200,
                     "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                     "</InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT") {
      part_sizes.push_back(r.body.size());
      return Respond(200, "", {{"ETag", "\"p\""}});
    }
    return Respond(200,
                   "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag>"
                   "</CompleteMultipartUploadResult>");
  };
  std::string big((12 << 20) + 3, 'z');
  ASSERT_TRUE(store_->Put("big", big).ok());
  EXPECT_THAT(part_sizes, ElementsAre(5u << 20, 5u << 20, (2u << 20) + 3));
  EXPECT_THAT(methods, ElementsAre("POST?uploads", "PUT?partNumber", "PUT?partNumber",
                                   "PUT?partNumber", "POST?uploadId=U"));

  // Through a writer, in small writes: the same parts.
  part_sizes.clear();
  methods.clear();
  auto w = store_->NewWriter("big2");
  ASSERT_TRUE(w.ok());
  for (size_t off = 0; off < big.size(); off += 100'000) {
    ASSERT_TRUE((*w)->Write(std::string_view(big).substr(off, 100'000)).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_THAT(part_sizes, ElementsAre(5u << 20, 5u << 20, (2u << 20) + 3));
  EXPECT_EQ((*w)->bytes_written(), big.size());

  // At the threshold: still one PutObject.
  part_sizes.clear();
  methods.clear();
  ASSERT_TRUE(store_->Put("edge", std::string(6 << 20, 'e')).ok());
  EXPECT_THAT(methods, ElementsAre("PUT"));
}

TEST_F(S3ObjectStoreTest, FailedPartAbortsTheUpload) {
  std::vector<std::string> methods;
  http_.handler = [&](const net::HttpRequest& r) {
    SeenUrl u = See(r);
    methods.push_back(r.method);
    if (r.method == "POST") {
      return Respond(200,
                     "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                     "</InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT" && QueryValue(u, "partNumber") == "2") {
      return Respond(400, "<Error><Code>BadDigest</Code></Error>");
    }
    if (r.method == "DELETE") {
      EXPECT_EQ(QueryValue(u, "uploadId"), "U1");
      return Respond(204);
    }
    return Respond(200, "", {{"ETag", "\"p\""}});
  };
  Status s = store_->Put("big", std::string(12 << 20, 'z'));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsErrorCode(s), "BadDigest");
  EXPECT_THAT(methods, ElementsAre("POST", "PUT", "PUT", "DELETE"));

  // A writer dropped mid-upload aborts too.
  methods.clear();
  http_.handler = [&](const net::HttpRequest& r) {
    methods.push_back(r.method);
    if (r.method == "POST") {
      return Respond(200,
                     "<InitiateMultipartUploadResult><UploadId>U2</UploadId>"
                     "</InitiateMultipartUploadResult>");
    }
    return Respond(200, "", {{"ETag", "\"p\""}});
  };
  {
    auto w = store_->NewWriter("dropped");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(std::string(7 << 20, 'q')).ok());
  }
  EXPECT_THAT(methods, ElementsAre("POST", "PUT", "DELETE"));
}

TEST_F(S3ObjectStoreTest, ListStripsThePrefixAndPassesTheToken) {
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200, R"(<ListBucketResult>
      <Contents><Key>pre/fix/a/1</Key><Size>3</Size><ETag>"e"</ETag></Contents>
      <CommonPrefixes><Prefix>pre/fix/a/</Prefix></CommonPrefixes>
      <CommonPrefixes><Prefix>pre/fix/b/</Prefix></CommonPrefixes>
      <IsTruncated>true</IsTruncated><NextContinuationToken>T2</NextContinuationToken>
      </ListBucketResult>)");
  };
  auto page = store_->List({.prefix = "a", .delimiter = "/", .start_after = "a/0", .max_keys = 2});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  SeenUrl u = See(Last());
  EXPECT_EQ(QueryValue(u, "prefix"), "pre/fix/a");
  EXPECT_EQ(QueryValue(u, "start-after"), "pre/fix/a/0");
  EXPECT_EQ(QueryValue(u, "max-keys"), "2");
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "a/1");
  EXPECT_EQ(page->objects[0].size, 3u);
  EXPECT_EQ(page->objects[0].etag, "e");
  // "a/" is not after start_after "a/0" (some servers return it anyway): dropped.
  EXPECT_THAT(page->common_prefixes, ElementsAre("b/"));
  EXPECT_EQ(page->continuation_token, "T2");
  ASSERT_TRUE(store_->List({}, "T2").ok());
  EXPECT_EQ(QueryValue(See(Last()), "continuation-token"), "T2");
  EXPECT_EQ(QueryValue(See(Last()), "start-after"), "<absent>");

  // A key outside the prefix means the server is broken.
  http_.handler = [](const net::HttpRequest&) {
    return Respond(200,
                   "<ListBucketResult><Contents><Key>elsewhere</Key><Size>1</Size>"
                   "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>");
  };
  EXPECT_EQ(store_->List({}).status().code(), StatusCode::kDataLoss);
}

TEST_F(S3ObjectStoreTest, DeleteBatchesByThousand) {
  std::vector<size_t> batch_sizes;
  http_.handler = [&](const net::HttpRequest& r) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(r.body.c_str()));
    size_t n = 0;
    for (pugi::xml_node o : doc.child("Delete").children("Object")) {
      EXPECT_TRUE(std::string(o.child("Key").text().as_string()).starts_with("pre/fix/k"));
      ++n;
    }
    batch_sizes.push_back(n);
    EXPECT_EQ(r.headers.Get("Content-MD5"), ContentMd5(r.body));
    // The second batch reports one failure.
    if (batch_sizes.size() == 2) {
      return Respond(200,
                     "<DeleteResult><Error><Key>pre/fix/k1500</Key><Code>AccessDenied"
                     "</Code><Message>no</Message></Error></DeleteResult>");
    }
    return Respond(200, "<DeleteResult/>");
  };
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) keys.push_back("k" + std::to_string(i));
  Status s = store_->Delete(keys);
  EXPECT_THAT(batch_sizes, ElementsAre(1000u, 1000u, 500u));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("1 of 2500"));
  EXPECT_THAT(s.message(), HasSubstr("k1500"));
}

TEST_F(S3ObjectStoreTest, RangesAndEmptyObjects) {
  http_.handler = [](const net::HttpRequest& r) {
    if (r.method == "HEAD") return Respond(200, "", {{"Content-Length", "0"}});
    return Respond(416, "<Error><Code>InvalidRange</Code></Error>");
  };
  // S3's 416 on an empty object reads as "" from offset 0, an error from anywhere else.
  EXPECT_EQ(store_->GetRange("empty", 0, 10).value_or("?"), "");
  EXPECT_EQ(store_->GetRange("empty", 1, 10).status().code(), StatusCode::kInvalidArgument);
  // A server that ignores Range: the store cuts the range itself.
  http_.handler = [](const net::HttpRequest&) { return Respond(200, "0123456789"); };
  EXPECT_EQ(store_->GetRange("k", 3, 4).value_or("?"), "3456");
  EXPECT_EQ(store_->GetRange("k", 8, ObjectStore::kToEnd).value_or("?"), "89");
  EXPECT_EQ(store_->GetRange("k", 10, 1).status().code(), StatusCode::kInvalidArgument);
  http_.handler = [](const net::HttpRequest& r) {
    EXPECT_EQ(r.headers.Get("Range"), "bytes=3-6");
    return Respond(206, "3456", {{"Content-Range", "bytes 3-6/10"}});
  };
  EXPECT_EQ(store_->GetRange("k", 3, 4).value_or("?"), "3456");
}

TEST(OpenObjectStoreTest, LocalAndS3Specs) {
  ObjectStoreContext none;
  std::string dir = ::testing::TempDir() + "/steady-open-store";
  auto local = OpenObjectStore(dir, none);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_NE(dynamic_cast<LocalObjectStore*>(local->get()), nullptr);
  // s3:// without the means to talk to S3.
  EXPECT_EQ(OpenObjectStore("s3://bucket/p", none).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(OpenObjectStore("ftp://x", none).status().code(), StatusCode::kInvalidArgument);

  FakeHttp http;
  ManualClock clock;
  MetricsRegistry metrics;
  auto creds = StaticCredentials({.access_key_id = "a", .secret_access_key = "s"});
  ObjectStoreContext ctx{
      .http = &http, .credentials = creds.get(), .clock = &clock, .metrics = &metrics};
  ctx.transport.endpoint = "http://127.0.0.1:1";
  auto s3 = OpenObjectStore("s3://bucket/logs", ctx);
  ASSERT_TRUE(s3.ok()) << s3.status().ToString();
  EXPECT_EQ((*s3)->Describe(), "s3://bucket/logs/");
  ASSERT_TRUE((*s3)->Put("k", "v").ok());
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:1/bucket/logs/k");
}

}  // namespace
}  // namespace steady::aws
