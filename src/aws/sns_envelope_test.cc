#include "aws/sns_envelope.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace steady::aws {
namespace {

std::string Envelope(const std::string& message) {
  return nlohmann::json{{"Type", "Notification"},
                        {"MessageId", "m-1"},
                        {"TopicArn", "arn:aws:sns:us-east-1:000000000000:t"},
                        {"Message", message}}
      .dump();
}

TEST(UnwrapSnsNotificationTest, APlainBodyIsItsOwnPayload) {
  for (std::string body : {R"({"a": 1})", "not json", "", R"({"Type": "Notification"})",
                           R"({"Type":"Notification","Message":{"a":1},"TopicArn":"t"})"}) {
    auto p = UnwrapSnsNotification(body);
    ASSERT_TRUE(p.ok()) << body;
    EXPECT_EQ(p->message, body);
    EXPECT_EQ(p->layers, 0);
  }
}

TEST(UnwrapSnsNotificationTest, PeelsEveryLayer) {
  const std::string inner = R"({"detail-type":"x"})";
  auto once = UnwrapSnsNotification(Envelope(inner));
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once->message, inner);
  EXPECT_EQ(once->layers, 1);
  auto thrice = UnwrapSnsNotification(Envelope(Envelope(Envelope(inner))));
  ASSERT_TRUE(thrice.ok());
  EXPECT_EQ(thrice->message, inner);
  EXPECT_EQ(thrice->layers, 3);
  // A payload that is not JSON is returned as it is.
  auto text = UnwrapSnsNotification(Envelope("hello"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->message, "hello");
  EXPECT_EQ(text->layers, 1);
}

TEST(UnwrapSnsNotificationTest, TooDeepIsAnError) {
  auto p = UnwrapSnsNotification(Envelope(Envelope(Envelope(Envelope("{}")))));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(UnwrapSnsNotification(Envelope(Envelope("{}")), 1).status().code() ==
              StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace steady::aws
