#include "region/events_envelope.h"

#include <nlohmann/json.hpp>

namespace steady::region {

using nlohmann::ordered_json;

ordered_json EventEnvelope(const std::string& id, const std::string& detail_type,
                           const std::string& source, const std::string& account,
                           const std::string& time, const std::string& region,
                           ordered_json resources, ordered_json detail) {
  ordered_json e;
  e["version"] = "0";
  e["id"] = id;
  e["detail-type"] = detail_type;
  e["source"] = source;
  e["account"] = account;
  e["time"] = time;
  e["region"] = region;
  e["resources"] = std::move(resources);
  e["detail"] = std::move(detail);
  return e;
}

std::optional<InputPath> InputPath::Parse(std::string_view p) {
  if (p.empty() || p[0] != '$') return std::nullopt;
  InputPath out;
  size_t i = 1;
  while (i < p.size()) {
    if (p[i] == '.') {
      size_t end = p.find_first_of(".[", i + 1);
      if (end == std::string_view::npos) end = p.size();
      if (end == i + 1) return std::nullopt;
      out.steps_.push_back({std::string(p.substr(i + 1, end - i - 1))});
      i = end;
    } else if (p[i] == '[') {
      size_t close = p.find(']', i);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view inner = p.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner.back() == inner[0]) {
        out.steps_.push_back({std::string(inner.substr(1, inner.size() - 2))});
      } else {
        if (inner.empty() || inner.size() > 9) return std::nullopt;
        int n = 0;
        for (char c : inner) {
          if (c < '0' || c > '9') return std::nullopt;
          n = n * 10 + (c - '0');
        }
        out.steps_.push_back({"", n});
      }
      i = close + 1;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

const ordered_json* InputPath::Select(const ordered_json& event) const {
  const ordered_json* cur = &event;
  for (const Step& s : steps_) {
    if (s.index >= 0) {
      if (!cur->is_array() || static_cast<size_t>(s.index) >= cur->size()) return nullptr;
      cur = &(*cur)[s.index];
    } else {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(s.key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    }
  }
  return cur;
}

}  // namespace steady::region
