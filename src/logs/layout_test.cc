#include "logs/layout.h"

#include <gtest/gtest.h>

#include "base/time_format.h"

namespace steady::logs {
namespace {

Time At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

int64_t MinuteAt(const char* rfc3339) {
  return std::chrono::duration_cast<std::chrono::minutes>(At(rfc3339).time_since_epoch()).count();
}

TEST(LayoutTest, ServiceKeyRoundTripsWithAnyPrefix) {
  for (std::string prefix : {"", "service-logs", "a/b/service-logs"}) {
    ServiceLogKey key{prefix, "my_awesome_app", "app",
                      ObjectBaseName{MinuteAt("2018-11-28T01:02:00Z"), 3, "u-1"}};
    std::string text = FormatServiceLogKey(key);
    EXPECT_EQ(text, (prefix.empty() ? "" : prefix + "/") +
                        "my_awesome_app/app/2018/11/28/201811280102_3_u-1.gz");
    auto parsed = ParseServiceLogKey(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, key);
  }
}

TEST(LayoutTest, ServiceKeyRejectsWhatIsNotInTheLayout) {
  EXPECT_FALSE(ParseServiceLogKey("app/2018/11/28/201811280102_3_u.gz").ok());    // no family
  EXPECT_FALSE(ParseServiceLogKey("f/app/2018/11/29/201811280102_3_u.gz").ok());  // wrong day
  EXPECT_FALSE(ParseServiceLogKey("f/app/2018/11/28/201811280102_3_u.json").ok());
  EXPECT_FALSE(ParseServiceLogKey("f/app/2018/11/28/20181128010_3_u.gz").ok());
  EXPECT_FALSE(ParseServiceLogKey("f//2018/11/28/201811280102_3_u.gz").ok());
  EXPECT_FALSE(ParseServiceLogKey("f/app/2018/11/28/201811280102__u.gz").ok());
}

TEST(LayoutTest, TaskKeyIsNamedFromTheSourceObject) {
  auto source = ParseServiceLogKey("service-logs/web/app/2018/11/28/201811280102_0_abc.gz");
  ASSERT_TRUE(source.ok());
  std::string key = TaskLogKeyFor("task-logs/", *source, "0f1e2d");
  EXPECT_EQ(key, "task-logs/web/app/0f1e2d/201811280102_0_abc.gz");
  auto parsed = ParseTaskLogKey(key);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->task_id, "0f1e2d");
  EXPECT_EQ(parsed->name, source->name);
  EXPECT_EQ(parsed->prefix, "task-logs");
  // A task id that is not a key segment is sanitized, never a path escape.
  EXPECT_EQ(TaskLogKeyFor("t", *source, "../x"), "t/web/app/.._x/201811280102_0_abc.gz");
}

TEST(LayoutTest, TableNameFoldsToAthenasIdentifiers) {
  EXPECT_EQ(TableName("my-awesome.app", "App"), "my_awesome_app_app");
  EXPECT_EQ(TableName("my_awesome_app", "app"), "my_awesome_app_app");
}

TEST(LayoutTest, TimeRangeCoversTheMinutesThatMayHoldEvents) {
  TimeRange r{At("2018-11-28T01:02:30Z"), At("2018-11-28T01:05:00Z")};
  EXPECT_FALSE(r.CoversMinute(MinuteAt("2018-11-28T01:01:00Z")));
  EXPECT_TRUE(r.CoversMinute(MinuteAt("2018-11-28T01:02:00Z")));  // holds 01:02:30..59
  EXPECT_TRUE(r.CoversMinute(MinuteAt("2018-11-28T01:04:00Z")));
  EXPECT_FALSE(r.CoversMinute(MinuteAt("2018-11-28T01:05:00Z")));  // until is exclusive
  TimeRange open;
  EXPECT_TRUE(open.CoversMinute(0));
}

TEST(LayoutTest, ListPrefixesAreOnePerDayOfTheRange) {
  TimeRange r{At("2018-11-28T23:00:00Z"), At("2018-11-30T00:00:00Z")};
  EXPECT_EQ(
      ServiceLogListPrefixes("service-logs/", "f", "c", r),
      (std::vector<std::string>{"service-logs/f/c/2018/11/28/", "service-logs/f/c/2018/11/29/"}));
  EXPECT_EQ(ServiceLogListPrefixes("", "f", "c", TimeRange{At("2018-11-28T23:00:00Z"), {}}),
            std::vector<std::string>{"f/c/"});
  EXPECT_EQ(ServiceLogListPrefixes("p", "f", "c", r, 1), std::vector<std::string>{"p/f/c/"});
}

}  // namespace
}  // namespace steady::logs
