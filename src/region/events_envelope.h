// The shape of what EventBridge delivers: the event envelope, and the InputPath subset of
// JSONPath that picks a part of it for a target.
//
// Thread safety: values; InputPath is immutable once parsed.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace steady::region {

// {"version":"0","id","detail-type","source","account","time","region","resources","detail"}
// in EventBridge's field order (the order consumers see in the SQS body).
nlohmann::ordered_json EventEnvelope(const std::string& id, const std::string& detail_type,
                                     const std::string& source, const std::string& account,
                                     const std::string& time, const std::string& region,
                                     nlohmann::ordered_json resources,
                                     nlohmann::ordered_json detail);

// "$", "$.detail", "$.detail.instance-id", "$['detail-type']", "$.resources[0]": dotted names
// (anything but '.' and '['), quoted names in brackets and array indexes.
class InputPath {
 public:
  // nullopt if `path` is not of that form.
  static std::optional<InputPath> Parse(std::string_view path);
  // The part of `event` the path names, or nullptr if there is none.
  const nlohmann::ordered_json* Select(const nlohmann::ordered_json& event) const;

 private:
  struct Step {
    std::string key;
    int index = -1;  // >= 0: an array index instead of a key
  };
  std::vector<Step> steps_;
};

}  // namespace steady::region
