#include "region/event_pattern.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace steady::region {
namespace {

using nlohmann::json;

// The EC2 example event of the EventBridge user guide, with a few extra fields.
const char* const kEvent = R"({
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0",
    "state": "terminated",
    "c-count": 5,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "ipv6": "2001:db8::1",
    "flag": true,
    "nothing": null,
    "empty": "",
    "path": "/usr/lib/x.png",
    "tags": ["blue", "green"],
    "nested": {"deep": {"value": "here"}},
    "employees": [
      {"firstName": "John", "lastName": "Doe"},
      {"firstName": "Anna", "lastName": "Smith"}
    ]
  }
})";

bool Match(const std::string& pattern, const char* event = kEvent) {
  auto p = EventPattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().ToString();
  if (!p.ok()) return false;
  return p->Matches(json::parse(event));
}

// The reason a pattern is refused ("" if it compiles).
std::string Invalid(const std::string& pattern) {
  auto p = EventPattern::Parse(pattern);
  return p.ok() ? "" : p.status().message();
}

TEST(EventPatternTest, ExactValuesAreOredWithinAFieldAndAndedAcrossFields) {
  EXPECT_TRUE(Match(R"({"source": ["aws.ec2"]})"));
  EXPECT_TRUE(Match(R"({"source": ["aws.s3", "aws.ec2"]})"));
  EXPECT_FALSE(Match(R"({"source": ["aws.s3"]})"));
  EXPECT_FALSE(Match(R"({"source": ["AWS.EC2"]})"));  // case matters
  EXPECT_TRUE(Match(
      R"({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]})"));
  EXPECT_FALSE(Match(R"({"source": ["aws.ec2"], "detail-type": ["Other"]})"));
  // A field the event lacks never matches a value.
  EXPECT_FALSE(Match(R"({"missing": ["x"]})"));
}

TEST(EventPatternTest, NestedObjectsMatchDetailFields) {
  EXPECT_TRUE(Match(R"({"detail": {"state": ["terminated"]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": ["running"]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"nested": {"deep": {"value": ["here"]}}}})"));
  EXPECT_FALSE(Match(R"({"detail": {"nested": {"deep": {"value": ["there"]}}}})"));
  // A nested pattern against a leaf value is a miss, not an error.
  EXPECT_FALSE(Match(R"({"source": {"x": ["aws.ec2"]}})"));
}

TEST(EventPatternTest, NumbersNullsBooleansAndEmptyStrings) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [5]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [5.0]}})"));   // compared as numbers
  EXPECT_FALSE(Match(R"({"detail": {"c-count": ["5"]}})"));  // a string is not a number
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [6]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"x-limit": [3.018e2]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"nothing": [null]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"missing": [null]}})"));  // null is not absence
  EXPECT_FALSE(Match(R"({"detail": {"empty": [null]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"empty": [""]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"flag": [true]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"flag": [false]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"flag": ["true"]}})"));
}

TEST(EventPatternTest, ArraysInTheEventMatchOnAnyElement) {
  EXPECT_TRUE(Match(R"({"detail": {"tags": ["green"]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"tags": ["red", "blue"]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"tags": ["red"]}})"));
  EXPECT_TRUE(Match(R"({"resources": [{"prefix": "arn:aws:ec2:"}]})"));
  // Objects in arrays match one element at a time.
  EXPECT_TRUE(Match(R"({"detail": {"employees": {"firstName": ["Anna"]}}})"));
  EXPECT_TRUE(
      Match(R"({"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}})"));
  EXPECT_FALSE(Match(R"({"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Doe"]}}})"));
}

TEST(EventPatternTest, Prefix) {
  EXPECT_TRUE(Match(R"({"time": [{"prefix": "2017-12-22"}]})"));
  EXPECT_FALSE(Match(R"({"time": [{"prefix": "2018-"}]})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"prefix": "5"}]}})"));  // strings only
  EXPECT_TRUE(Match(R"({"source": [{"prefix": {"equals-ignore-case": "AWS.E"}}]})"));
  EXPECT_FALSE(Match(R"({"source": [{"prefix": "AWS.E"}]})"));
  EXPECT_FALSE(Match(R"({"source": [{"prefix": {"equals-ignore-case": "AWS.S"}}]})"));
}

TEST(EventPatternTest, Suffix) {
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"suffix": ".png"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"suffix": ".jpg"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"suffix": {"equals-ignore-case": ".PNG"}}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"suffix": ".PNG"}]}})"));
}

TEST(EventPatternTest, EqualsIgnoreCase) {
  EXPECT_TRUE(Match(R"({"source": [{"equals-ignore-case": "AWS.EC2"}]})"));
  EXPECT_FALSE(Match(R"({"source": [{"equals-ignore-case": "AWS.EC"}]})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"equals-ignore-case": "5"}]}})"));
}

TEST(EventPatternTest, Wildcard) {
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"wildcard": "/usr/*/*.png"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"wildcard": "*lib*"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"wildcard": "/usr/lib/x.png"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"wildcard": "/usr/*.jpg"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"wildcard": "usr*"}]}})"));
  // An escaped star is a literal star.
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"wildcard": "/usr/lib/\\*"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"name": [{"wildcard": "a\\*b*"}]}})",
                    R"({"detail": {"name": "a*bc"}})"));
  // Overlapping prefix and suffix cannot share characters.
  EXPECT_FALSE(Match(R"({"v": [{"wildcard": "ab*ba"}]})", R"({"v": "aba"})"));
  EXPECT_TRUE(Match(R"({"v": [{"wildcard": "ab*ba"}]})", R"({"v": "abba"})"));
  EXPECT_TRUE(Match(R"({"v": [{"wildcard": "*a*b*"}]})", R"({"v": "xxaxxbxx"})"));
  EXPECT_FALSE(Match(R"({"v": [{"wildcard": "*b*a*"}]})", R"({"v": "xxaxxbxx"})"));
}

TEST(EventPatternTest, AnythingBut) {
  EXPECT_TRUE(Match(R"({"detail": {"state": [{"anything-but": "running"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"anything-but": "terminated"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"state": [{"anything-but": ["running", "pending"]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"anything-but": ["running", "terminated"]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"anything-but": [1, 2, 3]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"anything-but": [4, 5]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"anything-but": 5}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"anything-but": {"suffix": ".jpg"}}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"anything-but": {"suffix": ".png"}}]}})"));
  EXPECT_FALSE(
      Match(R"({"detail": {"state": [{"anything-but": {"equals-ignore-case": "TERMINATED"}}]}})"));
  EXPECT_TRUE(
      Match(R"({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING"]}}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"path": [{"anything-but": {"wildcard": "*/lib/*"}}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"path": [{"anything-but": {"wildcard": "*/bin/*"}}]}})"));
  // Needs the field: a missing field is not "anything but".
  EXPECT_FALSE(Match(R"({"detail": {"missing": [{"anything-but": "x"}]}})"));
  // Arrays: any element outside the list matches.
  EXPECT_TRUE(Match(R"({"detail": {"tags": [{"anything-but": "blue"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"tags": [{"anything-but": ["blue", "green"]}]}})"));
}

TEST(EventPatternTest, Numeric) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": [">=", 5]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"numeric": [">", 5]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": ["<", 5.5]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"numeric": ["<", 5]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"numeric": ["<=", 5]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"x-limit": [{"numeric": ["=", 301]}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"x-limit": [{"numeric": [">=", 301, "<", 302]}]}})"));
  // Only numbers compare; a numeric-looking string does not.
  EXPECT_FALSE(Match(R"({"v": [{"numeric": [">", 0]}]})", R"({"v": "5"})"));
  EXPECT_TRUE(Match(R"({"v": [{"numeric": [">", -1e9]}]})", R"({"v": [-5, "x"]})"));
}

TEST(EventPatternTest, Exists) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"exists": true}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"exists": false}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"missing": [{"exists": false}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"missing": [{"exists": true}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"nothing": [{"exists": true}]}})"));  // null is a value
  // Leaf nodes only: an object is not a present leaf.
  EXPECT_TRUE(Match(R"({"detail": {"nested": [{"exists": false}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"nested": [{"exists": true}]}})"));
  // A missing parent means a missing leaf.
  EXPECT_TRUE(Match(R"({"nope": {"x": [{"exists": false}]}})"));
  EXPECT_FALSE(Match(R"({"nope": {"x": [{"exists": true}]}})"));
  // OR with a value.
  EXPECT_TRUE(Match(R"({"detail": {"missing": ["x", {"exists": false}]}})"));
  // An empty array holds no leaf.
  EXPECT_TRUE(Match(R"({"a": [{"exists": false}]})", R"({"a": []})"));
}

TEST(EventPatternTest, Cidr) {
  EXPECT_TRUE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.0.32/27"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/27"}]}})"));
  EXPECT_TRUE(Match(R"({"detail": {"ipv6": [{"cidr": "2001:db8::/32"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"ipv6": [{"cidr": "2001:db9::/32"}]}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": [{"cidr": "0.0.0.0/0"}]}})"));
}

TEST(EventPatternTest, OrCombinesWholeSubPatterns) {
  const std::string p = R"({
    "source": ["aws.ec2"],
    "$or": [{"detail": {"c-count": [1]}}, {"detail": {"state": ["terminated"]}}]
  })";
  EXPECT_TRUE(Match(p));
  EXPECT_FALSE(
      Match(R"({"source": ["aws.s3"], "$or": [{"detail": {"c-count": [5]}}, {"region": ["x"]}]})"));
  EXPECT_FALSE(Match(R"({"$or": [{"detail": {"c-count": [1]}}, {"region": ["x"]}]})"));
  // Nested $or inside an alternative, and $or inside detail.
  EXPECT_TRUE(Match(
      R"({"detail": {"$or": [{"state": ["x"]}, {"c-count": [5], "$or": [{"flag": [false]}, {"empty": [""]}]}]}})"));
  EXPECT_FALSE(Match(
      R"({"detail": {"$or": [{"state": ["x"]}, {"c-count": [5], "$or": [{"flag": [false]}, {"empty": ["y"]}]}]}})"));
}

TEST(EventPatternTest, NonObjectEventsMatchOnlyAbsence) {
  auto p = EventPattern::Parse(R"({"a": [{"exists": false}]})");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Matches(json::array({1, 2})));
  EXPECT_TRUE(p->Matches(json("text")));
  auto q = EventPattern::Parse(R"({"a": ["x"]})");
  EXPECT_FALSE(q->Matches(json(nullptr)));
}

TEST(EventPatternTest, InvalidPatternsAreRefusedWithAReason) {
  EXPECT_EQ(Invalid("not json"), "Event pattern is not valid JSON");
  EXPECT_EQ(Invalid("[]"), "Filter is not an object");
  EXPECT_EQ(Invalid("{}"), "Empty objects are not allowed");
  EXPECT_EQ(Invalid(R"({"detail": {}})"), "Empty objects are not allowed");
  EXPECT_EQ(Invalid(R"({"source": "aws.ec2"})"), "\"source\" must be an object or an array");
  EXPECT_EQ(Invalid(R"({"source": 5})"), "\"source\" must be an object or an array");
  EXPECT_EQ(Invalid(R"({"source": []})"), "Empty arrays are not allowed");
  EXPECT_EQ(Invalid(R"({"source": [["a"]]})"),
            "Match value must be String, number, true, false, or null");
  EXPECT_EQ(Invalid(R"({"source": [{}]})"), "Match expression name not found");
  EXPECT_EQ(Invalid(R"({"source": [{"prefix": "a", "suffix": "b"}]})"),
            "Only one key allowed in match expression");
  EXPECT_EQ(Invalid(R"({"source": [{"regex": "a.*"}]})"), "Unrecognized match type regex");
  EXPECT_EQ(Invalid(R"({"source": [{"prefix": 5}]})"), "prefix match pattern must be a string");
  EXPECT_NE(Invalid(R"({"source": [{"prefix": {"wildcard": "x"}}]})"), "");
  EXPECT_EQ(Invalid(R"({"source": [{"exists": "yes"}]})"),
            "exists match pattern must be either true or false.");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": 5}]})"), "Value of numeric must be an array.");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": ["!=", 5]}]})"),
            "Unrecognized numeric range operator: !=");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": [">", "5"]}]})"), "Value of > must be numeric");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": ["=", 5, "<", 6]}]})"),
            "Too many elements in numeric expression");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": [">", 5, ">", 6]}]})"), "Bad numeric range operator: >");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": [">", 6, "<", 5]}]})"), "Bottom must be less than top");
  EXPECT_EQ(Invalid(R"({"n": [{"numeric": [">", 0, "<", 5, 6]}]})"),
            "Too many terms in numeric range expression");
  EXPECT_NE(Invalid(R"({"n": [{"numeric": [">", 6e9]}]})"), "");
  EXPECT_NE(Invalid(R"({"n": [{"numeric": []}]})"), "");
  EXPECT_EQ(Invalid(R"({"s": [{"anything-but": [true]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_NE(Invalid(R"({"s": [{"anything-but": ["a", 1]}]})"), "");
  EXPECT_NE(Invalid(R"({"s": [{"anything-but": []}]})"), "");
  EXPECT_EQ(Invalid(R"({"s": [{"anything-but": {"prefix": ""}}]})"),
            "Null prefix/suffix not allowed");
  EXPECT_EQ(Invalid(R"({"s": [{"anything-but": {"numeric": [">", 1]}}]})"),
            "Unsupported anything-but pattern: numeric");
  EXPECT_NE(Invalid(R"({"s": [{"anything-but": null}]})"), "");
  EXPECT_EQ(Invalid(R"({"s": [{"wildcard": "a**b"}]})"),
            "Consecutive wildcard characters at pos 2");
  EXPECT_EQ(Invalid(R"({"s": [{"wildcard": "a\\b"}]})"), "Invalid escape character at pos 1");
  EXPECT_NE(Invalid(R"({"s": [{"cidr": "10.0.0.0"}]})"), "");
  EXPECT_NE(Invalid(R"({"s": [{"cidr": "10.0.0.0/33"}]})"), "");
  EXPECT_NE(Invalid(R"({"s": [{"cidr": "banana/8"}]})"), "");
  EXPECT_EQ(Invalid(R"({"$or": {"a": ["x"]}})"), "It must be an Array followed with $or.");
  EXPECT_EQ(Invalid(R"({"$or": [{"a": ["x"]}]})"),
            "There must have at least 2 Objects in $or relationship.");
  EXPECT_EQ(Invalid(R"({"$or": [{"a": ["x"]}, "b"]})"),
            "Only JSON object is allowed in array of $or relationship.");
  EXPECT_EQ(Invalid(R"({"$or": [{"a": ["x"]}, {"numeric": [1]}]})"),
            "numeric is Ruler reserved fieldName which cannot be used inside $or.");
  // Depth is bounded.
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "[1]";
  for (int i = 0; i < 100; ++i) deep += "}";
  EXPECT_EQ(Invalid(deep), "Pattern is nested too deeply");
}

TEST(EventPatternTest, ValidPatternsCompile) {
  for (const char* p : {
           R"({"a": ["x", 1, 2.5, null, true, false, ""]})",
           R"({"a": [{"prefix": ""}]})",
           R"({"a": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]})",
           R"({"a": [{"numeric": ["=", -5e9]}]})",
           R"({"a": [{"cidr": "::/0"}]})",
           R"({"a": {"b": {"c": [{"exists": true}]}}, "$or": [{"x": [1]}, {"y": [2]}]})",
       })
    EXPECT_EQ(Invalid(p), "") << p;
}

}  // namespace
}  // namespace steady::region
