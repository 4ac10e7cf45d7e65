#include "region/glue_expression.h"

#include <gtest/gtest.h>

namespace steady::region {
namespace {

// A table partitioned as steady's logs tables are (int year/month/day), plus a string key.
const std::vector<aws::GlueColumn> kKeys = {
    {"year", "int", ""}, {"month", "int", ""}, {"day", "int", ""}, {"zone", "string", ""}};

// Partition values of the fixture, one per key.
const std::vector<std::vector<std::string>> kParts = {
    {"2018", "11", "28", "eu-west-1a"}, {"2018", "11", "9", "us-east-1b"},
    {"2018", "12", "1", "eu-west-1b"},  {"2019", "1", "15", "us-east-1a"},
    {"2026", "12", "2", "it's"},
};

// The indexes of kParts that `expression` keeps.
std::vector<int> Kept(const std::string& expression) {
  auto filter = GluePartitionFilter::Parse(expression, kKeys);
  EXPECT_TRUE(filter.ok()) << expression << ": " << filter.status().ToString();
  std::vector<int> out;
  if (!filter.ok()) return out;
  for (size_t i = 0; i < kParts.size(); ++i)
    if (filter->Matches(kParts[i])) out.push_back(static_cast<int>(i));
  return out;
}

struct Case {
  std::string expression;
  std::vector<int> kept;
};

TEST(GluePartitionFilterTest, SelectsThePartitionsGlueWould) {
  const std::vector<Case> cases = {
      {"year = 2018", {0, 1, 2}},
      {"year = '2018'", {0, 1, 2}},
      {"YEAR=2018 and Month=11 AND day=28", {0}},
      // Numeric keys compare as numbers: '9' < 10 although "9" > "10" as text.
      {"day < 10", {1, 2, 4}},
      {"month >= 11", {0, 1, 2, 4}},
      {"month <> 11", {2, 3, 4}},
      {"month != 11", {2, 3, 4}},
      {"month > 11.5", {2, 4}},
      {"year <= -1", {}},
      {"month IN (1, 12)", {2, 3, 4}},
      {"month NOT IN (1, 12)", {0, 1}},
      {"day BETWEEN 2 AND 15", {1, 3, 4}},
      {"day NOT BETWEEN 2 AND 15", {0, 2}},
      // String keys compare as text.
      {"zone >= 'u'", {1, 3}},
      {"zone LIKE 'eu-%'", {0, 2}},
      {"zone LIKE 'us-east-1_'", {1, 3}},
      {"zone NOT LIKE '%a'", {1, 2, 4}},
      {"zone LIKE '%'", {0, 1, 2, 3, 4}},
      {"zone = 'it''s'", {4}},
      {"\"zone\" = 'eu-west-1b' or `day` = 15", {2, 3}},
      {"zone IS NULL", {}},
      {"zone IS NOT NULL", {0, 1, 2, 3, 4}},
      // Precedence: NOT over AND over OR; parentheses over all.
      {"year = 2019 or year = 2018 and month = 12", {2, 3}},
      {"(year = 2019 or year = 2018) and month = 12", {2}},
      {"not year = 2018 and day > 1", {3, 4}},
      {"not (year = 2018 and day > 1)", {2, 3, 4}},
      {"((((year = 2026))))", {4}},
  };
  for (const Case& c : cases) EXPECT_EQ(Kept(c.expression), c.kept) << c.expression;
}

TEST(GluePartitionFilterTest, ANumericKeyHoldingTextMatchesNothing) {
  auto filter = GluePartitionFilter::Parse("day > 0 or day <= 0", kKeys);
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(filter->Matches({"2018", "11", "last", "x"}));
  EXPECT_TRUE(filter->Matches({"2018", "11", "3", "x"}));
}

TEST(GluePartitionFilterTest, RejectsWhatGlueWouldWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected a partition key at the end"},
      {"hour = 1", "unknown partition key 'hour' at character 1"},
      {"year = 'twenty'", "'twenty' is not a number, as key 'year' of type int needs"},
      {"year = ", "expected a value at the end"},
      {"year 2018", "expected a comparison, IN, BETWEEN, LIKE or IS after 'year'"},
      {"year = 2018 and", "expected a partition key at the end"},
      {"(year = 2018", "expected ')' at the end"},
      {"year = 2018)", "unexpected ')' at character 12"},
      {"month in (1, 2", "expected ',' or ')' in the IN list at the end"},
      {"day between 1 or 2", "expected AND in BETWEEN at character 15"},
      {"zone like eu", "expected a quoted pattern after LIKE"},
      {"zone is null-ish", "unexpected '-' at character 13"},
      {"zone = 'open", "unterminated quote at character 8"},
      {"2018 = year", "expected a partition key, not '2018'"},
      {"year = 1.2.3", "malformed number '1.2.3'"},
      {"year ; drop", "unexpected ';' at character 6"},
      {std::string(3000, ' '), "at most 2048 characters"},
      {std::string(500, '(') + "year = 1" + std::string(500, ')'), "nested too deeply"},
  };
  for (const auto& [expression, reason] : cases) {
    auto filter = GluePartitionFilter::Parse(expression, kKeys);
    ASSERT_FALSE(filter.ok()) << expression;
    EXPECT_EQ(filter.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(filter.status().message().find(reason), std::string::npos)
        << expression << " -> " << filter.status().message();
  }
}

TEST(GlueTableNameFilterTest, HivePatterns) {
  const std::vector<std::string> names = {"web_app", "web_sidecar", "batch_app", "webapp"};
  auto kept = [&](const std::string& pattern) {
    auto f = GlueTableNameFilter::Parse(pattern);
    EXPECT_TRUE(f.ok()) << pattern;
    std::vector<std::string> out;
    for (const auto& n : names)
      if (f.ok() && f->Matches(n)) out.push_back(n);
    return out;
  };
  EXPECT_EQ(kept("web*"), (std::vector<std::string>{"web_app", "web_sidecar", "webapp"}));
  EXPECT_EQ(kept("*_app"), (std::vector<std::string>{"web_app", "batch_app"}));
  EXPECT_EQ(kept("web_.*"), (std::vector<std::string>{"web_app", "web_sidecar"}));
  EXPECT_EQ(kept("WEB_APP|batch_app"), (std::vector<std::string>{"web_app", "batch_app"}));
  EXPECT_EQ(kept("web"), std::vector<std::string>{});  // the whole name must match
  EXPECT_EQ(GlueTableNameFilter::Parse("web_(").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace steady::region
