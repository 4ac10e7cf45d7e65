#include "region/cloudwatch_wire.h"

#include <zlib.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace steady::region {

using nlohmann::json;

namespace {

constexpr int kMaxCborDepth = 64;

// Copies one CBOR data item from `in` at `pos` to `out`, leaving out tag heads, and checks its
// structure. nlohmann's reader (3.11) refuses tags 0-5 outright, and tag 1 is how RPC v2 CBOR
// sends every timestamp; the walk also bounds nesting, which the recursive reader does not.
Status CopyWithoutTags(std::string_view in, size_t& pos, std::string& out, int depth,
                       bool allow_break = false) {
  if (depth > kMaxCborDepth) return InvalidArgumentError("CBOR nested too deeply");
  if (pos >= in.size()) return InvalidArgumentError("truncated CBOR");
  const size_t start = pos;
  const uint8_t initial = static_cast<uint8_t>(in[pos++]);
  const int major = initial >> 5;
  const int info = initial & 0x1f;
  if (initial == 0xff) {
    if (!allow_break) return InvalidArgumentError("unexpected CBOR break");
    out += static_cast<char>(initial);
    return Status::Ok();
  }
  uint64_t arg = info;
  if (info >= 24 && info <= 27) {
    const size_t n = size_t{1} << (info - 24);
    if (in.size() - pos < n) return InvalidArgumentError("truncated CBOR");
    arg = 0;
    for (size_t i = 0; i < n; ++i) arg = (arg << 8) | static_cast<uint8_t>(in[pos++]);
  } else if (info >= 28 && !(info == 31 && major >= 2 && major != 6)) {
    return InvalidArgumentError("invalid CBOR additional information");
  }
  const bool indefinite = info == 31;
  switch (major) {
    case 0:
    case 1: break;
    case 2:
    case 3:
      if (indefinite) {
        out.append(in.substr(start, pos - start));
        while (true) {
          if (pos >= in.size()) return InvalidArgumentError("truncated CBOR");
          if (static_cast<uint8_t>(in[pos]) == 0xff) break;
          if ((static_cast<uint8_t>(in[pos]) >> 5) != major)
            return InvalidArgumentError("bad CBOR string chunk");
          RETURN_IF_ERROR(CopyWithoutTags(in, pos, out, depth + 1));
        }
        out += in[pos++];
        return Status::Ok();
      }
      if (in.size() - pos < arg) return InvalidArgumentError("truncated CBOR");
      pos += arg;
      break;
    case 4:
    case 5: {
      out.append(in.substr(start, pos - start));
      if (indefinite) {
        while (true) {
          if (pos >= in.size()) return InvalidArgumentError("truncated CBOR");
          if (static_cast<uint8_t>(in[pos]) == 0xff) break;
          RETURN_IF_ERROR(CopyWithoutTags(in, pos, out, depth + 1));
          if (major == 5) RETURN_IF_ERROR(CopyWithoutTags(in, pos, out, depth + 1));
        }
        out += in[pos++];
        return Status::Ok();
      }
      // Each item takes at least a byte: a count beyond what is left is malformed.
      const uint64_t items = major == 5 ? arg * 2 : arg;
      if (arg > in.size() || items > in.size() - pos) return InvalidArgumentError("truncated CBOR");
      for (uint64_t i = 0; i < items; ++i)
        RETURN_IF_ERROR(CopyWithoutTags(in, pos, out, depth + 1));
      return Status::Ok();
    }
    case 6:  // a tag: keep only the item it tags
      return CopyWithoutTags(in, pos, out, depth + 1);
    case 7: break;
  }
  out.append(in.substr(start, pos - start));
  return Status::Ok();
}

}  // namespace

Result<json> DecodeRpcV2Cbor(std::string_view body) {
  if (body.empty()) return json::object();
  std::string untagged;
  size_t pos = 0;
  RETURN_IF_ERROR(CopyWithoutTags(body, pos, untagged, 0));
  if (pos != body.size()) return InvalidArgumentError("trailing bytes after the CBOR body");
  json out;
  try {
    out = json::from_cbor(untagged, /*strict=*/true, /*allow_exceptions=*/false,
                          json::cbor_tag_handler_t::ignore);
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("malformed CBOR: ") + e.what());
  }
  if (out.is_discarded()) return InvalidArgumentError("malformed CBOR body");
  if (!out.is_object()) return InvalidArgumentError("the CBOR body is not a map");
  return out;
}

namespace {

// CBOR item head: major type in the top three bits, then the argument in the shortest form.
void Head(std::string& out, uint8_t major, uint64_t arg) {
  const uint8_t m = static_cast<uint8_t>(major << 5);
  auto be = [&](int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((arg >> (8 * i)) & 0xff);
  };
  if (arg < 24) {
    out += static_cast<char>(m | arg);
  } else if (arg <= 0xff) {
    out += static_cast<char>(m | 24);
    be(1);
  } else if (arg <= 0xffff) {
    out += static_cast<char>(m | 25);
    be(2);
  } else if (arg <= 0xffffffffULL) {
    out += static_cast<char>(m | 26);
    be(4);
  } else {
    out += static_cast<char>(m | 27);
    be(8);
  }
}

void Encode(std::string& out, const json& v, bool timestamp,
            const std::set<std::string, std::less<>>& ts_members) {
  if (timestamp && v.is_number()) Head(out, 6, 1);  // tag 1: epoch-based date/time
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded: out += static_cast<char>(0xf6); break;
    case json::value_t::boolean: out += static_cast<char>(v.get<bool>() ? 0xf5 : 0xf4); break;
    case json::value_t::number_unsigned: Head(out, 0, v.get<uint64_t>()); break;
    case json::value_t::number_integer: {
      const int64_t i = v.get<int64_t>();
      if (i >= 0)
        Head(out, 0, static_cast<uint64_t>(i));
      else
        Head(out, 1, static_cast<uint64_t>(-1 - i));
      break;
    }
    case json::value_t::number_float: {
      const double d = v.get<double>();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      out += static_cast<char>(0xfb);
      for (int i = 7; i >= 0; --i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
      break;
    }
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      Head(out, 3, s.size());
      out += s;
      break;
    }
    case json::value_t::binary: {
      const auto& b = v.get_binary();
      Head(out, 2, b.size());
      out.append(b.begin(), b.end());
      break;
    }
    case json::value_t::array:
      Head(out, 4, v.size());
      for (const json& e : v) Encode(out, e, timestamp, ts_members);
      break;
    case json::value_t::object:
      Head(out, 5, v.size());
      for (const auto& [k, e] : v.items()) {
        Head(out, 3, k.size());
        out += k;
        Encode(out, e, ts_members.count(k) > 0, ts_members);
      }
      break;
  }
}

// A query form key tree before lists are put in index order.
struct FormNode {
  std::optional<std::string> leaf;
  std::map<std::string, FormNode> fields;
  std::map<int, FormNode> members;                       // "member.N"
  std::map<int, std::pair<FormNode, FormNode>> entries;  // "entry.N.key" / "entry.N.value"
};

std::vector<std::string_view> SplitDots(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? s.npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool ParseIndex(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= 1;
}

Status Insert(FormNode& node, const std::vector<std::string_view>& parts, size_t i,
              const std::string& key, const std::string& value) {
  if (i == parts.size()) {
    if (!node.fields.empty() || !node.members.empty() || !node.entries.empty())
      return InvalidArgumentError("form key " + key + " is both a value and a structure");
    node.leaf = value;
    return Status::Ok();
  }
  if (node.leaf)
    return InvalidArgumentError("form key " + key + " is both a value and a structure");
  if (parts[i] == "member" && i + 1 < parts.size()) {
    int n;
    if (!ParseIndex(parts[i + 1], n)) return InvalidArgumentError("bad list index in " + key);
    return Insert(node.members[n], parts, i + 2, key, value);
  }
  if (parts[i] == "entry" && i + 2 < parts.size()) {
    int n;
    if (!ParseIndex(parts[i + 1], n)) return InvalidArgumentError("bad map index in " + key);
    auto& kv = node.entries[n];
    if (parts[i + 2] == "key") return Insert(kv.first, parts, i + 3, key, value);
    if (parts[i + 2] == "value") return Insert(kv.second, parts, i + 3, key, value);
    return InvalidArgumentError("bad map entry in " + key);
  }
  if (parts[i].empty()) return InvalidArgumentError("empty name in form key " + key);
  return Insert(node.fields[std::string(parts[i])], parts, i + 1, key, value);
}

json ToJson(const FormNode& n) {
  if (n.leaf) return *n.leaf;
  if (!n.members.empty()) {
    json a = json::array();
    for (const auto& [i, m] : n.members) a.push_back(ToJson(m));
    return a;
  }
  json o = json::object();
  for (const auto& [i, kv] : n.entries)
    if (kv.first.leaf) o[*kv.first.leaf] = ToJson(kv.second);
  for (const auto& [k, f] : n.fields) o[k] = ToJson(f);
  return o;
}

}  // namespace

std::string EncodeRpcV2Cbor(const json& value,
                            const std::set<std::string, std::less<>>& timestamp_members) {
  std::string out;
  Encode(out, value, false, timestamp_members);
  return out;
}

Result<json> QueryFormToJson(const FormParams& form) {
  FormNode root;
  for (const auto& [k, v] : form) {
    if (k == "Action" || k == "Version") continue;
    RETURN_IF_ERROR(Insert(root, SplitDots(k), 0, k, v));
  }
  return ToJson(root);
}

Result<std::string> Gunzip(std::string_view data, size_t max_bytes) {
  z_stream zs{};
  // 15 window bits + 32: detect gzip or zlib headers.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return InternalError("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) return InvalidArgumentError("malformed gzip body");
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes)
      return ResourceExhaustedError("the body inflates beyond " + std::to_string(max_bytes) +
                                    " bytes");
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)
      return InvalidArgumentError("truncated gzip body");
  }
  return out;
}

}  // namespace steady::region
