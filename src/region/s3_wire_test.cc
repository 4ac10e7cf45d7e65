#include "region/s3_wire.h"

#include <gtest/gtest.h>

#include "aws/aws_error.h"
#include "aws/s3_client.h"

namespace steady::region {
namespace {

std::string Code(const Status& s) { return aws::AwsErrorCode(s); }

TEST(AwsChunked, DecodesSignedChunks) {
  std::string body =
      "5;chunk-signature=aaaa\r\nhello\r\n"
      "6;chunk-signature=bbbb\r\n world\r\n"
      "0;chunk-signature=cccc\r\n\r\n";
  auto d = DecodeAwsChunked(body);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->data, "hello world");
  EXPECT_TRUE(d->trailers.empty());
}

TEST(AwsChunked, DecodesUnsignedChunksWithTrailers) {
  // What botocore sends for STREAMING-UNSIGNED-PAYLOAD-TRAILER: hex sizes, a CRC32 trailer.
  std::string data(0x1a, 'x');
  std::string body = "1a\r\n" + data + "\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  auto d = DecodeAwsChunked(body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data, data);
  ASSERT_EQ(d->trailers.size(), 1u);
  EXPECT_EQ(d->trailers[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(d->trailers[0].second, "DUoRhQ==");
  // Final CRLF missing, uppercase trailer name, a signature trailer.
  auto e = DecodeAwsChunked("3\r\nabc\r\n0\r\nX-Amz-Checksum-Sha1:x\r\nx-amz-trailer-signature:s");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data, "abc");
  ASSERT_EQ(e->trailers.size(), 2u);
  EXPECT_EQ(e->trailers[0].first, "x-amz-checksum-sha1");
  EXPECT_EQ(e->trailers[1].second, "s");
  auto empty = DecodeAwsChunked("0\r\n\r\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->data, "");
}

TEST(AwsChunked, RejectsEveryMalformedShape) {
  for (std::string_view bad : {
           "",                                  // no header
           "5\r\nhel",                          // truncated data
           "5\r\nhello",                        // no CRLF after data
           "5\r\nhelloXX0\r\n\r\n",             // junk instead of CRLF
           "zz\r\nhello\r\n0\r\n\r\n",          // bad size
           "5\r\nhello\r\n",                    // no final chunk
           "ffffffffffffffffff\r\n",            // size overflows
           "3\r\nabc\r\n0\r\nnocolon\r\n\r\n",  // bad trailer
       }) {
    EXPECT_EQ(Code(DecodeAwsChunked(bad).status()), "IncompleteBody") << bad;
  }
  // Every prefix of a valid body either decodes to a prefix of the data or is rejected.
  std::string body = "5;chunk-signature=a\r\nhello\r\n0;chunk-signature=b\r\n\r\n";
  for (size_t n = 0; n < body.size(); ++n) {
    auto d = DecodeAwsChunked(body.substr(0, n));
    if (d.ok()) {
      EXPECT_EQ(d->data, "hello");
    }
  }
}

TEST(Checksums, VerifyEachAlgorithm) {
  const std::string data = "hello world";
  EXPECT_TRUE(VerifyChecksum("x-amz-checksum-crc32", "DUoRhQ==", data).ok());
  EXPECT_TRUE(
      VerifyChecksum("X-Amz-Checksum-SHA256", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=", data)
          .ok());
  EXPECT_TRUE(VerifyChecksum("x-amz-checksum-sha1", "Kq5sNclPz7QV2+lfQIuc6R7oRu0=", data).ok());
  EXPECT_EQ(Crc32cBase64("123456789"), "4waSgw==");  // the CRC-32C check value E3069283
  EXPECT_TRUE(VerifyChecksum("x-amz-checksum-crc32c", Crc32cBase64(data), data).ok());
  EXPECT_EQ(Code(VerifyChecksum("x-amz-checksum-crc32", "AAAAAA==", data)), "BadDigest");
  EXPECT_EQ(Code(VerifyChecksum("x-amz-checksum-crc32", "not base64!", data)), "InvalidRequest");
  EXPECT_EQ(Code(VerifyChecksum("x-amz-checksum-sha1", "DUoRhQ==", data)), "InvalidRequest");
  EXPECT_TRUE(VerifyChecksum("x-amz-checksum-crc64nvme", "anything", data).ok());

  EXPECT_TRUE(VerifyContentMd5("XrY7u+Ae7tCTyyK7j1rNww==", data).ok());
  EXPECT_TRUE(VerifyContentMd5(aws::ContentMd5("other"), "other").ok());
  EXPECT_EQ(Code(VerifyContentMd5(aws::ContentMd5("other"), data)), "BadDigest");
  EXPECT_EQ(Code(VerifyContentMd5("short", data)), "InvalidDigest");
}

TEST(VirtualHost, FindsTheBucketInTheHost) {
  EXPECT_EQ(VirtualHostBucket("logs.localhost:4566"), "logs");
  EXPECT_EQ(VirtualHostBucket("my.dotted.bucket.localhost"), "my.dotted.bucket");
  EXPECT_EQ(VirtualHostBucket("logs.s3.us-east-1.amazonaws.com"), "logs");
  EXPECT_EQ(VirtualHostBucket("logs.s3.amazonaws.com"), "logs");
  EXPECT_EQ(VirtualHostBucket("logs.s3-us-west-2.amazonaws.com"), "logs");
  EXPECT_EQ(VirtualHostBucket("Logs.S3.steady.internal:9000"), "logs");
  for (std::string_view path_style :
       {"127.0.0.1:4566", "localhost:4566", "localhost", "s3.amazonaws.com",
        "s3.us-east-1.amazonaws.com", "[::1]:4566", ""}) {
    EXPECT_EQ(VirtualHostBucket(path_style), "") << path_style;
  }
}

TEST(DeleteRequestXml, ParsesWhatTheClientsSend) {
  std::vector<std::string> keys = {"a", " spaced ", "x&y<z>", "dir/é"};
  auto d = ParseDeleteRequest(aws::DeleteObjectsXml(keys, true));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->quiet);
  EXPECT_EQ(d->keys, keys);
  auto loud =
      ParseDeleteRequest("<Delete><Object><Key>k</Key><VersionId>v</VersionId></Object></Delete>");
  ASSERT_TRUE(loud.ok());
  EXPECT_FALSE(loud->quiet);
  for (std::string_view bad :
       {"", "<Delete>", "<Delete></Delete>", "<Other><Object><Key>k</Key></Object></Other>",
        "<Delete><Object></Object></Delete>",
        "<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>", "not xml at all"}) {
    EXPECT_EQ(Code(ParseDeleteRequest(bad).status()), "MalformedXML") << bad;
  }
  std::string many = "<Delete>";
  for (int i = 0; i < 1001; ++i) many += "<Object><Key>k</Key></Object>";
  EXPECT_EQ(Code(ParseDeleteRequest(many + "</Delete>").status()), "MalformedXML");
}

TEST(CompleteMultipartUploadXml, ParsesWhatTheClientsSend) {
  std::vector<aws::CompletedPart> parts = {{1, "\"aaa\""}, {2, "bbb"}};
  auto p = ParseCompleteMultipartUpload(aws::CompleteMultipartUploadXml(parts));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0], (std::pair<int, std::string>{1, "\"aaa\""}));
  EXPECT_EQ((*p)[1], (std::pair<int, std::string>{2, "\"bbb\""}));
  for (std::string_view bad :
       {"", "<CompleteMultipartUpload/>",
        "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part>"}) {
    EXPECT_EQ(Code(ParseCompleteMultipartUpload(bad).status()), "MalformedXML") << bad;
  }
}

TEST(NotificationXml, RoundTrips) {
  std::string xml =
      "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<QueueConfiguration><Id>c1</Id><Queue>arn:aws:sqs:us-east-1:0:q</Queue>"
      "<Event>s3:ObjectCreated:*</Event><Event>s3:ObjectRemoved:Delete</Event>"
      "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>logs/</Value></FilterRule>"
      "<FilterRule><Name>Suffix</Name><Value>.gz</Value></FilterRule></S3Key></Filter>"
      "</QueueConfiguration><QueueConfiguration><Queue>arn:aws:sqs:us-east-1:0:r</Queue>"
      "<Event>s3:ObjectCreated:Put</Event></QueueConfiguration></NotificationConfiguration>";
  auto q = ParseNotificationConfiguration(xml);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->size(), 2u);
  EXPECT_EQ((*q)[0].id, "c1");
  EXPECT_EQ((*q)[0].events.size(), 2u);
  EXPECT_EQ((*q)[0].prefix, "logs/");
  EXPECT_EQ((*q)[0].suffix, ".gz");
  EXPECT_EQ((*q)[1].id, "");
  auto again = ParseNotificationConfiguration(NotificationConfigurationXml(*q));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].prefix, "logs/");
  EXPECT_EQ((*again)[0].events, (*q)[0].events);
  EXPECT_TRUE(ParseNotificationConfiguration("<NotificationConfiguration/>")->empty());

  EXPECT_EQ(Code(ParseNotificationConfiguration("<NotificationConfiguration><TopicConfiguration>"
                                                "<Topic>arn</Topic><Event>e</Event>"
                                                "</TopicConfiguration></NotificationConfiguration>")
                     .status()),
            "InvalidArgument");
  EXPECT_EQ(
      Code(ParseNotificationConfiguration("<NotificationConfiguration><EventBridgeConfiguration/>"
                                          "</NotificationConfiguration>")
               .status()),
      "NotImplemented");
  EXPECT_EQ(
      Code(ParseNotificationConfiguration(
               "<NotificationConfiguration><QueueConfiguration><Queue>a</Queue><Event>e</Event>"
               "<Filter><S3Key><FilterRule><Name>prefix</Name><Value>a</Value></FilterRule>"
               "<FilterRule><Name>prefix</Name><Value>b</Value></FilterRule></S3Key></Filter>"
               "</QueueConfiguration></NotificationConfiguration>")
               .status()),
      "InvalidArgument");
  EXPECT_EQ(
      Code(ParseNotificationConfiguration(
               "<NotificationConfiguration><QueueConfiguration><Queue>a</Queue><Event>e</Event>"
               "<Filter><S3Key><FilterRule><Name>middle</Name><Value>a</Value></FilterRule>"
               "</S3Key></Filter></QueueConfiguration></NotificationConfiguration>")
               .status()),
      "InvalidArgument");
  for (std::string_view bad : {"", "<Other/>",
                               "<NotificationConfiguration><QueueConfiguration>"
                               "<Queue>a</Queue></QueueConfiguration>"
                               "</NotificationConfiguration>",
                               "<NotificationConfiguration><Bogus/></NotificationConfiguration>"}) {
    EXPECT_EQ(Code(ParseNotificationConfiguration(bad).status()), "MalformedXML") << bad;
  }
}

TEST(CreateBucketXml, ReadsTheLocation) {
  EXPECT_EQ(*ParseCreateBucketConfiguration(""), "");
  EXPECT_EQ(*ParseCreateBucketConfiguration(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
            "eu-west-1");
  EXPECT_EQ(Code(ParseCreateBucketConfiguration("<Create").status()), "MalformedXML");
}

}  // namespace
}  // namespace steady::region
