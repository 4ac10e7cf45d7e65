#include "logs/log_record.h"

#include <gtest/gtest.h>

#include <cmath>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace steady::logs {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;
using ordered_json = nlohmann::ordered_json;

std::string Str(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

// A record from string key/value pairs, in order.
std::string MapOf(const std::vector<std::pair<std::string, std::string>>& kv) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_map(static_cast<uint32_t>(kv.size()));
  for (const auto& [k, v] : kv) {
    pk.pack(k);
    pk.pack(v);
  }
  return Str(b);
}

std::string EncodeOk(const RecordEncoder& enc, std::string_view record, Route* route,
                     std::string_view tag = "docker.abc", EventTime t = {1543366923, 123456789}) {
  std::string line;
  Status s = enc.Encode(tag, t, record, route, &line);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(line.empty());
  if (!line.empty()) {
    EXPECT_EQ(line.back(), '\n');
  }
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  return line;
}

std::vector<std::string> Keys(const ordered_json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

const std::vector<std::string> kFixed = {"time",         "log",       "source",
                                         "container_id", "task_id",   "task_arn",
                                         "family",       "container", "cluster"};

TEST(RecordEncoder, DockerLabels) {
  RecordEncoder enc;
  std::string record = MapOf({
      {"container_id", "0123abcd"},
      {"container_name", "/ecs-web-1-api-e4f5"},
      {"source", "stdout"},
      {"log", "GET /health 200"},
      {"com.amazonaws.ecs.cluster", "prod"},
      {"com.amazonaws.ecs.container-name", "api"},
      {"com.amazonaws.ecs.task-arn", "arn:aws:ecs:us-east-1:123456789012:task/prod/abc123"},
      {"com.amazonaws.ecs.task-definition-family", "web"},
      {"extra", "x"},
  });
  Route route;
  std::string line = EncodeOk(enc, record, &route);
  EXPECT_EQ(route, (Route{"web", "api", false}));
  ordered_json j = ordered_json::parse(line);
  std::vector<std::string> want_keys = kFixed;
  want_keys.push_back("container_name");  // Docker's own name is not the ECS one: kept
  want_keys.push_back("extra");
  EXPECT_EQ(Keys(j), want_keys);
  EXPECT_EQ(j["time"], "2018-11-28T01:02:03.123456789Z");
  EXPECT_EQ(j["log"], "GET /health 200");
  EXPECT_EQ(j["source"], "stdout");
  EXPECT_EQ(j["container_id"], "0123abcd");
  EXPECT_EQ(j["task_id"], "abc123");
  EXPECT_EQ(j["task_arn"], "arn:aws:ecs:us-east-1:123456789012:task/prod/abc123");
  EXPECT_EQ(j["family"], "web");
  EXPECT_EQ(j["container"], "api");
  EXPECT_EQ(j["cluster"], "prod");
  EXPECT_EQ(j["container_name"], "/ecs-web-1-api-e4f5");
  EXPECT_EQ(j["extra"], "x");
  // The exact bytes of the fixed prefix.
  EXPECT_EQ(line.substr(0, 68),
            "{\"time\":\"2018-11-28T01:02:03.123456789Z\",\"log\":\"GET /health 200\",\"so");
}

TEST(RecordEncoder, FireLens) {
  RecordEncoder enc;
  std::string record = MapOf({
      {"source", "stderr"},
      {"log", "boom"},
      {"container_id", "feed"},
      {"container_name", "worker"},
      {"ecs_cluster", "batch"},
      {"ecs_task_arn", "arn:aws:ecs:eu-west-1:1:task/batch/ffff0000"},
      {"ecs_task_definition", "jobs:42"},
      {"level", "error"},
  });
  Route route;
  std::string line = EncodeOk(enc, record, &route, "firelens-tag");
  EXPECT_EQ(route, (Route{"jobs", "worker", false}));
  ordered_json j = ordered_json::parse(line);
  std::vector<std::string> want_keys = kFixed;
  want_keys.push_back("level");
  EXPECT_EQ(Keys(j), want_keys);
  EXPECT_EQ(j["family"], "jobs");
  EXPECT_EQ(j["container"], "worker");
  EXPECT_EQ(j["cluster"], "batch");
  EXPECT_EQ(j["task_id"], "ffff0000");
  EXPECT_EQ(j["log"], "boom");
}

TEST(RecordEncoder, FallbackRoute) {
  RecordEncoder enc(RecordEncoderOptions{"unrouted logs", 64});
  std::string record = MapOf({{"log", "plain"}, {"container_name", "/x"}, {"source", "stdout"}});
  Route route;
  std::string line = EncodeOk(enc, record, &route, "docker/../x y");
  EXPECT_EQ(route, (Route{"unrouted_logs", "docker_.._x_y", true}));
  ordered_json j = ordered_json::parse(line);
  std::vector<std::string> want_keys = kFixed;
  want_keys.push_back("container_name");
  EXPECT_EQ(Keys(j), want_keys);
  for (const char* k : {"container_id", "task_id", "task_arn", "family", "container", "cluster"}) {
    EXPECT_TRUE(j[k].is_null()) << k;
  }
  // A label family without a container name is not a route either; the family is still kept.
  std::string half = MapOf({{"com.amazonaws.ecs.task-definition-family", "web"}});
  line = EncodeOk(enc, half, &route, "t");
  EXPECT_TRUE(route.fallback);
  EXPECT_EQ(route.family, "unrouted_logs");
  EXPECT_EQ(ordered_json::parse(line)["family"], "web");
  // Empty record.
  line = EncodeOk(enc, "\x80", &route, "");
  EXPECT_EQ(route, (Route{"unrouted_logs", "_", true}));
  EXPECT_EQ(Keys(ordered_json::parse(line)), kFixed);
}

TEST(RecordEncoder, RouteIsSanitized) {
  RecordEncoder enc;
  Route route;
  EncodeOk(enc,
           MapOf({{"com.amazonaws.ecs.task-definition-family", "my fam/ily\xff"},
                  {"com.amazonaws.ecs.container-name", ".."}}),
           &route);
  EXPECT_EQ(route, (Route{"my_fam_ily_", "_", false}));
}

TEST(RecordEncoder, SanitizeKeySegment) {
  EXPECT_EQ(SanitizeKeySegment("web-api_1.2"), "web-api_1.2");
  EXPECT_EQ(SanitizeKeySegment("a/b c:d"), "a_b_c_d");
  EXPECT_EQ(SanitizeKeySegment(""), "_");
  EXPECT_EQ(SanitizeKeySegment("."), "_");
  EXPECT_EQ(SanitizeKeySegment(".."), "_");
  EXPECT_EQ(SanitizeKeySegment("..."), "...");
  EXPECT_EQ(SanitizeKeySegment("\xc3\xa9"), "__");
  EXPECT_EQ(SanitizeKeySegment(std::string(300, 'a')), std::string(255, 'a'));
}

TEST(RecordEncoder, Rfc3339Nanos) {
  auto fmt = [](int64_t s, uint32_t ns) {
    std::string out;
    AppendRfc3339Nanos({s, ns}, &out);
    return out;
  };
  EXPECT_EQ(fmt(0, 0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(fmt(1543366923, 1), "2018-11-28T01:02:03.000000001Z");
  EXPECT_EQ(fmt(1543366923, 123456789), "2018-11-28T01:02:03.123456789Z");
  EXPECT_EQ(fmt(-1, 500000000), "1969-12-31T23:59:59.500000000Z");
  EXPECT_EQ(fmt(1709164800, 0), "2024-02-29T00:00:00.000000000Z");
  EXPECT_EQ(fmt(951782400, 999999999), "2000-02-29T00:00:00.999999999Z");
  EXPECT_EQ(fmt(253402300799, 0), "9999-12-31T23:59:59.000000000Z");
  EXPECT_EQ(fmt(0, 1500000000), "1970-01-01T00:00:01.500000000Z");  // nanos normalized
}

TEST(RecordEncoder, EscapingAndInvalidUtf8) {
  RecordEncoder enc;
  struct Case {
    std::string in, want_json;
  };
  std::vector<Case> cases = {
      {"plain", "\"plain\""},
      {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
      {"\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\""},
      {"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"a\xff"
       "b",
       "\"a\xef\xbf\xbd"
       "b\""},
      {"\xe2\x82"
       "a",
       "\"\xef\xbf\xbd"
       "a\""},  // truncated sequence: one U+FFFD
      {"\xf0\x80\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},  // overlong
      {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},                  // surrogate
      {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
      {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
      {"end\xe2", "\"end\xef\xbf\xbd\""},
      {std::string("nul\0in", 6), "\"nul\\u0000in\""},
      {"0123456789abcdef\"0123456789abcdef\xc3",
       "\"0123456789abcdef\\\"0123456789abcdef\xef\xbf\xbd\""},
  };
  for (const Case& c : cases) {
    std::string rec = MapOf({{"log", c.in}});
    Route route;
    std::string line = EncodeOk(enc, rec, &route);
    size_t at = line.find("\"log\":") + 6;
    size_t end = line.find(",\"source\":");
    EXPECT_EQ(line.substr(at, end - at), c.want_json) << c.in;
    ordered_json parsed;
    EXPECT_NO_THROW(parsed = ordered_json::parse(line)) << line;
  }
}

TEST(RecordEncoder, TypesAndNonStringKeys) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_map(12);
  pk.pack(std::string("i"));
  pk.pack(int64_t{-9223372036854775807 - 1});
  pk.pack(std::string("u"));
  pk.pack(uint64_t{18446744073709551615u});
  pk.pack(std::string("f"));
  pk.pack(0.1);
  pk.pack(std::string("f32"));
  pk.pack_float(0.5f);
  pk.pack(std::string("nan"));
  pk.pack(std::nan(""));
  pk.pack(std::string("inf"));
  pk.pack(-INFINITY);
  pk.pack(std::string("bin"));
  pk.pack_bin(3);
  pk.pack_bin_body("a\x00z", 3);
  pk.pack(std::string("ext"));
  pk.pack_ext(2, 5);
  pk.pack_ext_body("xy", 2);
  pk.pack(42);  // int key
  pk.pack(true);
  pk.pack_nil();  // nil key
  pk.pack(false);
  pk.pack_array(1);  // array key
  pk.pack(std::string("k\""));
  pk.pack_array(0);
  pk.pack(std::string("nested"));
  pk.pack_map(1);
  pk.pack(-3);
  pk.pack_array(2);
  pk.pack_nil();
  pk.pack_map(0);
  RecordEncoder enc;
  Route route;
  std::string line = EncodeOk(enc, Str(b), &route);
  ordered_json j = ordered_json::parse(line);
  EXPECT_EQ(j["i"], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(j["u"], std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(j["f"], 0.1);
  EXPECT_EQ(j["f32"], 0.5);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_TRUE(j["inf"].is_null());
  EXPECT_EQ(j["bin"], std::string("a\0z", 3));
  EXPECT_TRUE(j["ext"].is_null());
  EXPECT_EQ(j["42"], true);
  EXPECT_EQ(j["null"], false);
  EXPECT_EQ(j["[\"k\\\"\"]"], ordered_json::array());
  EXPECT_EQ(j["nested"], ordered_json::parse(R"({"-3":[null,{}]})"));
  std::vector<std::string> want = kFixed;
  for (const char* k :
       {"i", "u", "f", "f32", "nan", "inf", "bin", "ext", "42", "null", "[\"k\\\"\"]", "nested"}) {
    want.push_back(k);
  }
  EXPECT_EQ(Keys(j), want);
}

TEST(RecordEncoder, NestedContainerKeysDoNotBlowUp) {
  // {{[1]: 2}: 3}: the inner key is raw text inside the outer key's string.
  std::string record = std::string("\x81\x81\x91\x01\x02\x03", 6);
  RecordEncoder enc;
  Route route;
  ordered_json j = ordered_json::parse(EncodeOk(enc, record, &route));
  EXPECT_EQ(j["{[1]:2}"], 3) << j.dump();
  // Map keys that are maps whose keys are maps..., 60 deep: escaping each level again would
  // double the size per level.
  std::string deep;
  for (int i = 0; i < 60; ++i) deep += "\x81";  // map of one pair whose key is the next map
  deep += "\xa1\"";                             // innermost key: the string "\""
  for (int i = 0; i < 60; ++i) deep += "\x01";  // each value
  std::string rec = "\x81" + deep + "\x01";
  std::string line;
  ASSERT_TRUE(enc.Encode("t", {0, 0}, rec, &route, &line).ok());
  EXPECT_LT(line.size(), 64 * rec.size() + 512);
  EXPECT_NO_THROW((void)ordered_json::parse(line).size());
}

TEST(RecordEncoder, NonStringFixedFieldsAreKept) {
  msgpack::sbuffer b;
  Packer pk(b);
  pk.pack_map(3);
  pk.pack(std::string("log"));
  pk.pack_map(1);
  pk.pack(std::string("msg"));
  pk.pack(std::string("structured"));
  pk.pack(std::string("com.amazonaws.ecs.task-arn"));
  pk.pack(7);
  pk.pack(std::string("ecs_cluster"));
  pk.pack_nil();
  RecordEncoder enc;
  Route route;
  ordered_json j = ordered_json::parse(EncodeOk(enc, Str(b), &route));
  EXPECT_EQ(j["log"], ordered_json::parse(R"({"msg":"structured"})"));
  EXPECT_EQ(j["task_arn"], 7);
  EXPECT_TRUE(j["task_id"].is_null());
  EXPECT_TRUE(j["cluster"].is_null());
  EXPECT_TRUE(route.fallback);
}

TEST(RecordEncoder, MalformedRecordsAppendNothing) {
  RecordEncoder enc(RecordEncoderOptions{"_unrouted", 4});
  std::vector<std::string> bad = {
      "",
      "\x90",  // array
      "\xa3"
      "abc",            // string
      "\x81\xa1k",      // value missing
      "\x82\xa1k\x01",  // pair missing
      "\x81\xa1k\xdb\x00\x00\x10\x00"
      "ab",                                            // string past the end
      "\x81\xa1k\x01\x01",                             // trailing byte
      "\x81\xa1k\xc1",                                 // never-used byte
      "\xdf\xff\xff\xff\xff\x01",                      // huge count
      "\x81\xa1k\x81\xa1k\x81\xa1k\x81\xa1k\x80",      // 5 deep, limit 4
      std::string("\x81\x91\x91\x91\x91\x90\x01", 7),  // deep key
  };
  for (const std::string& rec : bad) {
    std::string line = "kept";
    Route route;
    Status s = enc.Encode("t", {1, 0}, rec, &route, &line);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << testing::PrintToString(rec);
    EXPECT_EQ(line, "kept");
  }
  std::string line;
  Route route;
  EXPECT_TRUE(enc.Encode("t", {1, 0}, "\x81\xa1k\x81\xa1k\x81\xa1k\x80", &route, &line).ok());
}

TEST(RecordEncoder, AppendsToExistingLines) {
  RecordEncoder enc;
  Route route;
  std::string lines;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(enc.Encode("t", {i, 0}, MapOf({{"log", std::to_string(i)}}), &route, &lines).ok());
  }
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3);
  EXPECT_EQ(lines.rfind("{\"time\":\"1970-01-01T00:00:02.000000000Z\",\"log\":\"2\"", 0),
            std::string::npos);
  EXPECT_NE(lines.find("{\"time\":\"1970-01-01T00:00:02.000000000Z\",\"log\":\"2\""),
            std::string::npos);
}

// --- random differential test: msgpack-cxx packs and decodes, ours transcodes ---

class RandomValue {
 public:
  explicit RandomValue(uint32_t seed) : rng_(seed) {}

  std::string RandomUtf8(size_t max_len) {
    std::string s;
    size_t n = Pick(max_len);
    for (size_t i = 0; i < n; ++i) {
      uint32_t cp;
      switch (Pick(6)) {
        case 0: cp = Pick(0x20); break;
        case 1: cp = "\"\\/"[Pick(3)]; break;
        case 2: cp = 0x80 + Pick(0x780); break;
        case 3:
          cp = 0x800 + Pick(0xd000);  // below the surrogates
          break;
        case 4: cp = 0x10000 + Pick(0x100000); break;
        default: cp = 0x20 + Pick(0x5f);
      }
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else if (cp < 0x800) {
        s += static_cast<char>(0xc0 | cp >> 6);
        s += static_cast<char>(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        s += static_cast<char>(0xe0 | cp >> 12);
        s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
      } else {
        s += static_cast<char>(0xf0 | cp >> 18);
        s += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
        s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
      }
    }
    return s;
  }

  void Pack(Packer& pk, int depth) {
    switch (Pick(depth > 0 ? 14 : 11)) {
      case 0: pk.pack_nil(); break;
      case 1: pk.pack(Pick(2) == 1); break;
      case 2: pk.pack(static_cast<uint64_t>(rng_()) << Pick(33)); break;
      case 3: pk.pack(-static_cast<int64_t>(rng_() >> Pick(32)) - 1); break;
      case 4: pk.pack(static_cast<int>(Pick(200)) - 100); break;
      case 5:
        pk.pack(std::ldexp(static_cast<double>(rng_()) - 2e9, static_cast<int>(Pick(80)) - 40));
        break;
      case 6: pk.pack_float(static_cast<float>(rng_()) / 7.0f); break;
      case 7:
      case 8: {
        std::string s = RandomUtf8(Pick(3) == 0 ? 300 : 40);
        pk.pack(s);
        break;
      }
      case 9: {
        std::string s = RandomUtf8(20);
        pk.pack_bin(static_cast<uint32_t>(s.size()));
        pk.pack_bin_body(s.data(), static_cast<uint32_t>(s.size()));
        break;
      }
      case 10: {
        uint32_t n = Pick(20);
        std::string body(n, 'e');
        pk.pack_ext(n, 3);
        pk.pack_ext_body(body.data(), n);
        break;
      }
      case 11: {
        uint32_t n = Pick(5);
        pk.pack_array(n);
        for (uint32_t i = 0; i < n; ++i) Pack(pk, depth - 1);
        break;
      }
      default: {
        uint32_t n = Pick(5);
        pk.pack_map(n);
        for (uint32_t i = 0; i < n; ++i) {
          if (Pick(4) == 0) {
            pk.pack(static_cast<int>(i) * 1000 - 7);
          } else {
            pk.pack("k" + std::to_string(i) + RandomUtf8(5));
          }
          Pack(pk, depth - 1);
        }
      }
    }
  }

  uint32_t Pick(size_t n) { return n == 0 ? 0 : static_cast<uint32_t>(rng_() % n); }

 private:
  std::mt19937 rng_;
};

// The reference: msgpack-cxx's object tree as JSON.
ordered_json ToJson(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
    case msgpack::type::EXT: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(o.via.f64)) return nullptr;
      return o.via.f64;
    case msgpack::type::STR: return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return std::string(o.via.bin.ptr, o.via.bin.size);
    case msgpack::type::ARRAY: {
      ordered_json a = ordered_json::array();
      for (uint32_t i = 0; i < o.via.array.size; ++i) a.push_back(ToJson(o.via.array.ptr[i]));
      return a;
    }
    case msgpack::type::MAP: {
      ordered_json m = ordered_json::object();
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object& k = o.via.map.ptr[i].key;
        std::string key = k.type == msgpack::type::STR ? std::string(k.via.str.ptr, k.via.str.size)
                                                       : ToJson(k).dump();
        m[key] = ToJson(o.via.map.ptr[i].val);
      }
      return m;
    }
  }
  return nullptr;
}

// Equal, with floats compared to float32 precision.
::testing::AssertionResult SameJson(const ordered_json& a, const ordered_json& b,
                                    const std::string& path = "$") {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) {
      double x = a.get<double>(), y = b.get<double>();
      if (x == y || std::fabs(x - y) <= 1e-6 * std::max(std::fabs(x), std::fabs(y))) {
        return ::testing::AssertionSuccess();
      }
    } else if (a == b) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << path << ": " << a.dump() << " vs " << b.dump();
  }
  if (a.type() != b.type()) {
    return ::testing::AssertionFailure() << path << ": " << a.dump() << " vs " << b.dump();
  }
  if (a.is_array() || a.is_object()) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << path << ": sizes differ";
    auto ia = a.begin();
    auto ib = b.begin();
    for (; ia != a.end(); ++ia, ++ib) {
      std::string p = path;
      if (a.is_object()) {
        if (ia.key() != ib.key()) {
          return ::testing::AssertionFailure()
                 << path << ": key " << ia.key() << " vs " << ib.key();
        }
        p += "." + ia.key();
      }
      auto r = SameJson(*ia, *ib, p);
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (a == b) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << path << ": " << a.dump() << " vs " << b.dump();
}

TEST(RecordEncoder, RandomDifferentialAgainstMsgpackCxx) {
  RandomValue gen(20261130);
  RecordEncoder enc;
  for (int iter = 0; iter < 3000; ++iter) {
    msgpack::sbuffer b;
    Packer pk(b);
    uint32_t n = gen.Pick(12);
    pk.pack_map(n);
    for (uint32_t i = 0; i < n; ++i) {
      pk.pack("f" + std::to_string(i));
      gen.Pack(pk, 4);
    }
    std::string record = Str(b);
    msgpack::object_handle oh = msgpack::unpack(record.data(), record.size());
    ordered_json want = ordered_json::object();
    want["time"] = "2018-11-28T01:02:03.123456789Z";
    for (size_t k = 1; k < kFixed.size(); ++k) want[kFixed[k]] = nullptr;
    ordered_json fields = ToJson(oh.get());
    for (auto& [k, v] : fields.items()) want[k] = v;

    Route route;
    std::string line = EncodeOk(enc, record, &route);
    ordered_json got;
    ASSERT_NO_THROW(got = ordered_json::parse(line)) << line;
    ASSERT_TRUE(SameJson(got, want)) << "iteration " << iter << "\n" << line;
    EXPECT_TRUE(route.fallback);
  }
}

}  // namespace
}  // namespace steady::logs
