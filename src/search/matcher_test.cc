#include "search/matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace steady::search {
namespace {

std::string Line(std::string_view log_json, std::string_view extra = "") {
  return std::string(R"({"time":"2018-11-28T10:00:00.000000000Z","log":)") + std::string(log_json) +
         R"(,"source":"stdout","task_id":"abc)" + std::string(extra) + R"("})";
}

std::vector<std::string> SelectAll(const LineMatcher& m, const std::string& text) {
  std::vector<std::string_view> views;
  m.Select(text, &views);
  return {views.begin(), views.end()};
}

struct Case {
  GrepPattern pattern;
  std::vector<int> expected;  // indexes into kLines
};

const std::vector<std::string>& Lines() {
  static const std::vector<std::string> lines = {
      Line(R"("GET /index ERROR 500")"),  // 0
      Line(R"("all good")", "ERROR"),     // 1: ERROR outside the log field
      Line(R"("error: lower case")"),     // 2
      Line(R"("say \"ERROR\" quoted")"),  // 3
      Line(R"("multi\nline ERROR")"),     // 4
      "not json at all ERROR",            // 5: invalid line, matched as a whole
      Line("null"),                       // 6
      Line(R"("Timeout after 30s")"),     // 7
      Line(R"("n is \\n not newline")"),  // 8: a literal backslash-n in the text
  };
  return lines;
}

std::string Text() {
  std::string t;
  for (const auto& l : Lines()) t += l + "\n";
  return t;
}

TEST(LineMatcher, DataDrivenCases) {
  auto lit = [](std::string p) { return GrepPattern{p}; };
  std::vector<Case> cases = {
      {lit("ERROR"), {0, 3, 4, 5}},
      {GrepPattern{"ERROR", false, false, false, MatchField::kLine}, {0, 1, 3, 4, 5}},
      {GrepPattern{"error", false, true}, {0, 2, 3, 4, 5}},
      {GrepPattern{"ERROR", false, false, true}, {1, 2, 6, 7, 8}},
      {lit("\"ERROR\""), {3}},  // escaped in storage: the line-by-line path
      {lit("multi\nline"), {4}},
      {lit("\\n"), {8}},
      {GrepPattern{"^multi", true}, {4}},
      {GrepPattern{"time(out)? after [0-9]+s", true, true}, {7}},
      {GrepPattern{"abc\"", true, false, false, MatchField::kLine}, {0, 2, 3, 4, 6, 7, 8}},
      {GrepPattern{R"(abcERROR")", false, false, false, MatchField::kLine}, {1}},
      {lit(""), {0, 1, 2, 3, 4, 5, 6, 7, 8}},
      {lit("nothing like it"), {}},
  };
  std::string text = Text();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern.pattern + (c.pattern.regex ? " (regex)" : "") +
                 (c.pattern.ignore_case ? " -i" : "") + (c.pattern.invert ? " -v" : ""));
    auto m = LineMatcher::Create(c.pattern);
    ASSERT_TRUE(m.ok());
    std::vector<std::string> want;
    for (int i : c.expected) want.push_back(Lines()[i]);
    EXPECT_EQ(SelectAll(**m, text), want);
    std::vector<std::string> one_by_one;
    for (const auto& l : Lines()) {
      if ((*m)->Matches(l)) one_by_one.push_back(l);
    }
    EXPECT_EQ(one_by_one, want);
  }
}

TEST(LineMatcher, BufferSearchOnlyForPlainLiterals) {
  EXPECT_TRUE((*LineMatcher::Create({"ERROR"}))->buffer_search());
  EXPECT_TRUE((*LineMatcher::Create({"ERROR", false, true}))->buffer_search());
  EXPECT_FALSE((*LineMatcher::Create({"a\"b"}))->buffer_search());
  EXPECT_FALSE((*LineMatcher::Create({"ERROR", false, false, true}))->buffer_search());
  EXPECT_FALSE((*LineMatcher::Create({"ERROR", true}))->buffer_search());
}

TEST(LineMatcher, RejectsBadRegex) {
  auto m = LineMatcher::Create({"a(b", true});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("a(b"), std::string::npos);
}

TEST(LineMatcher, LastLineWithoutNewline) {
  auto m = *LineMatcher::Create({"x"});
  std::string text = Line(R"("x1")") + "\n" + Line(R"("x2")");
  EXPECT_EQ(SelectAll(*m, text).size(), 2u);
}

// The buffer path against the line-by-line path on random lines.
TEST(LineMatcher, BufferSearchAgreesWithLineByLine) {
  std::mt19937 rng(7);
  const char alphabet[] = "abcERORerro \\\"n";
  std::string text;
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) {
    std::string log;
    int n = static_cast<int>(rng() % 20);
    for (int k = 0; k < n; ++k) {
      char c = alphabet[rng() % (sizeof(alphabet) - 1)];
      if (c == '\\' || c == '"') log += '\\';
      log += c;
    }
    lines.push_back(Line("\"" + log + "\"", (rng() % 5 == 0) ? "ERR" : ""));
    text += lines.back() + "\n";
  }
  for (GrepPattern p : {GrepPattern{"ERR"}, GrepPattern{"er", false, true}, GrepPattern{"n"},
                        GrepPattern{"abc", false, false, false, MatchField::kLine}}) {
    auto m = *LineMatcher::Create(p);
    ASSERT_TRUE(m->buffer_search());
    std::vector<std::string> want;
    for (const auto& l : lines) {
      if (m->Matches(l)) want.push_back(l);
    }
    EXPECT_EQ(SelectAll(*m, text), want) << p.pattern;
  }
}

}  // namespace
}  // namespace steady::search
