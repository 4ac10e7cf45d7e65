#include "region/event_pattern.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace steady::region {

using nlohmann::json;

namespace {

// Patterns are at most 4 KiB in EventBridge, so this only stops pathological inputs from
// recursing deep into the stack.
constexpr int kMaxDepth = 64;
// EventBridge compares numbers within ±5.0e9 (the user guide's "numeric matching" limits).
constexpr double kNumericLimit = 5.0e9;

const char* const kOperators[] = {"prefix",   "suffix", "anything-but",
                                  "numeric",  "exists", "equals-ignore-case",
                                  "wildcard", "cidr"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// A wildcard value split at its unescaped '*': segments[0] is the literal before the first
// star, segments.back() the literal after the last one.
struct Wildcard {
  std::vector<std::string> segments;

  bool Matches(std::string_view s) const {
    if (segments.size() == 1) return s == segments[0];
    const std::string& first = segments.front();
    const std::string& last = segments.back();
    if (s.size() < first.size() + last.size()) return false;
    if (!StartsWith(s, first) || !EndsWith(s, last)) return false;
    // Stars match anything, so taking each middle literal at its earliest place is optimal:
    // linear in the value per segment, no backtracking.
    size_t pos = first.size();
    size_t end = s.size() - last.size();
    for (size_t i = 1; i + 1 < segments.size(); ++i) {
      size_t at = s.substr(0, end).find(segments[i], pos);
      if (at == std::string_view::npos) return false;
      pos = at + segments[i].size();
    }
    return pos <= end;
  }
};

struct Cidr {
  int family = AF_INET;
  std::array<unsigned char, 16> addr{};
  int bits = 0;

  bool Matches(const std::string& s) const {
    std::array<unsigned char, 16> ip{};
    if (s.find('\0') != std::string::npos) return false;  // inet_pton would stop at it
    if (inet_pton(family, s.c_str(), ip.data()) != 1) return false;
    int full = bits / 8, rest = bits % 8;
    if (std::memcmp(ip.data(), addr.data(), full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (ip[full] & mask) == (addr[full] & mask);
  }
};

struct Range {
  bool has_low = false, low_open = false, has_high = false, high_open = false;
  double low = 0, high = 0;

  bool Contains(double v) const {
    if (has_low && (low_open ? !(v > low) : !(v >= low))) return false;
    if (has_high && (high_open ? !(v < high) : !(v <= high))) return false;
    return true;
  }
};

struct Matcher {
  enum Kind {
    kString,
    kNumber,
    kNull,
    kBool,
    kPrefix,
    kSuffix,
    kEqualsIgnoreCase,
    kWildcard,
    kNumeric,
    kExists,
    kCidr,
    kAnythingBut,
  };
  Kind kind = kString;
  bool ignore_case = false;  // kPrefix, kSuffix: `text` is lower-cased
  bool flag = false;         // kBool's value, kExists's value
  std::string text;          // kString, kPrefix, kSuffix, kEqualsIgnoreCase (lower-cased)
  double number = 0;         // kNumber
  Range range;
  Wildcard wildcard;
  Cidr cidr;
  std::vector<Matcher> excluded;  // kAnythingBut

  // Whether the leaf (non-object, non-array) `v` matches. kExists is handled by the caller.
  bool MatchesLeaf(const json& v) const {
    switch (kind) {
      case kString: return v.is_string() && v.get_ref<const std::string&>() == text;
      case kNumber: return v.is_number() && v.get<double>() == number;
      case kNull: return v.is_null();
      case kBool: return v.is_boolean() && v.get<bool>() == flag;
      case kPrefix:
        if (!v.is_string()) return false;
        return ignore_case ? StartsWith(Lower(v.get_ref<const std::string&>()), text)
                           : StartsWith(v.get_ref<const std::string&>(), text);
      case kSuffix:
        if (!v.is_string()) return false;
        return ignore_case ? EndsWith(Lower(v.get_ref<const std::string&>()), text)
                           : EndsWith(v.get_ref<const std::string&>(), text);
      case kEqualsIgnoreCase:
        return v.is_string() && Lower(v.get_ref<const std::string&>()) == text;
      case kWildcard: return v.is_string() && wildcard.Matches(v.get_ref<const std::string&>());
      case kNumeric: return v.is_number() && range.Contains(v.get<double>());
      case kCidr: return v.is_string() && cidr.Matches(v.get_ref<const std::string&>());
      case kAnythingBut:
        for (const Matcher& m : excluded)
          if (m.MatchesLeaf(v)) return false;
        return true;
      case kExists: return false;
    }
    return false;
  }
};

// Thrown only inside this file while compiling, and caught in Compile.
struct PatternError {
  std::string reason;
};

[[noreturn]] void Fail(std::string reason) { throw PatternError{std::move(reason)}; }

// Leaf values under an event field: the value itself, or the leaves of an array (nested arrays
// flattened), skipping objects. Iterative, so a deeply nested event array cannot overflow.
void CollectLeaves(const json* v, std::vector<const json*>& leaves,
                   std::vector<const json*>* objects) {
  if (!v) return;
  std::vector<const json*> stack{v};
  while (!stack.empty()) {
    const json* cur = stack.back();
    stack.pop_back();
    if (cur->is_array()) {
      for (auto it = cur->rbegin(); it != cur->rend(); ++it) stack.push_back(&*it);
    } else if (cur->is_object()) {
      if (objects) objects->push_back(cur);
    } else {
      leaves.push_back(cur);
    }
  }
}

}  // namespace

struct EventPattern::Object {
  struct Field {
    std::string name;
    std::unique_ptr<Object> nested;  // set for a nested pattern
    std::vector<Matcher> matchers;   // otherwise: the alternatives
  };
  std::vector<Field> fields;
  std::vector<std::vector<std::unique_ptr<Object>>> ors;  // each: "$or" alternatives

  bool Matches(const json* obj) const;
};

namespace {

std::string RequireString(const json& v, const std::string& what) {
  if (!v.is_string()) Fail(what + " match pattern must be a string");
  return v.get<std::string>();
}

Wildcard CompileWildcard(const std::string& text) {
  Wildcard w;
  std::string cur;
  bool last_star = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 < text.size() && (text[i + 1] == '*' || text[i + 1] == '\\')) {
        cur += text[++i];
        last_star = false;
        continue;
      }
      Fail("Invalid escape character at pos " + std::to_string(i));
    }
    if (c == '*') {
      if (last_star) Fail("Consecutive wildcard characters at pos " + std::to_string(i));
      w.segments.push_back(std::move(cur));
      cur.clear();
      last_star = true;
      continue;
    }
    cur += c;
    last_star = false;
  }
  w.segments.push_back(std::move(cur));
  return w;
}

Cidr CompileCidr(const std::string& text) {
  Cidr c;
  size_t slash = text.find('/');
  if (slash == std::string::npos) Fail("Malformed CIDR, one '/' required");
  std::string ip = text.substr(0, slash), bits = text.substr(slash + 1);
  if (ip.find('\0') != std::string::npos) Fail("Malformed CIDR, invalid IP address");
  c.family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
  int max_bits = c.family == AF_INET ? 32 : 128;
  if (inet_pton(c.family, ip.c_str(), c.addr.data()) != 1)
    Fail("Malformed CIDR, invalid IP address " + ip);
  if (bits.empty() || bits.size() > 3) Fail("Malformed CIDR, invalid prefix length " + bits);
  int n = 0;
  for (char ch : bits) {
    if (ch < '0' || ch > '9') Fail("Malformed CIDR, invalid prefix length " + bits);
    n = n * 10 + (ch - '0');
  }
  if (n > max_bits) Fail("Malformed CIDR, invalid prefix length " + bits);
  c.bits = n;
  return c;
}

double NumericValue(const json& v, const std::string& op) {
  if (!v.is_number()) Fail("Value of " + op + " must be numeric");
  double d = v.get<double>();
  if (d < -kNumericLimit || d > kNumericLimit)
    Fail("Value of " + op + " must be between -5.0E9 and 5.0E9 inclusive");
  return d;
}

Range CompileNumeric(const json& v) {
  if (!v.is_array()) Fail("Value of numeric must be an array.");
  if (v.empty() || !v[0].is_string())
    Fail("Invalid member in numeric match: " + (v.empty() ? std::string("]") : v[0].dump()));
  Range r;
  const std::string op = v[0].get<std::string>();
  if (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=")
    Fail("Unrecognized numeric range operator: " + op);
  if (v.size() < 2) Fail("Value of " + op + " must be numeric");
  double first = NumericValue(v[1], op);
  if (op == "=") {
    if (v.size() != 2) Fail("Too many elements in numeric expression");
    r.has_low = r.has_high = true;
    r.low = r.high = first;
    return r;
  }
  if (op == "<" || op == "<=") {
    if (v.size() != 2) Fail("Too many elements in numeric expression");
    r.has_high = true;
    r.high_open = op == "<";
    r.high = first;
    return r;
  }
  r.has_low = true;
  r.low_open = op == ">";
  r.low = first;
  if (v.size() == 2) return r;
  if (!v[2].is_string()) Fail("Bad value in numeric range: " + v[2].dump());
  const std::string top_op = v[2].get<std::string>();
  if (top_op != "<" && top_op != "<=") Fail("Bad numeric range operator: " + top_op);
  if (v.size() < 4) Fail("Value of " + top_op + " must be numeric");
  double top = NumericValue(v[3], top_op);
  if (v.size() != 4) Fail("Too many terms in numeric range expression");
  if (!(first < top)) Fail("Bottom must be less than top");
  r.has_high = true;
  r.high_open = top_op == "<";
  r.high = top;
  return r;
}

// A prefix/suffix value: a string or {"equals-ignore-case": string}.
void CompileAffix(Matcher& m, const json& v, const std::string& op) {
  if (v.is_object()) {
    if (v.size() != 1 || !v.contains("equals-ignore-case"))
      Fail("Unsupported " + op + " pattern: only equals-ignore-case may be nested in it");
    m.ignore_case = true;
    m.text = Lower(RequireString(v["equals-ignore-case"], op + "/equals-ignore-case"));
    return;
  }
  m.text = RequireString(v, op);
}

Matcher CompileAnythingBut(const json& v) {
  Matcher m;
  m.kind = Matcher::kAnythingBut;
  auto literal = [](const json& x) {
    Matcher e;
    if (x.is_string()) {
      e.kind = Matcher::kString;
      e.text = x.get<std::string>();
    } else {
      e.kind = Matcher::kNumber;
      e.number = x.get<double>();
    }
    return e;
  };
  if (v.is_string() || v.is_number()) {
    m.excluded.push_back(literal(v));
    return m;
  }
  if (v.is_array()) {
    bool strings = false, numbers = false;
    for (const json& x : v) {
      if (x.is_string())
        strings = true;
      else if (x.is_number())
        numbers = true;
      else
        Fail("Inside anything but list, start|null|boolean is not supported.");
      m.excluded.push_back(literal(x));
    }
    if (strings == numbers)
      Fail(
          "Inside anything but list, either all values are number or string, mixed type is "
          "not supported");
    return m;
  }
  if (!v.is_object()) Fail("Value of anything-but must be an array or single string/number value.");
  if (v.empty()) Fail("Anything-But expression name not found");
  if (v.size() != 1) Fail("Only one key allowed in match expression");
  const std::string op = v.begin().key();
  const json& arg = v.begin().value();
  if (op == "prefix" || op == "suffix") {
    Matcher e;
    e.kind = op == "prefix" ? Matcher::kPrefix : Matcher::kSuffix;
    e.text = RequireString(arg, "prefix/suffix");
    if (e.text.empty()) Fail("Null prefix/suffix not allowed");
    m.excluded.push_back(std::move(e));
    return m;
  }
  if (op == "equals-ignore-case" || op == "wildcard") {
    std::vector<const json*> values;
    if (arg.is_array()) {
      if (arg.empty()) Fail("Empty arrays are not allowed");
      for (const json& x : arg) values.push_back(&x);
    } else {
      values.push_back(&arg);
    }
    for (const json* x : values) {
      if (!x->is_string())
        Fail("Inside anything-but/" + op + " list, number|start|null|boolean is not supported.");
      Matcher e;
      if (op == "wildcard") {
        e.kind = Matcher::kWildcard;
        e.wildcard = CompileWildcard(x->get<std::string>());
      } else {
        e.kind = Matcher::kEqualsIgnoreCase;
        e.text = Lower(x->get<std::string>());
      }
      m.excluded.push_back(std::move(e));
    }
    return m;
  }
  Fail("Unsupported anything-but pattern: " + op);
}

Matcher CompileOperator(const json& expr) {
  if (expr.empty()) Fail("Match expression name not found");
  if (expr.size() != 1) Fail("Only one key allowed in match expression");
  const std::string op = expr.begin().key();
  const json& v = expr.begin().value();
  Matcher m;
  if (op == "prefix" || op == "suffix") {
    m.kind = op == "prefix" ? Matcher::kPrefix : Matcher::kSuffix;
    CompileAffix(m, v, op);
  } else if (op == "equals-ignore-case") {
    m.kind = Matcher::kEqualsIgnoreCase;
    m.text = Lower(RequireString(v, op));
  } else if (op == "wildcard") {
    m.kind = Matcher::kWildcard;
    m.wildcard = CompileWildcard(RequireString(v, op));
  } else if (op == "numeric") {
    m.kind = Matcher::kNumeric;
    m.range = CompileNumeric(v);
  } else if (op == "exists") {
    if (!v.is_boolean()) Fail("exists match pattern must be either true or false.");
    m.kind = Matcher::kExists;
    m.flag = v.get<bool>();
  } else if (op == "cidr") {
    m.kind = Matcher::kCidr;
    m.cidr = CompileCidr(RequireString(v, op));
  } else if (op == "anything-but") {
    m = CompileAnythingBut(v);
  } else {
    Fail("Unrecognized match type " + op);
  }
  return m;
}

std::vector<Matcher> CompileValues(const json& values) {
  if (values.empty()) Fail("Empty arrays are not allowed");
  std::vector<Matcher> out;
  for (const json& v : values) {
    Matcher m;
    if (v.is_string()) {
      m.kind = Matcher::kString;
      m.text = v.get<std::string>();
    } else if (v.is_number()) {
      m.kind = Matcher::kNumber;
      m.number = v.get<double>();
    } else if (v.is_null()) {
      m.kind = Matcher::kNull;
    } else if (v.is_boolean()) {
      m.kind = Matcher::kBool;
      m.flag = v.get<bool>();
    } else if (v.is_object()) {
      m = CompileOperator(v);
    } else {
      Fail("Match value must be String, number, true, false, or null");
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::unique_ptr<EventPattern::Object> CompileObject(const json& j, int depth, bool in_or) {
  if (depth > kMaxDepth) Fail("Pattern is nested too deeply");
  if (j.empty()) Fail("Empty objects are not allowed");
  auto obj = std::make_unique<EventPattern::Object>();
  for (const auto& [key, value] : j.items()) {
    if (key == "$or") {
      if (!value.is_array()) Fail("It must be an Array followed with $or.");
      std::vector<std::unique_ptr<EventPattern::Object>> alternatives;
      for (const json& alt : value) {
        if (!alt.is_object()) Fail("Only JSON object is allowed in array of $or relationship.");
        alternatives.push_back(CompileObject(alt, depth + 1, true));
      }
      if (alternatives.size() < 2) Fail("There must have at least 2 Objects in $or relationship.");
      obj->ors.push_back(std::move(alternatives));
      continue;
    }
    if (in_or)
      for (const char* op : kOperators)
        if (key == op) Fail(key + " is Ruler reserved fieldName which cannot be used inside $or.");
    EventPattern::Object::Field f;
    f.name = key;
    if (value.is_object())
      f.nested = CompileObject(value, depth + 1, in_or);
    else if (value.is_array())
      f.matchers = CompileValues(value);
    else
      Fail("\"" + key + "\" must be an object or an array");
    obj->fields.push_back(std::move(f));
  }
  return obj;
}

bool MatchesField(const std::vector<Matcher>& matchers, const json* value) {
  std::vector<const json*> leaves;
  CollectLeaves(value, leaves, nullptr);
  for (const Matcher& m : matchers) {
    if (m.kind == Matcher::kExists) {
      if (m.flag == !leaves.empty()) return true;
      continue;
    }
    for (const json* leaf : leaves)
      if (m.MatchesLeaf(*leaf)) return true;
  }
  return false;
}

}  // namespace

bool EventPattern::Object::Matches(const json* obj) const {
  for (const Field& f : fields) {
    const json* v = nullptr;
    if (obj) {
      auto it = obj->find(f.name);
      if (it != obj->end()) v = &*it;
    }
    bool ok;
    if (f.nested) {
      std::vector<const json*> leaves, objects;
      CollectLeaves(v, leaves, &objects);
      if (objects.empty()) {
        ok = f.nested->Matches(nullptr);
      } else {
        ok = false;
        for (const json* o : objects)
          if ((ok = f.nested->Matches(o))) break;
      }
    } else {
      ok = MatchesField(f.matchers, v);
    }
    if (!ok) return false;
  }
  for (const auto& alternatives : ors) {
    bool any = false;
    for (const auto& alt : alternatives)
      if ((any = alt->Matches(obj))) break;
    if (!any) return false;
  }
  return true;
}

Result<EventPattern> EventPattern::Parse(std::string_view pattern) {
  json j = json::parse(pattern, nullptr, false);
  if (j.is_discarded()) return InvalidArgumentError("Event pattern is not valid JSON");
  return Compile(j);
}

Result<EventPattern> EventPattern::Compile(const json& pattern) {
  if (!pattern.is_object()) return InvalidArgumentError("Filter is not an object");
  try {
    return EventPattern(CompileObject(pattern, 0, false));
  } catch (const PatternError& e) {
    return InvalidArgumentError(e.reason);
  }
}

bool EventPattern::Matches(const json& event) const {
  return root_->Matches(event.is_object() ? &event : nullptr);
}

}  // namespace steady::region
