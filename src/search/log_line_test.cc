#include "search/log_line.h"

#include <gtest/gtest.h>

namespace steady::search {
namespace {

TEST(FindJsonField, FindsStringsAndOtherValues) {
  std::string_view line =
      R"({"time":"2018-11-28T10:00:00.000000001Z","log":"a \"b\"","n":12,"o":{"x":[1,"}"]},"z":null})";
  JsonField f = FindJsonField(line, "log");
  EXPECT_EQ(f.kind, JsonField::Kind::kString);
  EXPECT_EQ(f.raw, R"(a \"b\")");
  EXPECT_EQ(FindJsonField(line, "n").raw, "12");
  EXPECT_EQ(FindJsonField(line, "o").raw, R"({"x":[1,"}"]})");
  EXPECT_EQ(FindJsonField(line, "z").kind, JsonField::Kind::kOther);
  EXPECT_EQ(FindJsonField(line, "missing").kind, JsonField::Kind::kMissing);
}

TEST(FindJsonField, RejectsWhatIsNotAnObject) {
  for (std::string_view bad : {"", "not json", "[1,2]", R"({"log")", R"({"a":"unterminated)",
                               R"({"a":1 "log":"x"})", R"({log:"x"})"}) {
    EXPECT_EQ(FindJsonField(bad, "log").kind, JsonField::Kind::kInvalid) << bad;
  }
  EXPECT_EQ(FindJsonField("{}", "log").kind, JsonField::Kind::kMissing);
  EXPECT_EQ(FindJsonField(R"( { "log" : "x" } )", "log").raw, "x");
}

TEST(DecodeJsonString, DecodesEscapes) {
  std::string out;
  ASSERT_TRUE(DecodeJsonString(R"(a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001)", &out));
  EXPECT_EQ(out, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80\x01");
  out.clear();
  ASSERT_TRUE(DecodeJsonString(R"(\ud800x)", &out));  // lone surrogate
  EXPECT_EQ(out, "\xef\xbf\xbdx");
  out.clear();
  EXPECT_FALSE(DecodeJsonString(R"(bad\q)", &out));
  out.clear();
  EXPECT_FALSE(DecodeJsonString(R"(\u12)", &out));
  out.clear();
  EXPECT_FALSE(DecodeJsonString("trailing\\", &out));
}

TEST(LogText, ReturnsTheDecodedLogOrTheLine) {
  std::string scratch;
  bool valid;
  EXPECT_EQ(LogText(R"({"time":"t","log":"plain"})", &scratch, &valid), "plain");
  EXPECT_TRUE(valid);
  EXPECT_EQ(LogText(R"({"time":"t","log":"two\nlines"})", &scratch, &valid), "two\nlines");
  EXPECT_TRUE(valid);
  EXPECT_EQ(LogText(R"({"time":"t","log":null})", &scratch, &valid), "");
  EXPECT_TRUE(valid);
  EXPECT_EQ(LogText("garbage", &scratch, &valid), "garbage");
  EXPECT_FALSE(valid);
  EXPECT_EQ(LogText(R"({"time":"t","log":5})", &scratch, &valid), R"({"time":"t","log":5})");
  EXPECT_FALSE(valid);
}

TEST(LineTime, ReadsTheTimeField) {
  EXPECT_EQ(LineTime(R"({"time":"2018-11-28T10:00:00.000000001Z","log":"x"})"),
            "2018-11-28T10:00:00.000000001Z");
  EXPECT_EQ(LineTime(R"({"log":"x", "time":"2018"})"), "2018");
  EXPECT_EQ(LineTime("garbage"), "");
}

}  // namespace
}  // namespace steady::search
