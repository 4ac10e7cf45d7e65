#include "router/events.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace steady::router {
namespace {

const char* kS3Event = R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",
 "eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"steady-logs",
 "arn":"arn:aws:s3:::steady-logs"},"object":{"key":"service-logs/my+app/a%2Bb/x%3D1.gz",
 "size":1234,"eTag":"abc","sequencer":"0A"}}},
 {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"steady-logs"},"object":{"key":"k"}}},
 {"eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"steady-logs"},
 "object":{"key":"service-logs/b.gz","size":5}}}]})";

TEST(EventsTest, S3RecordsWithDecodedKeys) {
  auto m = ParseRouterMessage(kS3Event);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->kind, RouterMessage::Kind::kObjects);
  ASSERT_EQ(m->objects.size(), 2u);
  EXPECT_EQ(m->objects[0], (CreatedObject{"steady-logs", "service-logs/my app/a+b/x=1.gz", 1234}));
  EXPECT_EQ(m->objects[1], (CreatedObject{"steady-logs", "service-logs/b.gz", 5}));
  EXPECT_EQ(m->ignored, 1);
  EXPECT_EQ(m->sns_layers, 0);
}

TEST(EventsTest, SnsWrappedS3Event) {
  nlohmann::json env = {{"Type", "Notification"},
                        {"MessageId", "m1"},
                        {"TopicArn", "arn:aws:sns:us-east-1:000000000000:logs"},
                        {"Message", kS3Event},
                        {"Timestamp", "2026-01-01T00:00:00.000Z"}};
  nlohmann::json outer = env;
  outer["Message"] = env.dump();
  auto m = ParseRouterMessage(outer.dump());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->sns_layers, 2);
  ASSERT_EQ(m->objects.size(), 2u);
  EXPECT_EQ(m->objects[0].key, "service-logs/my app/a+b/x=1.gz");
}

TEST(EventsTest, EventBridgeObjectCreated) {
  const char* body = R"({"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3",
   "account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1",
   "resources":["arn:aws:s3:::steady-logs"],"detail":{"version":"0","bucket":{"name":"steady-logs"},
   "object":{"key":"service-logs/web/app/2018/11/28/201811280001_0_u.gz","size":77},
   "reason":"PutObject"}})";
  auto m = ParseRouterMessage(body);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->objects.size(), 1u);
  EXPECT_EQ(
      m->objects[0],
      (CreatedObject{"steady-logs", "service-logs/web/app/2018/11/28/201811280001_0_u.gz", 77}));
  auto deleted = ParseRouterMessage(
      R"({"detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k"}}})");
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->objects.empty());
  EXPECT_EQ(deleted->ignored, 1);
}

TEST(EventsTest, TestEvent) {
  auto m = ParseRouterMessage(
      R"({"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-01-01T00:00:00.000Z","Bucket":"steady-logs","RequestId":"r","HostId":"h"})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, RouterMessage::Kind::kTestEvent);
}

TEST(EventsTest, MalformedBodiesAreErrors) {
  for (
      const char* bad :
      {"", "not json", "[]", "{}", R"({"Records":{}})", R"({"Records":[]})",
       R"({"Records":[{"s3":{}}]})", R"({"Records":[{"eventName":"ObjectCreated:Put"}]})",
       R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{}}}]})",
       R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"k"}}}]})",
       R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%zz"}}}]})",
       R"({"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a%2"}}}]})",
       R"({"detail-type":"Object Created"})"}) {
    auto m = ParseRouterMessage(bad);
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EventsTest, DecodeKey) {
  EXPECT_EQ(*DecodeS3EventKey("a+b%20c%2Fd%e2%82%ac"), "a b c/d\xe2\x82\xac");
  EXPECT_FALSE(DecodeS3EventKey("%").ok());
  EXPECT_FALSE(DecodeS3EventKey("%4").ok());
  EXPECT_FALSE(DecodeS3EventKey("%g0").ok());
}

}  // namespace
}  // namespace steady::router
