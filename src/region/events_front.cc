#include "region/events_front.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "base/time_format.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";

struct BadRequest {
  WireError error;
};

// Smithy's wording for a missing member; `member` is the wire name with a lower-case first
// letter, as EventBridge reports it.
BadRequest MissingMember(std::string member) {
  member[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(member[0])));
  return {{400, "ValidationException",
           "1 validation error detected: Value null at '" + member +
               "' failed to satisfy constraint: Member must not be null",
           true}};
}

BadRequest WrongType(const std::string& member, const char* expected) {
  return {
      {400, "SerializationException", "Value for " + member + " is not " + expected + ".", true}};
}

std::string Str(const json& in, const char* name, bool required = false) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) {
    if (required) throw MissingMember(name);
    return "";
  }
  if (!it->is_string()) throw WrongType(name, "a string");
  return it->get<std::string>();
}

std::optional<int> OptInt(const json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw WrongType(name, "an integer");
  int64_t v = it->get<int64_t>();
  if (v < INT32_MIN || v > INT32_MAX) throw WrongType(name, "a 32-bit integer");
  return static_cast<int>(v);
}

bool Bool(const json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return false;
  if (!it->is_boolean()) throw WrongType(name, "a boolean");
  return it->get<bool>();
}

const json& List(const json& in, const char* name, bool required = false) {
  static const json kEmpty = json::array();
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) {
    if (required) throw MissingMember(name);
    return kEmpty;
  }
  if (!it->is_array()) throw WrongType(name, "a list");
  return *it;
}

const json& Object(const json& v, const char* what) {
  if (!v.is_object()) throw WrongType(what, "a structure");
  return v;
}

std::vector<std::string> StrList(const json& in, const char* name, bool required = false) {
  std::vector<std::string> out;
  for (const json& v : List(in, name, required)) {
    if (!v.is_string()) throw WrongType(name, "a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// awsJson timestamps are epoch seconds (botocore's default); ISO 8601 text is accepted too.
std::optional<Time> OptTime(const json& in, const char* name) {
  auto it = in.find(name);
  if (it == in.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) {
    double s = it->get<double>();
    if (!std::isfinite(s) || std::fabs(s) > 1e11) throw WrongType(name, "a valid timestamp");
    return FromUnixNanos(static_cast<int64_t>(std::llround(s * 1e9)));
  }
  if (it->is_string()) {
    auto t = ParseRfc3339(it->get<std::string>());
    if (!t.ok()) throw WrongType(name, "a valid timestamp");
    return *t;
  }
  throw WrongType(name, "a timestamp");
}

json RuleJson(const aws::EventRule& r) {
  json j = {
      {"Name", r.name}, {"Arn", r.arn}, {"State", r.state}, {"EventBusName", r.event_bus_name}};
  if (!r.event_pattern.empty()) j["EventPattern"] = r.event_pattern;
  if (!r.schedule_expression.empty()) j["ScheduleExpression"] = r.schedule_expression;
  if (!r.description.empty()) j["Description"] = r.description;
  if (!r.role_arn.empty()) j["RoleArn"] = r.role_arn;
  return j;
}

json TargetsResultJson(const aws::TargetsResult& r) {
  json failed = json::array();
  for (const auto& f : r.failed_entries)
    failed.push_back({{"TargetId", f.target_id},
                      {"ErrorCode", f.error_code},
                      {"ErrorMessage", f.error_message}});
  return {{"FailedEntryCount", r.failed_entry_count}, {"FailedEntries", failed}};
}

net::HttpResponse Error(const WireError& e, const std::string& request_id) {
  // EventBridge sends the bare shape name in __type (botocore also accepts "ns#Name").
  json body = {{"__type", e.code}, {"message", e.message}};
  net::HttpResponse r = JsonResponse(body, request_id, kContentType);
  r.status = e.http_status;
  return r;
}

}  // namespace

std::unique_ptr<ServiceFront> EventsModel::MakeFront() {
  return std::make_unique<EventsFront>(*this);
}

net::HttpResponse EventsFront::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return Error(error, request.request_id);
}

void EventsFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  const std::string& rid = request.request_id;
  auto error = [&](const WireError& e) { respond(Error(e, rid)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    error({p.http_status, p.code, p.message, p.sender_fault});
  };
  auto answer = [&](const json& body) { respond(JsonResponse(body, rid, kContentType)); };

  if (request.wire != "json")
    return error({400, "UnknownOperationException",
                  "EventBridge speaks only the awsJson 1.1 protocol.", true});
  json in;
  try {
    in = json::parse(request.http.body.empty() ? "{}" : request.http.body);
  } catch (const json::exception&) {
    return error({400, "SerializationException", "The request body is not valid JSON.", true});
  }
  if (!in.is_object())
    return error({400, "SerializationException", "The request body is not a JSON object.", true});

  try {
    if (op == "PutRule") {
      aws::PutRuleRequest req;
      req.name = Str(in, "Name", true);
      req.event_pattern = Str(in, "EventPattern");
      req.schedule_expression = Str(in, "ScheduleExpression");
      req.state = Str(in, "State");
      req.description = Str(in, "Description");
      req.role_arn = Str(in, "RoleArn");
      req.event_bus_name = Str(in, "EventBusName");
      for (const json& t : List(in, "Tags")) {
        Object(t, "Tags");
        req.tags.push_back({Str(t, "Key", true), Str(t, "Value", true)});
      }
      auto arn = model_.PutRule(req);
      if (!arn.ok()) return fail(arn.status());
      return answer({{"RuleArn", *arn}});
    }
    if (op == "DescribeRule") {
      auto r = model_.DescribeRule(Str(in, "Name", true), Str(in, "EventBusName"));
      if (!r.ok()) return fail(r.status());
      json out = RuleJson(*r);
      out["CreatedBy"] = r->created_by;
      return answer(out);
    }
    if (op == "ListRules") {
      aws::ListRulesRequest req{Str(in, "NamePrefix"), Str(in, "EventBusName"),
                                Str(in, "NextToken"), OptInt(in, "Limit")};
      auto r = model_.ListRules(req);
      if (!r.ok()) return fail(r.status());
      json rules = json::array();
      for (const auto& rule : r->rules) rules.push_back(RuleJson(rule));
      json out = {{"Rules", rules}};
      if (!r->next_token.empty()) out["NextToken"] = r->next_token;
      return answer(out);
    }
    if (op == "DeleteRule") {
      Status s =
          model_.DeleteRule(Str(in, "Name", true), Str(in, "EventBusName"), Bool(in, "Force"));
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "EnableRule" || op == "DisableRule") {
      std::string name = Str(in, "Name", true), bus = Str(in, "EventBusName");
      Status s = op == "EnableRule" ? model_.EnableRule(name, bus) : model_.DisableRule(name, bus);
      if (!s.ok()) return fail(s);
      return answer(json::object());
    }
    if (op == "PutTargets") {
      std::vector<aws::EventTarget> targets;
      std::string rule = Str(in, "Rule", true);
      for (const json& t : List(in, "Targets", true)) {
        Object(t, "Targets");
        targets.push_back({Str(t, "Id", true), Str(t, "Arn", true), Str(t, "RoleArn"),
                           Str(t, "Input"), Str(t, "InputPath")});
      }
      auto r = model_.PutTargets(rule, Str(in, "EventBusName"), targets);
      if (!r.ok()) return fail(r.status());
      return answer(TargetsResultJson(*r));
    }
    if (op == "RemoveTargets") {
      std::string rule = Str(in, "Rule", true);
      auto r = model_.RemoveTargets(rule, Str(in, "EventBusName"), StrList(in, "Ids", true),
                                    Bool(in, "Force"));
      if (!r.ok()) return fail(r.status());
      return answer(TargetsResultJson(*r));
    }
    if (op == "ListTargetsByRule") {
      std::string rule = Str(in, "Rule", true);
      auto r = model_.ListTargetsByRule(rule, Str(in, "EventBusName"), Str(in, "NextToken"),
                                        OptInt(in, "Limit"));
      if (!r.ok()) return fail(r.status());
      json targets = json::array();
      for (const auto& t : r->targets) {
        json j = {{"Id", t.id}, {"Arn", t.arn}};
        if (!t.role_arn.empty()) j["RoleArn"] = t.role_arn;
        if (!t.input.empty()) j["Input"] = t.input;
        if (!t.input_path.empty()) j["InputPath"] = t.input_path;
        targets.push_back(j);
      }
      json out = {{"Targets", targets}};
      if (!r->next_token.empty()) out["NextToken"] = r->next_token;
      return answer(out);
    }
    if (op == "PutEvents") {
      std::vector<aws::PutEventsRequestEntry> entries;
      for (const json& e : List(in, "Entries", true)) {
        Object(e, "Entries");
        aws::PutEventsRequestEntry entry;
        entry.time = OptTime(e, "Time");
        entry.source = Str(e, "Source");
        entry.resources = StrList(e, "Resources");
        entry.detail_type = Str(e, "DetailType");
        entry.detail = Str(e, "Detail");
        entry.event_bus_name = Str(e, "EventBusName");
        entry.trace_header = Str(e, "TraceHeader");
        entries.push_back(std::move(entry));
      }
      auto r = model_.PutEvents(entries);
      if (!r.ok()) return fail(r.status());
      json results = json::array();
      for (const auto& e : r->entries) {
        if (e.error_code.empty())
          results.push_back({{"EventId", e.event_id}});
        else
          results.push_back({{"ErrorCode", e.error_code}, {"ErrorMessage", e.error_message}});
      }
      return answer({{"FailedEntryCount", r->failed_entry_count}, {"Entries", results}});
    }
    if (op == "TestEventPattern") {
      auto r = model_.TestEventPattern(Str(in, "EventPattern", true), Str(in, "Event", true));
      if (!r.ok()) return fail(r.status());
      return answer({{"Result", *r}});
    }
  } catch (const BadRequest& b) {
    return error(b.error);
  }
  error({400, "UnknownOperationException", "Unknown operation " + op, true});
}

}  // namespace steady::region
