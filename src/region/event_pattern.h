// EventBridge event patterns, as the EventBridge user guide documents them (and SNS filter
// policies, which share the syntax): a pattern is a JSON object whose fields name event fields;
// a field holds either a nested pattern (an object) or an array of alternatives (OR), each a
// literal (string, number, true, false, null) or a one-key operator object:
//
//   {"prefix": "us-"}, {"prefix": {"equals-ignore-case": "EventB"}}, {"suffix": ".png"},
//   {"equals-ignore-case": "x"}, {"wildcard": "a*/lib/*"}, {"numeric": [">", 0, "<=", 5]},
//   {"exists": true|false}, {"cidr": "10.0.0.0/24"},
//   {"anything-but": "x" | 5 | ["x", "y"] | [1, 2] | {"prefix": "p"} | {"suffix": "s"} |
//                    {"equals-ignore-case": "x" | [...]} | {"wildcard": "w" | [...]}}
//
// and "$or": [pattern, pattern, ...] at any object level ORs whole sub-patterns. Fields of one
// object are ANDed. An array in the event matches when any of its elements matches; objects
// inside an event array are matched one element at a time (so two fields never match across
// different elements). Every operator except exists and anything-but needs the field to be
// present; exists and the comparison operators apply to leaf values only. Case folding for
// equals-ignore-case is ASCII.
//
// Thread safety: a compiled EventPattern is immutable; Matches may run on any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string_view>

#include "base/status.h"

namespace steady::region {

class EventPattern {
 public:
  // Compiles pattern text. kInvalidArgument whose message is the reason, in EventBridge's words
  // ("Empty arrays are not allowed", "Unrecognized match type foo", ...), when the text is not
  // JSON or not a valid pattern.
  static Result<EventPattern> Parse(std::string_view pattern);
  static Result<EventPattern> Compile(const nlohmann::json& pattern);

  // Whether `event` (a JSON object; anything else matches as an empty event) matches.
  bool Matches(const nlohmann::json& event) const;

  struct Object;  // the compiled form (event_pattern.cc)

 private:
  explicit EventPattern(std::shared_ptr<const Object> root) : root_(std::move(root)) {}
  std::shared_ptr<const Object> root_;
};

}  // namespace steady::region
