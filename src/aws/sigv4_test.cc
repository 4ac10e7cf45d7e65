#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time_format.h"

namespace steady::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

Time At(std::string_view rfc3339) {
  Result<Time> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : Time{};
}

// The credentials and scope of AWS's SigV4 test suite (aws-sig-v4-test-suite).
Credentials SuiteCredentials() {
  return Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt};
}
SigningParams SuiteParams() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.time = At("2015-08-30T12:36:00Z");
  return p;
}

// The credentials of the S3 SigV4 documentation's examples.
Credentials S3DocCredentials() {
  return Credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "",
                     std::nullopt};
}
SigningParams S3Params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = At("2013-05-24T00:00:00Z");
  p.normalize_path = false;
  p.content_sha256_header = true;
  return p;
}

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

HttpRequest SuiteRequest(std::string method, std::string url) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers.Add("Host", "example.amazonaws.com");
  return r;
}

std::string SignatureOf(const std::string& authorization) {
  size_t at = authorization.find("Signature=");
  return at == std::string::npos ? "" : authorization.substr(at + 10);
}

// Signs `r` and returns the canonical request it was signed over (recomputed through the
// verifier's entry point, which must agree with what SignRequest put in Authorization).
std::string CanonicalAfterSigning(HttpRequest& r, const Credentials& c, const SigningParams& p) {
  EXPECT_TRUE(SignRequest(r, c, p).ok());
  const std::string* given = r.headers.Find("X-Amz-Content-SHA256");
  Result<SigV4Parts> parts = ComputeSignature(r, c, p, given ? *given : Sha256Hex(r.body));
  EXPECT_TRUE(parts.ok());
  if (!parts.ok()) return "";
  EXPECT_EQ(parts->signature, SignatureOf(r.headers.Get("Authorization")));
  return parts->canonical_request;
}

// ---- Primitives -------------------------------------------------------------------------------

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

std::string ToHex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

TEST(HmacSha256Test, Rfc4231Vectors) {
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(ToHex(HmacSha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// The per-thread contexts are reused between calls; OpenSSL's one-shot functions are the
// reference.
TEST(HmacSha256Test, AgreesWithOpenSslOneShotFunctions) {
  std::mt19937 rng(42);
  for (int i = 0; i < 300; ++i) {
    std::string key(rng() % 150, '\0'), data(rng() % 600, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    for (char& c : data) c = static_cast<char>(rng());
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int want_len = 0;
    static const char kDummy = 0;
    ASSERT_NE(
        HMAC(EVP_sha256(), key.empty() ? &kDummy : key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), want, &want_len),
        nullptr);
    EXPECT_EQ(HmacSha256(key, data), std::string(reinterpret_cast<char*>(want), want_len))
        << "key size " << key.size() << " data size " << data.size();

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    ASSERT_EQ(EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_sha256(), nullptr), 1);
    EXPECT_EQ(Sha256Hex(data),
              ToHex(std::string_view(reinterpret_cast<char*>(digest), digest_len)));
  }
}

// ---- AWS SigV4 test suite ---------------------------------------------------------------------

TEST(SigV4SuiteTest, GetVanilla) {
  HttpRequest r = SuiteRequest("GET", "https://example.amazonaws.com/");
  Result<SigV4Parts> parts = ComputeSignature(
      [&] {
        HttpRequest copy = r;
        copy.headers.Add("X-Amz-Date", "20150830T123600Z");
        return copy;
      }(),
      SuiteCredentials(), SuiteParams(), kEmptySha256);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(parts->string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(parts->signed_headers, "host;x-amz-date");
  EXPECT_EQ(parts->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), SuiteParams()).ok());
  EXPECT_EQ(r.headers.Get("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(r.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string canonical_request;  // what the suite's .creq file says
  const char* signature;          // what its .authz file says
};

class SigV4SuiteCaseTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4SuiteCaseTest, MatchesPublishedSignature) {
  const SuiteCase& c = GetParam();
  HttpRequest r = SuiteRequest(c.method, c.url);
  for (const auto& [n, v] : c.headers) r.headers.Add(n, v);
  r.body = c.body;
  EXPECT_EQ(CanonicalAfterSigning(r, SuiteCredentials(), SuiteParams()), c.canonical_request);
  EXPECT_EQ(SignatureOf(r.headers.Get("Authorization")), c.signature);
}

std::string Creq(std::string method, std::string path, std::string query, std::string headers,
                 std::string signed_headers, std::string payload = kEmptySha256) {
  return method + "\n" + path + "\n" + query + "\n" + headers + "\n" + signed_headers + "\n" +
         payload;
}

const char kVanillaHeaders[] = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n";

INSTANTIATE_TEST_SUITE_P(
    Published, SigV4SuiteCaseTest,
    ::testing::Values(
        SuiteCase{
            "get_vanilla_query_order_key_case",
            "GET",
            "https://example.amazonaws.com/?Param2=value2&Param1=value1",
            {},
            "",
            Creq("GET", "/", "Param1=value1&Param2=value2", kVanillaHeaders, "host;x-amz-date"),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        SuiteCase{"post_vanilla",
                  "POST",
                  "https://example.amazonaws.com/",
                  {},
                  "",
                  Creq("POST", "/", "", kVanillaHeaders, "host;x-amz-date"),
                  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        SuiteCase{"get_header_value_trim",
                  "GET",
                  "https://example.amazonaws.com/",
                  {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
                  "",
                  Creq("GET", "/", "",
                       "host:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
                       "x-amz-date:20150830T123600Z\n",
                       "host;my-header1;my-header2;x-amz-date"),
                  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        SuiteCase{"get_header_key_duplicate",
                  "GET",
                  "https://example.amazonaws.com/",
                  {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
                  "",
                  Creq("GET", "/", "",
                       "host:example.amazonaws.com\nmy-header1:value2,value2,value1\n"
                       "x-amz-date:20150830T123600Z\n",
                       "host;my-header1;x-amz-date"),
                  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        SuiteCase{"get_utf8",
                  "GET",
                  "https://example.amazonaws.com/\xE1\x88\xB4",
                  {},
                  "",
                  Creq("GET", "/%E1%88%B4", "", kVanillaHeaders, "host;x-amz-date"),
                  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        SuiteCase{"get_space",
                  "GET",
                  "https://example.amazonaws.com/example space/",
                  {},
                  "",
                  Creq("GET", "/example%20space/", "", kVanillaHeaders, "host;x-amz-date"),
                  "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        SuiteCase{"get_slashes",
                  "GET",
                  "https://example.amazonaws.com//example//",
                  {},
                  "",
                  Creq("GET", "/example/", "", kVanillaHeaders, "host;x-amz-date"),
                  "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        SuiteCase{"get_relative_relative",
                  "GET",
                  "https://example.amazonaws.com/example1/example2/../..",
                  {},
                  "",
                  Creq("GET", "/", "", kVanillaHeaders, "host;x-amz-date"),
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"get_relative",
                  "GET",
                  "https://example.amazonaws.com/example/..",
                  {},
                  "",
                  Creq("GET", "/", "", kVanillaHeaders, "host;x-amz-date"),
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"post_x_www_form_urlencoded",
                  "POST",
                  "https://example.amazonaws.com/",
                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "Param1=value1",
                  Creq("POST", "/", "",
                       "content-type:application/x-www-form-urlencoded\n"
                       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n",
                       "content-type;host;x-amz-date",
                       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"}),
    [](const ::testing::TestParamInfo<SuiteCase>& info) { return std::string(info.param.name); });

TEST(SigV4SuiteTest, PostStsHeaderAfter) {
  Credentials c = SuiteCredentials();
  c.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSP"
      "fIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
      "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlz"
      "m8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  HttpRequest r = SuiteRequest("POST", "https://example.amazonaws.com/");
  std::string creq = CanonicalAfterSigning(r, c, SuiteParams());
  EXPECT_THAT(creq, HasSubstr("\nx-amz-security-token:" + c.session_token + "\n"));
  EXPECT_EQ(r.headers.Get("X-Amz-Security-Token"), c.session_token);
  EXPECT_EQ(r.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

// ---- S3 (the examples of the S3 "Signature Version 4" documentation) --------------------------

TEST(SigV4S3Test, GetObjectWithRange) {
  HttpRequest r;
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  r.headers.Add("Range", "bytes=0-9");
  std::string creq = CanonicalAfterSigning(r, S3DocCredentials(), S3Params());
  EXPECT_EQ(creq, Creq("GET", "/test.txt", "",
                       "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                       "x-amz-content-sha256:" +
                           std::string(kEmptySha256) + "\nx-amz-date:20130524T000000Z\n",
                       "host;range;x-amz-content-sha256;x-amz-date"));
  EXPECT_EQ(r.headers.Get("Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(r.headers.Get("x-amz-content-sha256"), kEmptySha256);
  EXPECT_EQ(r.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Test, PutObjectSignsDateHeaderAsGiven) {
  HttpRequest r;
  r.method = "PUT";
  r.url = "https://examplebucket.s3.amazonaws.com/test%24file.text";
  r.headers.Add("Date", "Fri, 24 May 2013 00:00:00 GMT");
  r.headers.Add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  r.body = "Welcome to Amazon S3.";
  const std::string body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  std::string creq = CanonicalAfterSigning(r, S3DocCredentials(), S3Params());
  EXPECT_EQ(creq,
            Creq("PUT", "/test%24file.text", "",
                 "date:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
                 "x-amz-content-sha256:" +
                     body_hash +
                     "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n",
                 "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", body_hash));
  EXPECT_EQ(SignatureOf(r.headers.Get("Authorization")),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3Test, SubresourceAndListQueries) {
  HttpRequest lifecycle;
  lifecycle.url = "https://examplebucket.s3.amazonaws.com/?lifecycle";
  EXPECT_THAT(CanonicalAfterSigning(lifecycle, S3DocCredentials(), S3Params()),
              StartsWith("GET\n/\nlifecycle=\n"));
  EXPECT_EQ(SignatureOf(lifecycle.headers.Get("Authorization")),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  HttpRequest list;
  list.url = "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J";
  EXPECT_THAT(CanonicalAfterSigning(list, S3DocCredentials(), S3Params()),
              StartsWith("GET\n/\nmax-keys=2&prefix=J\n"));
  EXPECT_EQ(SignatureOf(list.headers.Get("Authorization")),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3Test, PathIsSignedExactlyAsOnTheWire) {
  HttpRequest s3;
  s3.url = "http://127.0.0.1:4566/bucket/a//b/./c/../my%20key%2Fx";
  EXPECT_THAT(CanonicalAfterSigning(s3, S3DocCredentials(), S3Params()),
              StartsWith("GET\n/bucket/a//b/./c/../my%20key%2Fx\n"));

  // Every other service: normalized, then encoded a second time.
  HttpRequest other = s3;
  other.headers = {};
  SigningParams p = S3Params();
  p.normalize_path = true;
  EXPECT_THAT(CanonicalAfterSigning(other, S3DocCredentials(), p),
              StartsWith("GET\n/bucket/a/b/my%2520key%252Fx\n"));
}

TEST(SigV4S3Test, UnsignedPayload) {
  HttpRequest r;
  r.method = "PUT";
  r.url = "https://examplebucket.s3.amazonaws.com/big";
  r.body = std::string(1 << 20, 'x');
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  std::string creq = CanonicalAfterSigning(r, S3DocCredentials(), p);
  EXPECT_EQ(r.headers.Get("X-Amz-Content-SHA256"), "UNSIGNED-PAYLOAD");
  EXPECT_THAT(creq, HasSubstr("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
  EXPECT_THAT(creq, testing::EndsWith("\nUNSIGNED-PAYLOAD"));

  // Without content_sha256_header the header is still sent: the service needs it.
  HttpRequest ecs;
  ecs.method = "POST";
  ecs.url = "https://ecs.us-east-1.amazonaws.com/";
  ecs.body = "{}";
  SigningParams q = SuiteParams();
  q.unsigned_payload = true;
  EXPECT_THAT(CanonicalAfterSigning(ecs, SuiteCredentials(), q),
              testing::EndsWith("\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4S3Test, PresignedGetMatchesDocumentation) {
  HttpRequest r;
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  p.content_sha256_header = false;
  Result<std::string> url = PresignUrl(r, S3DocCredentials(), p, std::chrono::hours(24));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(*url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// ---- Presigned URLs ---------------------------------------------------------------------------

std::string QueryParam(std::string_view url, std::string_view name) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return "";
  for (const auto& [k, v] : net::ParseQuery(url.substr(q + 1)))
    if (k == name) return v;
  return "<missing>";
}

TEST(PresignUrlTest, SessionTokenIsAQueryParameterAndSigned) {
  HttpRequest r;
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  Credentials c = S3DocCredentials();
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  Result<std::string> plain = PresignUrl(r, c, p, std::chrono::seconds(60));
  c.session_token = "FwoGZXIvYXdzE/+token==";
  Result<std::string> with_token = PresignUrl(r, c, p, std::chrono::seconds(60));
  ASSERT_TRUE(plain.ok() && with_token.ok());
  EXPECT_THAT(*with_token, HasSubstr("&X-Amz-Security-Token=FwoGZXIvYXdzE%2F%2Btoken%3D%3D&"));
  EXPECT_EQ(QueryParam(*with_token, "X-Amz-Expires"), "60");
  EXPECT_NE(QueryParam(*plain, "X-Amz-Signature"), QueryParam(*with_token, "X-Amz-Signature"));
  EXPECT_THAT(*plain, Not(HasSubstr("Security-Token")));
}

// What the local region does to check a presigned URL: recompute over the URL as received.
TEST(PresignUrlTest, VerifiesThroughComputeSignature) {
  HttpRequest r;
  r.method = "PUT";
  r.url = "http://127.0.0.1:4566/bucket/some%20key?versionId=3&b=&a";
  r.headers.Add("Content-Type", "text/plain");
  Credentials c = S3DocCredentials();
  c.session_token = "token/with+chars";
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  Result<std::string> url = PresignUrl(r, c, p, std::chrono::minutes(15));
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(QueryParam(*url, "X-Amz-SignedHeaders"), "content-type;host");
  EXPECT_THAT(*url, StartsWith("http://127.0.0.1:4566/bucket/some%20key?versionId=3&b=&a&X-Amz-"));

  HttpRequest received = r;
  received.url = *url;
  Result<SigV4Parts> parts = ComputeSignature(received, c, p, "UNSIGNED-PAYLOAD");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->signature, QueryParam(*url, "X-Amz-Signature"));
  // Byte order: every X-Amz-* name sorts before the lower-case ones.
  EXPECT_THAT(parts->canonical_request,
              HasSubstr("&X-Amz-SignedHeaders=content-type%3Bhost&a=&b=&versionId=3\n"));

  // A tampered parameter no longer verifies.
  received.url.replace(received.url.find("versionId=3"), 11, "versionId=4");
  parts = ComputeSignature(received, c, p, "UNSIGNED-PAYLOAD");
  ASSERT_TRUE(parts.ok());
  EXPECT_NE(parts->signature, QueryParam(*url, "X-Amz-Signature"));
}

TEST(PresignUrlTest, ReplacesAnEarlierPresigning) {
  HttpRequest r;
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  Result<std::string> first = PresignUrl(r, S3DocCredentials(), p, std::chrono::seconds(60));
  ASSERT_TRUE(first.ok());
  r.url = *first;
  Result<std::string> second = PresignUrl(r, S3DocCredentials(), p, std::chrono::hours(24));
  ASSERT_TRUE(second.ok());
  // Identical to presigning the bare URL: nothing of the first signature leaks in.
  EXPECT_THAT(
      *second,
      testing::EndsWith("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f"
                        "604d404"));
  EXPECT_EQ(second->find("X-Amz-Algorithm"), second->rfind("X-Amz-Algorithm"));
}

TEST(PresignUrlTest, KeepsTheCallersQueryAsSent) {
  HttpRequest r;
  r.url = "https://h.example/p?list-type=2&prefix=a/b&x=%7e&x=1";
  SigningParams p = S3Params();
  p.unsigned_payload = true;
  Result<std::string> url = PresignUrl(r, S3DocCredentials(), p, std::chrono::seconds(5));
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(*url, StartsWith("https://h.example/p?list-type=2&prefix=a/b&x=%7e&x=1&X-Amz-"));
  HttpRequest received;
  received.url = *url;
  Result<SigV4Parts> parts = ComputeSignature(received, S3DocCredentials(), p, "UNSIGNED-PAYLOAD");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->signature, QueryParam(*url, "X-Amz-Signature"));
  EXPECT_THAT(parts->canonical_request, HasSubstr("&list-type=2&prefix=a%2Fb&x=1&x=~\n"));
}

TEST(PresignUrlTest, ExpiryBounds) {
  HttpRequest r;
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt?";
  SigningParams p = S3Params();
  EXPECT_EQ(PresignUrl(r, S3DocCredentials(), p, std::chrono::seconds(0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PresignUrl(r, S3DocCredentials(), p, std::chrono::milliseconds(999)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PresignUrl(r, S3DocCredentials(), p, std::chrono::seconds(604801)).status().code(),
            StatusCode::kInvalidArgument);
  Result<std::string> week = PresignUrl(r, S3DocCredentials(), p, std::chrono::seconds(604800));
  ASSERT_TRUE(week.ok());
  // The bare '?' gets no stray '&'.
  EXPECT_THAT(*week, HasSubstr("/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
  EXPECT_EQ(QueryParam(*week, "X-Amz-Expires"), "604800");
}

TEST(PresignUrlTest, NonS3SignsTheEmptyBodyHash) {
  HttpRequest r;
  r.url = "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15";
  SigningParams p = SuiteParams();
  p.service = "sts";
  Result<std::string> url = PresignUrl(r, SuiteCredentials(), p, std::chrono::seconds(60));
  ASSERT_TRUE(url.ok());
  HttpRequest received = r;
  received.url = *url;
  Result<SigV4Parts> parts = ComputeSignature(received, SuiteCredentials(), p, kEmptySha256);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->signature, QueryParam(*url, "X-Amz-Signature"));
}

// ---- Canonicalization details -----------------------------------------------------------------

SigV4Parts Compute(const HttpRequest& r, SigningParams p = SuiteParams()) {
  Result<SigV4Parts> parts = ComputeSignature(r, SuiteCredentials(), p, kEmptySha256);
  EXPECT_TRUE(parts.ok()) << parts.status().ToString();
  return parts.ok() ? *parts : SigV4Parts{};
}

std::string CanonicalQueryOf(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  std::string creq = Compute(r).canonical_request;
  size_t a = creq.find('\n'), b = creq.find('\n', a + 1), c = creq.find('\n', b + 1);
  return creq.substr(b + 1, c - b - 1);
}

TEST(CanonicalQueryTest, SortsByNameThenValueAndKeepsRepeats) {
  EXPECT_EQ(CanonicalQueryOf("http://h/?Param1=value2&Param1=Value1"),
            "Param1=Value1&Param1=value2");
  // Sorted as (name, value) pairs, not as "name=value" strings: "a" < "a-b" though '-' < '='.
  EXPECT_EQ(CanonicalQueryOf("http://h/?a-b=1&a=2"), "a=2&a-b=1");
  EXPECT_EQ(CanonicalQueryOf("http://h/?b&a=&c=1"), "a=&b=&c=1");
}

TEST(CanonicalQueryTest, ReencodesToUriEncode) {
  EXPECT_EQ(CanonicalQueryOf("http://h/?prefix=a/b&t=%7e&u=%c3%a9&v=x+y&w=%41"),
            "prefix=a%2Fb&t=~&u=%C3%A9&v=x%2By&w=A");
  EXPECT_EQ(CanonicalQueryOf("http://h/?key%20with%20space=(1)*"), "key%20with%20space=%281%29%2A");
}

TEST(CanonicalQueryTest, DropsEmptyPiecesAndTheSignature) {
  EXPECT_EQ(CanonicalQueryOf("http://h/?a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(CanonicalQueryOf("http://h/?X-Amz-Signature=abc&a=1"), "a=1");
  EXPECT_EQ(CanonicalQueryOf("http://h/?"), "");
}

TEST(CanonicalHeadersTest, SkipsHeadersProxiesRewrite) {
  HttpRequest r;
  r.url = "https://ecs.us-east-1.amazonaws.com/";
  r.headers.Add("User-Agent", "steady/0.1");
  r.headers.Add("Expect", "100-continue");
  r.headers.Add("X-Amzn-Trace-Id", "Root=1-abc");
  r.headers.Add("Authorization", "AWS4-HMAC-SHA256 old");
  r.headers.Add("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters");
  EXPECT_EQ(Compute(r).signed_headers, "host;x-amz-target");
}

TEST(CanonicalHeadersTest, FoldsWhitespaceAndJoinsRepeatsInOrder) {
  HttpRequest r;
  r.url = "https://h/";
  r.headers.Add("X-B", " \t one \t  two\tthree  ");
  r.headers.Add("x-a", "   ");
  r.headers.Add("X-B", "");
  r.headers.Add("x-b", "later");
  SigV4Parts parts = Compute(r);
  EXPECT_THAT(parts.canonical_request, HasSubstr("\nhost:h\nx-a:\nx-b:one two three,,later\n\n"));
  EXPECT_EQ(parts.signed_headers, "host;x-a;x-b");
}

// The word-at-a-time scan must agree with the plain definition at every alignment, with
// control bytes (not whitespace) and non-ASCII bytes (never whitespace) mixed in.
TEST(CanonicalHeadersTest, FoldingMatchesPlainDefinition) {
  auto reference = [](std::string_view v) {
    std::string out;
    bool pending = false;
    for (char c : v) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        pending = !out.empty();
        continue;
      }
      if (pending) out += ' ';
      pending = false;
      out += c;
    }
    return out;
  };
  std::mt19937 rng(7);
  const std::string alphabet = std::string("aZ9 \t\x01\x1f\x7f!") + "\xc3\xa9";
  for (int i = 0; i < 2000; ++i) {
    std::string value(rng() % 40, '\0');
    for (char& c : value) c = rng() % 3 == 0 ? alphabet[rng() % alphabet.size()] : 'T';
    HttpRequest r;
    r.url = "https://h/";
    r.headers.Add("X-V", value);
    EXPECT_THAT(Compute(r).canonical_request, HasSubstr("\nx-v:" + reference(value) + "\n\n"))
        << testing::PrintToString(value);
  }
}

TEST(CanonicalHeadersTest, HostFromUrl) {
  struct Case {
    const char* url;
    const char* host;
  };
  for (const Case& c :
       {Case{"https://Example.COM/", "example.com"},
        Case{"https://example.com:443/", "example.com"},
        Case{"http://example.com:80/", "example.com"},
        Case{"http://example.com:443/", "example.com:443"},
        Case{"https://127.0.0.1:4566/", "127.0.0.1:4566"}, Case{"http://[::1]/", "[::1]"},
        Case{"http://[2001:DB8::1]:8080/", "[2001:db8::1]:8080"}}) {
    HttpRequest r;
    r.url = c.url;
    ASSERT_TRUE(SignRequest(r, SuiteCredentials(), SuiteParams()).ok()) << c.url;
    EXPECT_EQ(r.headers.Get("Host"), c.host) << c.url;
  }
  // A Host header the caller set wins.
  HttpRequest r;
  r.url = "http://127.0.0.1:4566/";
  r.headers.Add("host", "bucket.localhost:4566");
  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), SuiteParams()).ok());
  EXPECT_EQ(r.headers.Get("Host"), "bucket.localhost:4566");
  EXPECT_EQ(r.headers.size(), 3u);  // host, x-amz-date, authorization
}

TEST(SignRequestTest, ResigningReplacesDateAndSignature) {
  HttpRequest r = SuiteRequest("get", "https://example.amazonaws.com/");
  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), SuiteParams()).ok());
  const std::string first = r.headers.Get("Authorization");
  SigningParams later = SuiteParams();
  later.time += std::chrono::seconds(1);
  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), later).ok());
  int dates = 0, auths = 0;
  for (const auto& [name, value] : r.headers) {
    dates += net::EqualsIgnoreCase(name, "x-amz-date");
    auths += net::EqualsIgnoreCase(name, "authorization");
  }
  EXPECT_EQ(dates, 1);
  EXPECT_EQ(auths, 1);
  EXPECT_EQ(r.headers.Get("X-Amz-Date"), "20150830T123601Z");
  EXPECT_NE(r.headers.Get("Authorization"), first);
  // Signing again at the original time gives the original signature back (the lower-case
  // method is signed as GET: this is get-vanilla).
  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), SuiteParams()).ok());
  EXPECT_EQ(r.headers.Get("Authorization"), first);
  EXPECT_EQ(SignatureOf(first), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SignRequestTest, SubSecondTimeIsTruncated) {
  HttpRequest r = SuiteRequest("GET", "https://example.amazonaws.com/");
  SigningParams p = SuiteParams();
  p.time += std::chrono::nanoseconds(999'999'999);
  ASSERT_TRUE(SignRequest(r, SuiteCredentials(), p).ok());
  EXPECT_EQ(SignatureOf(r.headers.Get("Authorization")),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SignRequestTest, PayloadHashChoices) {
  HttpRequest r;
  r.method = "POST";
  r.url = "https://ecs.us-east-1.amazonaws.com/";
  r.body = "{\"cluster\":\"default\"}";
  // Default: the body's hash, no header.
  HttpRequest plain = r;
  EXPECT_THAT(CanonicalAfterSigning(plain, SuiteCredentials(), SuiteParams()),
              testing::EndsWith("\n" + Sha256Hex(r.body)));
  EXPECT_FALSE(plain.headers.Has("X-Amz-Content-SHA256"));
  // content_sha256_header: the body's hash, also as a header (replacing a stale one).
  HttpRequest with_header = r;
  with_header.headers.Add("x-amz-content-sha256", "stale");
  SigningParams p = SuiteParams();
  p.content_sha256_header = true;
  EXPECT_THAT(CanonicalAfterSigning(with_header, SuiteCredentials(), p),
              testing::EndsWith("\n" + Sha256Hex(r.body)));
  EXPECT_EQ(with_header.headers.Get("X-Amz-Content-SHA256"), Sha256Hex(r.body));
  // A header the caller set is what gets signed.
  HttpRequest given = r;
  given.headers.Add("X-Amz-Content-SHA256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  EXPECT_THAT(CanonicalAfterSigning(given, SuiteCredentials(), SuiteParams()),
              testing::EndsWith("\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD"));
}

TEST(SignRequestTest, Errors) {
  HttpRequest r = SuiteRequest("GET", "https://example.amazonaws.com/");
  Credentials no_secret = SuiteCredentials();
  no_secret.secret_access_key.clear();
  EXPECT_EQ(SignRequest(r, no_secret, SuiteParams()).code(), StatusCode::kUnauthenticated);
  SigningParams no_region = SuiteParams();
  no_region.region.clear();
  EXPECT_EQ(SignRequest(r, SuiteCredentials(), no_region).code(), StatusCode::kInvalidArgument);
  SigningParams no_service = SuiteParams();
  no_service.service.clear();
  EXPECT_EQ(SignRequest(r, SuiteCredentials(), no_service).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(r.headers.Has("Authorization"));
  r.url = "example.amazonaws.com/";
  EXPECT_EQ(SignRequest(r, SuiteCredentials(), SuiteParams()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeSignature(r, SuiteCredentials(), SuiteParams(), kEmptySha256).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Signing key cache and threads ------------------------------------------------------------

struct Variant {
  std::string secret, region, service;
  Time time;
};

std::vector<Variant> ManyVariants() {
  std::vector<Variant> out;
  // More combinations than the per-thread cache holds, revisited in an order that makes stale
  // entries and evictions matter.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 13; ++i) {
      out.push_back(Variant{"secret" + std::to_string(i % 5), i % 2 ? "us-east-1" : "eu-west-1",
                            i % 3 ? "ecs" : "sqs",
                            At("2015-08-30T23:59:59Z") + std::chrono::seconds(i % 4 == 0)});
    }
  }
  return out;
}

std::string SignWith(const Variant& v) {
  HttpRequest r = SuiteRequest("POST", "https://example.amazonaws.com/");
  Credentials c{"AKID", v.secret, "", std::nullopt};
  SigningParams p;
  p.region = v.region;
  p.service = v.service;
  p.time = v.time;
  EXPECT_TRUE(SignRequest(r, c, p).ok());
  return r.headers.Get("Authorization");
}

TEST(SigningKeyCacheTest, EveryCombinationSignsAsOnAFreshThread) {
  std::vector<Variant> variants = ManyVariants();
  std::vector<std::string> reused;
  for (const Variant& v : variants) reused.push_back(SignWith(v));
  for (size_t i = 0; i < variants.size(); ++i) {
    std::string fresh;
    std::thread([&] { fresh = SignWith(variants[i]); }).join();  // a new thread: empty cache
    EXPECT_EQ(reused[i], fresh) << i;
  }
  // The variants differ in secret, region, service or day: their signatures must too.
  EXPECT_NE(reused[0], reused[1]);
  EXPECT_NE(reused[0], reused[4]);
}

TEST(SigningKeyCacheTest, ConcurrentSigningAgrees) {
  std::vector<Variant> variants = ManyVariants();
  std::vector<std::string> want;
  for (const Variant& v : variants) want.push_back(SignWith(v));
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = t; i < variants.size() + t; ++i)
          got[t].push_back(SignWith(variants[i % variants.size()]));
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    for (size_t k = 0; k < got[t].size(); ++k) {
      ASSERT_EQ(got[t][k], want[(t + k) % variants.size()]) << "thread " << t << " item " << k;
    }
  }
}

}  // namespace
}  // namespace steady::aws
