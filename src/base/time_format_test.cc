#include "base/time_format.h"

#include <gtest/gtest.h>

namespace steady {
namespace {

TEST(TimeFormat, FormatsTheAwsForms) {
  Time t = FromUnixNanos(1543392000'123456789LL);  // 2018-11-28T08:00:00.123456789Z
  EXPECT_EQ(FormatRfc3339Nanos(t), "2018-11-28T08:00:00.123456789Z");
  EXPECT_EQ(FormatIso8601(t), "2018-11-28T08:00:00Z");
  EXPECT_EQ(FormatIso8601(t, true), "2018-11-28T08:00:00.123Z");
  EXPECT_EQ(FormatAmzDate(t), "20181128T080000Z");
  EXPECT_EQ(FormatAmzDay(t), "20181128");
  EXPECT_EQ(FormatHttpDate(t), "Wed, 28 Nov 2018 08:00:00 GMT");
  EXPECT_EQ(FormatPattern("logs/%Y/%m/%d/%Y%m%d%H%M_%%", t), "logs/2018/11/28/201811280800_%");
}

TEST(TimeFormat, ParsesRfc3339WithOffsetsAndFractions) {
  EXPECT_EQ(*ParseRfc3339("2018-11-28T08:00:00Z"), FromUnixSeconds(1543392000));
  EXPECT_EQ(*ParseRfc3339("2018-11-28T17:00:00+09:00"), FromUnixSeconds(1543392000));
  EXPECT_EQ(*ParseRfc3339("2018-11-28T08:00:00.5Z"), FromUnixNanos(1543392000'500000000LL));
  EXPECT_EQ(*ParseRfc3339("2018-11-28T08:00:00.123456789123Z"),
            FromUnixNanos(1543392000'123456789LL));
  for (const char* bad :
       {"", "2018-11-28", "2018-11-28T08:00:00", "2018-13-28T08:00:00Z", "2018-02-30T08:00:00Z",
        "2018-11-28T08:00:00.Z", "2018-11-28T08:00:00Zjunk"})
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
}

TEST(TimeFormat, AmzDateRoundTrips) {
  Time t = FromUnixSeconds(1700000000);
  EXPECT_EQ(*ParseAmzDate(FormatAmzDate(t)), t);
  EXPECT_FALSE(ParseAmzDate("20231114T221320").ok());
  EXPECT_FALSE(ParseAmzDate("2023111XT221320Z").ok());
}

TEST(TimeFormat, HttpDateRoundTrips) {
  Time t = FromUnixSeconds(1700000000);
  EXPECT_EQ(*ParseHttpDate(FormatHttpDate(t)), t);
  EXPECT_FALSE(ParseHttpDate("Tue, 14 Foo 2023 22:13:20 GMT").ok());
}

}  // namespace
}  // namespace steady
