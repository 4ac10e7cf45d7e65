#include "aws/events_client.h"

#include <nlohmann/json.hpp>

#include "aws/protocol_json.h"

namespace steady::aws {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "AWSEvents";

Result<json> Call(AwsTransport& t, std::string_view op, const json& body) {
  ASSIGN_OR_RETURN(net::HttpResponse resp,
                   t.Send(op, JsonRpcRequest(Protocol::kJson11, kTarget, op, body)));
  return ParseJsonBody(resp.body, op);
}

// Thrown by the readers below for an answer of the wrong shape; Decode turns it into a Status.
struct BadShape {
  std::string what;
};

// Runs `f`, which reads the answer with nlohmann's throwing accessors and the readers below: a
// member of the wrong type (or a missing one read with at()) is the peer's fault, so it
// becomes kDataLoss.
template <typename F>
auto Decode(std::string_view op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const json::exception& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what());
  } catch (const BadShape& e) {
    return DataLossError(std::string(op) + ": unexpected response shape: " + e.what);
  }
}

// A list of structures, absent or null → empty.
const json& Structs(const json& j, const char* name) {
  static const json kEmpty = json::array();
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return kEmpty;
  if (!it->is_array()) throw BadShape{std::string(name) + " is not a list"};
  for (const json& e : *it)
    if (!e.is_object()) throw BadShape{std::string(name) + " holds a " + e.type_name()};
  return *it;
}

// A string member, absent or null → "".
std::string Str(const json& j, const char* name) {
  auto it = j.find(name);
  return it == j.end() || it->is_null() ? std::string() : it->get<std::string>();
}

// Sets body[name] = value unless the value is empty (the APIs treat absent and empty alike,
// and botocore sends only what the caller set).
void Put(json& body, const char* name, const std::string& value) {
  if (!value.empty()) body[name] = value;
}

EventRule RuleFrom(const json& j) {
  EventRule r;
  r.name = Str(j, "Name");
  r.arn = Str(j, "Arn");
  r.event_pattern = Str(j, "EventPattern");
  r.schedule_expression = Str(j, "ScheduleExpression");
  r.state = Str(j, "State");
  r.description = Str(j, "Description");
  r.role_arn = Str(j, "RoleArn");
  r.event_bus_name = Str(j, "EventBusName");
  r.created_by = Str(j, "CreatedBy");
  return r;
}

Result<TargetsResult> TargetsResultFrom(std::string_view op, const json& out) {
  return Decode(op, [&]() -> Result<TargetsResult> {
    TargetsResult r;
    r.failed_entry_count = out.value("FailedEntryCount", 0);
    for (const json& f : Structs(out, "FailedEntries"))
      r.failed_entries.push_back({Str(f, "TargetId"), Str(f, "ErrorCode"), Str(f, "ErrorMessage")});
    return r;
  });
}

// awsJson timestamps are epoch seconds: whole seconds as an integer, else rounded to the
// millisecond.
json EpochSeconds(Time t) {
  int64_t ms = std::chrono::round<milliseconds>(t.time_since_epoch()).count();
  if (ms % 1000 == 0) return ms / 1000;
  return static_cast<double>(ms) / 1000.0;
}

}  // namespace

ServiceInfo EventsService() { return {"EventBridge", "events", "events", Protocol::kJson11}; }

Result<std::string> EventsClient::PutRule(const PutRuleRequest& request) {
  json body = {{"Name", request.name}};
  Put(body, "ScheduleExpression", request.schedule_expression);
  Put(body, "EventPattern", request.event_pattern);
  Put(body, "State", request.state);
  Put(body, "Description", request.description);
  Put(body, "RoleArn", request.role_arn);
  if (!request.tags.empty()) {
    json tags = json::array();
    for (const auto& t : request.tags) tags.push_back({{"Key", t.key}, {"Value", t.value}});
    body["Tags"] = std::move(tags);
  }
  Put(body, "EventBusName", request.event_bus_name);
  ASSIGN_OR_RETURN(json out, Call(transport_, "PutRule", body));
  return Decode("PutRule", [&]() -> Result<std::string> {
    std::string arn = Str(out, "RuleArn");
    if (arn.empty()) return DataLossError("PutRule: unexpected response shape: no RuleArn");
    return arn;
  });
}

Result<EventRule> EventsClient::DescribeRule(const std::string& name,
                                             const std::string& event_bus_name) {
  json body = {{"Name", name}};
  Put(body, "EventBusName", event_bus_name);
  ASSIGN_OR_RETURN(json out, Call(transport_, "DescribeRule", body));
  return Decode("DescribeRule", [&]() -> Result<EventRule> {
    EventRule r = RuleFrom(out);
    if (r.name.empty() || r.arn.empty())
      return DataLossError("DescribeRule: unexpected response shape: no Name or Arn");
    return r;
  });
}

Result<ListRulesResult> EventsClient::ListRules(const ListRulesRequest& request) {
  json body = json::object();
  Put(body, "NamePrefix", request.name_prefix);
  Put(body, "EventBusName", request.event_bus_name);
  Put(body, "NextToken", request.next_token);
  if (request.limit) body["Limit"] = *request.limit;
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListRules", body));
  return Decode("ListRules", [&]() -> Result<ListRulesResult> {
    ListRulesResult r;
    for (const json& rule : Structs(out, "Rules")) r.rules.push_back(RuleFrom(rule));
    r.next_token = Str(out, "NextToken");
    return r;
  });
}

Status EventsClient::DeleteRule(const std::string& name, const std::string& event_bus_name,
                                bool force) {
  json body = {{"Name", name}};
  Put(body, "EventBusName", event_bus_name);
  if (force) body["Force"] = true;
  return Call(transport_, "DeleteRule", body).status();
}

Status EventsClient::EnableRule(const std::string& name, const std::string& event_bus_name) {
  json body = {{"Name", name}};
  Put(body, "EventBusName", event_bus_name);
  return Call(transport_, "EnableRule", body).status();
}

Status EventsClient::DisableRule(const std::string& name, const std::string& event_bus_name) {
  json body = {{"Name", name}};
  Put(body, "EventBusName", event_bus_name);
  return Call(transport_, "DisableRule", body).status();
}

Result<TargetsResult> EventsClient::PutTargets(const std::string& rule,
                                               const std::string& event_bus_name,
                                               const std::vector<EventTarget>& targets) {
  json list = json::array();
  for (const auto& t : targets) {
    json j = {{"Id", t.id}, {"Arn", t.arn}};
    Put(j, "RoleArn", t.role_arn);
    Put(j, "Input", t.input);
    Put(j, "InputPath", t.input_path);
    list.push_back(std::move(j));
  }
  json body = {{"Rule", rule}, {"Targets", std::move(list)}};
  Put(body, "EventBusName", event_bus_name);
  ASSIGN_OR_RETURN(json out, Call(transport_, "PutTargets", body));
  return TargetsResultFrom("PutTargets", out);
}

Result<TargetsResult> EventsClient::RemoveTargets(const std::string& rule,
                                                  const std::string& event_bus_name,
                                                  const std::vector<std::string>& ids, bool force) {
  json body = {{"Rule", rule}, {"Ids", ids}};
  Put(body, "EventBusName", event_bus_name);
  if (force) body["Force"] = true;
  ASSIGN_OR_RETURN(json out, Call(transport_, "RemoveTargets", body));
  return TargetsResultFrom("RemoveTargets", out);
}

Result<ListTargetsByRuleResult> EventsClient::ListTargetsByRule(const std::string& rule,
                                                                const std::string& event_bus_name,
                                                                const std::string& next_token,
                                                                std::optional<int> limit) {
  json body = {{"Rule", rule}};
  Put(body, "EventBusName", event_bus_name);
  Put(body, "NextToken", next_token);
  if (limit) body["Limit"] = *limit;
  ASSIGN_OR_RETURN(json out, Call(transport_, "ListTargetsByRule", body));
  return Decode("ListTargetsByRule", [&]() -> Result<ListTargetsByRuleResult> {
    ListTargetsByRuleResult r;
    for (const json& t : Structs(out, "Targets")) {
      EventTarget target{Str(t, "Id"), Str(t, "Arn"), Str(t, "RoleArn"), Str(t, "Input"),
                         Str(t, "InputPath")};
      if (target.id.empty() || target.arn.empty())
        return DataLossError(
            "ListTargetsByRule: unexpected response shape: a target without Id "
            "or Arn");
      r.targets.push_back(std::move(target));
    }
    r.next_token = Str(out, "NextToken");
    return r;
  });
}

Result<PutEventsResult> EventsClient::PutEvents(const std::vector<PutEventsRequestEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json j = json::object();
    if (e.time) j["Time"] = EpochSeconds(*e.time);
    Put(j, "Source", e.source);
    if (!e.resources.empty()) j["Resources"] = e.resources;
    Put(j, "DetailType", e.detail_type);
    Put(j, "Detail", e.detail);
    Put(j, "EventBusName", e.event_bus_name);
    Put(j, "TraceHeader", e.trace_header);
    list.push_back(std::move(j));
  }
  ASSIGN_OR_RETURN(json out, Call(transport_, "PutEvents", {{"Entries", std::move(list)}}));
  return Decode("PutEvents", [&]() -> Result<PutEventsResult> {
    PutEventsResult r;
    r.failed_entry_count = out.value("FailedEntryCount", 0);
    int failed = 0;
    for (const json& e : Structs(out, "Entries")) {
      PutEventsResultEntry entry{Str(e, "EventId"), Str(e, "ErrorCode"), Str(e, "ErrorMessage")};
      if (entry.event_id.empty() && entry.error_code.empty())
        return DataLossError(
            "PutEvents: unexpected response shape: an entry with neither "
            "EventId nor ErrorCode");
      if (!entry.error_code.empty()) ++failed;
      r.entries.push_back(std::move(entry));
    }
    // Callers pair results with their entries by position; a count that does not add up
    // would pin an event id (or an error) on the wrong event.
    if (r.entries.size() != entries.size())
      return DataLossError("PutEvents: " + std::to_string(r.entries.size()) +
                           " result entries for " + std::to_string(entries.size()) + " events");
    if (failed != r.failed_entry_count)
      return DataLossError("PutEvents: FailedEntryCount " + std::to_string(r.failed_entry_count) +
                           " but " + std::to_string(failed) + " entries failed");
    return r;
  });
}

Result<bool> EventsClient::TestEventPattern(const std::string& event_pattern,
                                            const std::string& event) {
  ASSIGN_OR_RETURN(json out, Call(transport_, "TestEventPattern",
                                  {{"EventPattern", event_pattern}, {"Event", event}}));
  return Decode("TestEventPattern", [&]() -> Result<bool> { return out.at("Result").get<bool>(); });
}

}  // namespace steady::aws
