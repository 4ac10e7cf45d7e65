#include "region/events_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <optional>
#include <set>

#include "base/base64.h"
#include "base/log.h"
#include "base/time_format.h"
#include "region/event_pattern.h"
#include "region/events_envelope.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr size_t kMaxRules = 300;  // per event bus
constexpr size_t kMaxTargetsPerRule = 5;
constexpr size_t kMaxPatternBytes = 4096;
constexpr size_t kMaxPutEventsBytes = 256 * 1024;
constexpr int kDefaultPage = 100;

Status Validation(std::string_view op, const std::string& message) {
  return ServiceError(op, "ValidationException", message);
}

// EventBridge's (smithy's) wording for a member that breaks its constraint.
Status Constraint(std::string_view op, const std::string& value, const std::string& member,
                  const std::string& constraint) {
  return Validation(op, "1 validation error detected: Value '" + value + "' at '" + member +
                            "' failed to satisfy constraint: Member must " + constraint);
}

// RuleName and TargetId: [\.\-_A-Za-z0-9]{1,64}.
bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

Status CheckRuleName(std::string_view op, const std::string& name, const char* member = "name") {
  if (name.empty())
    return Validation(op, std::string("1 validation error detected: Value null at '") + member +
                              "' failed to satisfy constraint: Member must not be null");
  if (!ValidName(name))
    return Constraint(op, name, member,
                      name.size() > 64 ? "have length less than or equal to 64"
                                       : "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  return Status::Ok();
}

bool IsSqsArn(const std::string& arn) {
  return arn.rfind("arn:", 0) == 0 && arn.find(":sqs:") != std::string::npos;
}

json TargetToJson(const aws::EventTarget& t) {
  return {{"Id", t.id},
          {"Arn", t.arn},
          {"RoleArn", t.role_arn},
          {"Input", t.input},
          {"InputPath", t.input_path}};
}

aws::EventTarget TargetFromJson(const json& j) {
  return {j.at("Id"), j.at("Arn"), j.value("RoleArn", ""), j.value("Input", ""),
          j.value("InputPath", "")};
}

}  // namespace

struct EventsModel::Rule {
  aws::EventRule info;
  std::optional<EventPattern> pattern;
  std::vector<aws::EventsTag> tags;
  std::map<std::string, aws::EventTarget> targets;  // by Id
};

struct EventsModel::Delivery {
  std::string rule, target_arn, body;
};

EventsModel::EventsModel(RegionContext& ctx, SqsModel& sqs) : ctx_(ctx), sqs_(sqs) {}
EventsModel::~EventsModel() = default;

EventsModel::Stats EventsModel::stats() const {
  return {events_.load(), matched_.load(), delivered_.load(), undelivered_.load()};
}

Status EventsModel::CheckBus(std::string_view op, const std::string& bus) const {
  // Only the default bus exists (CreateEventBus is not offered); it may be named by its ARN.
  if (bus.empty() || bus == "default" || bus == ctx_.Arn("events", "event-bus/default"))
    return Status::Ok();
  std::string name = bus.substr(bus.find_last_of('/') + 1);
  return ServiceError(op, "ResourceNotFoundException", "Event bus " + name + " does not exist.");
}

EventsModel::Rule* EventsModel::FindRuleLocked(const std::string& name) {
  auto it = rules_.find(name);
  return it == rules_.end() ? nullptr : it->second.get();
}

Status EventsModel::NoRule(std::string_view op, const std::string& name) const {
  return ServiceError(op, "ResourceNotFoundException",
                      "Rule " + name + " does not exist on EventBus default.");
}

uint64_t EventsModel::RecordLocked(json record) {
  record["s"] = "events";
  Status s = ApplyLocked(record);
  // Live records are built by this file from validated input; failing to apply one is a bug.
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status EventsModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

Status EventsModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    const std::string name = r.at("name");
    if (op == "rule") {
      auto& slot = rules_[name];
      if (!slot) slot = std::make_unique<Rule>();  // PutRule on a rule keeps its targets
      Rule& rule = *slot;
      rule.info.name = name;
      rule.info.arn = ctx_.Arn("events", "rule/" + name);
      rule.info.event_pattern = r.at("pattern");
      rule.info.schedule_expression = r.at("schedule");
      rule.info.state = r.at("state");
      rule.info.description = r.value("description", "");
      rule.info.role_arn = r.value("role", "");
      rule.info.event_bus_name = "default";
      rule.info.created_by = ctx_.account_id;
      rule.pattern.reset();
      if (!rule.info.event_pattern.empty()) {
        auto p = EventPattern::Parse(rule.info.event_pattern);
        if (!p.ok()) return DataLossError("events journal holds a bad pattern for rule " + name);
        rule.pattern = std::move(*p);
      }
      rule.tags.clear();
      for (const auto& kv : r.value("tags", json::array()))
        rule.tags.push_back({kv.at(0), kv.at(1)});
      return Status::Ok();
    }
    Rule* rule = FindRuleLocked(name);
    if (!rule) return DataLossError("events journal names unknown rule " + name);
    if (op == "delrule") {
      rules_.erase(name);
    } else if (op == "state") {
      rule->info.state = r.at("state");
    } else if (op == "targets") {
      for (const json& t : r.at("targets")) {
        aws::EventTarget target = TargetFromJson(t);
        rule->targets[target.id] = std::move(target);
      }
    } else if (op == "untargets") {
      for (const json& id : r.at("ids")) rule->targets.erase(id.get<std::string>());
    } else {
      return DataLossError("unknown events journal op " + op);
    }
  } catch (const json::exception& e) {
    return DataLossError(std::string("bad events journal record: ") + e.what());
  }
  return Status::Ok();
}

json EventsModel::Snapshot() const {
  // As records that replay to the same state, like SQS: one code path restores both.
  json records = json::array();
  for (const auto& [name, rule] : rules_) {
    json tags = json::array();
    for (const auto& t : rule->tags) tags.push_back({t.key, t.value});
    records.push_back({{"s", "events"},
                       {"op", "rule"},
                       {"name", name},
                       {"pattern", rule->info.event_pattern},
                       {"schedule", rule->info.schedule_expression},
                       {"state", rule->info.state},
                       {"description", rule->info.description},
                       {"role", rule->info.role_arn},
                       {"tags", tags}});
    if (rule->targets.empty()) continue;
    json targets = json::array();
    for (const auto& [id, t] : rule->targets) targets.push_back(TargetToJson(t));
    records.push_back({{"s", "events"}, {"op", "targets"}, {"name", name}, {"targets", targets}});
  }
  return records;
}

Status EventsModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  rules_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Result<std::string> EventsModel::PutRule(const aws::PutRuleRequest& req) {
  constexpr std::string_view kOp = "PutRule";
  RETURN_IF_ERROR(CheckRuleName(kOp, req.name));
  RETURN_IF_ERROR(CheckBus(kOp, req.event_bus_name));
  if (req.event_pattern.empty() && req.schedule_expression.empty())
    return Validation(kOp, "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  if (req.event_pattern.size() > kMaxPatternBytes)
    return Constraint(kOp, "...", "eventPattern", "have length less than or equal to 4096");
  if (!req.event_pattern.empty()) {
    auto p = EventPattern::Parse(req.event_pattern);
    if (!p.ok())
      return ServiceError(kOp, "InvalidEventPatternException",
                          "Event pattern is not valid. Reason: " + p.status().message());
  }
  const std::string& sched = req.schedule_expression;
  if (!sched.empty() && !((sched.rfind("rate(", 0) == 0 || sched.rfind("cron(", 0) == 0) &&
                          sched.back() == ')' && sched.size() > 6))
    return Validation(kOp, "Parameter ScheduleExpression is not valid.");
  std::string state = req.state.empty() ? "ENABLED" : req.state;
  if (state != "ENABLED" && state != "DISABLED" &&
      state != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    return Constraint(kOp, state, "state",
                      "satisfy enum value set: [ENABLED, DISABLED, "
                      "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]");
  if (req.description.size() > 512)
    return Constraint(kOp, "...", "description", "have length less than or equal to 512");
  json tags = json::array();
  for (const auto& t : req.tags) {
    if (t.key.empty() || t.key.size() > 128 || t.value.size() > 256)
      return Validation(kOp, "Tag keys must be 1 to 128 characters and values at most 256.");
    tags.push_back({t.key, t.value});
  }
  uint64_t seq;
  std::string arn;
  {
    std::lock_guard lock(mu_);
    if (!FindRuleLocked(req.name) && rules_.size() >= kMaxRules)
      return ServiceError(kOp, "LimitExceededException",
                          "The requested resource exceeds the maximum number allowed.");
    seq = RecordLocked({{"op", "rule"},
                        {"name", req.name},
                        {"pattern", req.event_pattern},
                        {"schedule", sched},
                        {"state", state},
                        {"description", req.description},
                        {"role", req.role_arn},
                        {"tags", tags}});
    arn = rules_.at(req.name)->info.arn;
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return arn;
}

Result<aws::EventRule> EventsModel::DescribeRule(const std::string& name, const std::string& bus) {
  constexpr std::string_view kOp = "DescribeRule";
  RETURN_IF_ERROR(CheckRuleName(kOp, name));
  RETURN_IF_ERROR(CheckBus(kOp, bus));
  std::lock_guard lock(mu_);
  Rule* rule = FindRuleLocked(name);
  if (!rule) return NoRule(kOp, name);
  return rule->info;
}

Result<aws::ListRulesResult> EventsModel::ListRules(const aws::ListRulesRequest& req) {
  constexpr std::string_view kOp = "ListRules";
  RETURN_IF_ERROR(CheckBus(kOp, req.event_bus_name));
  if (req.limit && (*req.limit < 1 || *req.limit > 100))
    return Constraint(kOp, std::to_string(*req.limit), "limit",
                      "have value less than or equal to 100 and greater than or equal to 1");
  std::string start = req.name_prefix;
  if (!req.next_token.empty()) {
    auto decoded = Base64Decode(req.next_token);
    if (!decoded.ok() || decoded->rfind("rule:", 0) != 0)
      return Validation(kOp, "The NextToken provided is not valid.");
    start = std::max(start, decoded->substr(5));
  }
  int limit = req.limit.value_or(kDefaultPage);
  std::lock_guard lock(mu_);
  aws::ListRulesResult out;
  for (auto it = rules_.lower_bound(start); it != rules_.end(); ++it) {
    if (it->first.rfind(req.name_prefix, 0) != 0) break;  // sorted: past the prefix
    if (static_cast<int>(out.rules.size()) == limit) {
      out.next_token = Base64Encode("rule:" + it->first);
      break;
    }
    out.rules.push_back(it->second->info);
  }
  return out;
}

Status EventsModel::DeleteRule(const std::string& name, const std::string& bus, bool /*force*/) {
  constexpr std::string_view kOp = "DeleteRule";
  RETURN_IF_ERROR(CheckRuleName(kOp, name));
  RETURN_IF_ERROR(CheckBus(kOp, bus));
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    Rule* rule = FindRuleLocked(name);
    if (!rule) return Status::Ok();  // as EventBridge: deleting a missing rule succeeds
    // Force only concerns rules managed by other AWS services; targets block deletion always.
    if (!rule->targets.empty())
      return Validation(kOp, "Rule can't be deleted since it has targets.");
    seq = RecordLocked({{"op", "delrule"}, {"name", name}});
  }
  return ctx_.journal().Commit(seq);
}

Status EventsModel::SetState(std::string_view op, const std::string& name, const std::string& bus,
                             const char* state) {
  RETURN_IF_ERROR(CheckRuleName(op, name));
  RETURN_IF_ERROR(CheckBus(op, bus));
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!FindRuleLocked(name)) return NoRule(op, name);
    seq = RecordLocked({{"op", "state"}, {"name", name}, {"state", state}});
  }
  return ctx_.journal().Commit(seq);
}

Status EventsModel::EnableRule(const std::string& name, const std::string& bus) {
  return SetState("EnableRule", name, bus, "ENABLED");
}

Status EventsModel::DisableRule(const std::string& name, const std::string& bus) {
  return SetState("DisableRule", name, bus, "DISABLED");
}

Result<aws::TargetsResult> EventsModel::PutTargets(const std::string& rule_name,
                                                   const std::string& bus,
                                                   const std::vector<aws::EventTarget>& targets) {
  constexpr std::string_view kOp = "PutTargets";
  RETURN_IF_ERROR(CheckRuleName(kOp, rule_name, "rule"));
  RETURN_IF_ERROR(CheckBus(kOp, bus));
  if (targets.empty() || targets.size() > 10)
    return Constraint(kOp, std::to_string(targets.size()) + " targets", "targets",
                      targets.empty() ? "have length greater than or equal to 1"
                                      : "have length less than or equal to 10");
  aws::TargetsResult out;
  json accepted = json::array();
  std::set<std::string> ids;
  for (const auto& t : targets) {
    if (!ValidName(t.id))
      return Constraint(kOp, t.id, "targets.member.id",
                        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
    if (!ids.insert(t.id).second)
      return Validation(kOp, "Target Id " + t.id + " is specified more than once.");
    // Content problems fail the entry, not the request.
    std::string problem;
    if (t.arn.rfind("arn:", 0) != 0 || std::count(t.arn.begin(), t.arn.end(), ':') < 5)
      problem = "Parameter " + t.arn +
                " is not valid. Reason: Provided Arn is not in correct "
                "format.";
    else if (!t.input.empty() && !t.input_path.empty())
      problem = "Only one of Input, InputPath, or InputTransformer must be provided.";
    else if (!t.input.empty() && (t.input.size() > 8192 || !json::accept(t.input)))
      problem = "Input is not valid JSON text.";
    else if (!t.input_path.empty() &&
             (t.input_path.size() > 256 || !InputPath::Parse(t.input_path)))
      problem = "InputPath " + t.input_path + " is not a valid JsonPath.";
    if (!problem.empty()) {
      out.failed_entries.push_back({t.id, "ValidationException", problem});
      continue;
    }
    accepted.push_back(TargetToJson(t));
  }
  out.failed_entry_count = static_cast<int>(out.failed_entries.size());
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    Rule* rule = FindRuleLocked(rule_name);
    if (!rule) return NoRule(kOp, rule_name);
    std::set<std::string> after;
    for (const auto& [id, t] : rule->targets) after.insert(id);
    for (const json& t : accepted) after.insert(t.at("Id").get<std::string>());
    if (after.size() > kMaxTargetsPerRule)
      return ServiceError(kOp, "LimitExceededException",
                          "The requested resource exceeds the maximum number allowed.");
    if (!accepted.empty())
      seq = RecordLocked({{"op", "targets"}, {"name", rule_name}, {"targets", accepted}});
  }
  if (seq) RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return out;
}

Result<aws::TargetsResult> EventsModel::RemoveTargets(const std::string& rule_name,
                                                      const std::string& bus,
                                                      const std::vector<std::string>& ids,
                                                      bool /*force*/) {
  constexpr std::string_view kOp = "RemoveTargets";
  RETURN_IF_ERROR(CheckRuleName(kOp, rule_name, "rule"));
  RETURN_IF_ERROR(CheckBus(kOp, bus));
  if (ids.empty() || ids.size() > 100)
    return Constraint(kOp, std::to_string(ids.size()) + " ids", "ids",
                      ids.empty() ? "have length greater than or equal to 1"
                                  : "have length less than or equal to 100");
  for (const auto& id : ids)
    if (!ValidName(id))
      return Constraint(kOp, id, "ids.member",
                        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (!FindRuleLocked(rule_name)) return NoRule(kOp, rule_name);
    // Ids the rule does not have are removed already: not a failure.
    seq = RecordLocked({{"op", "untargets"}, {"name", rule_name}, {"ids", ids}});
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return aws::TargetsResult{};
}

Result<aws::ListTargetsByRuleResult> EventsModel::ListTargetsByRule(const std::string& rule_name,
                                                                    const std::string& bus,
                                                                    const std::string& next_token,
                                                                    std::optional<int> limit) {
  constexpr std::string_view kOp = "ListTargetsByRule";
  RETURN_IF_ERROR(CheckRuleName(kOp, rule_name, "rule"));
  RETURN_IF_ERROR(CheckBus(kOp, bus));
  if (limit && (*limit < 1 || *limit > 100))
    return Constraint(kOp, std::to_string(*limit), "limit",
                      "have value less than or equal to 100 and greater than or equal to 1");
  std::string start;
  if (!next_token.empty()) {
    auto decoded = Base64Decode(next_token);
    if (!decoded.ok() || decoded->rfind("target:", 0) != 0)
      return Validation(kOp, "The NextToken provided is not valid.");
    start = decoded->substr(7);
  }
  std::lock_guard lock(mu_);
  Rule* rule = FindRuleLocked(rule_name);
  if (!rule) return NoRule(kOp, rule_name);
  aws::ListTargetsByRuleResult out;
  for (auto it = rule->targets.lower_bound(start); it != rule->targets.end(); ++it) {
    if (static_cast<int>(out.targets.size()) == limit.value_or(kDefaultPage)) {
      out.next_token = Base64Encode("target:" + it->first);
      break;
    }
    out.targets.push_back(it->second);
  }
  return out;
}

void EventsModel::RouteLocked(const ordered_json& event, std::vector<Delivery>& out) {
  events_++;
  const json view(event);  // patterns match on the plain form
  for (const auto& [name, rule] : rules_) {
    if (rule->info.state == "DISABLED" || !rule->pattern || !rule->pattern->Matches(view)) continue;
    matched_++;
    for (const auto& [id, t] : rule->targets) {
      Delivery d{name, t.arn, ""};
      if (!t.input.empty()) {
        d.body = t.input;
      } else if (!t.input_path.empty()) {
        auto path = InputPath::Parse(t.input_path);
        const ordered_json* part = path ? path->Select(event) : nullptr;
        if (!part) {
          undelivered_++;
          LogWarn("events: InputPath selects nothing",
                  {{"rule", name}, {"target", id}, {"input_path", t.input_path}});
          continue;
        }
        d.body = part->dump(-1, ' ', false, json::error_handler_t::replace);
      } else {
        d.body = event.dump(-1, ' ', false, json::error_handler_t::replace);
      }
      out.push_back(std::move(d));
    }
  }
}

void EventsModel::Deliver(const std::vector<Delivery>& deliveries) {
  // Outside the lock: SQS takes its own, and the region may be holding every model's.
  for (const Delivery& d : deliveries) {
    if (!IsSqsArn(d.target_arn)) {
      undelivered_++;
      LogDebug("events: target is not an SQS queue; not delivered",
               {{"rule", d.rule}, {"target", d.target_arn}});
      continue;
    }
    auto sent = sqs_.SendToArn(d.target_arn, d.body);
    if (sent.ok()) {
      delivered_++;
    } else {
      undelivered_++;
      LogWarn("events: delivery to queue failed",
              {{"rule", d.rule}, {"queue", d.target_arn}, {"error", sent.status().ToString()}});
    }
  }
}

Result<aws::PutEventsResult> EventsModel::PutEvents(
    const std::vector<aws::PutEventsRequestEntry>& entries) {
  constexpr std::string_view kOp = "PutEvents";
  if (entries.empty() || entries.size() > 10)
    return Constraint(kOp, std::to_string(entries.size()) + " entries", "entries",
                      entries.empty() ? "have length greater than or equal to 1"
                                      : "have length less than or equal to 10");
  size_t total = 0;
  for (const auto& e : entries) {
    total += e.source.size() + e.detail_type.size() + e.detail.size() + e.time.has_value() * 14;
    for (const auto& r : e.resources) total += r.size();
  }
  if (total > kMaxPutEventsBytes)
    return Validation(kOp, "Total size of the entries in the request is over the limit.");

  aws::PutEventsResult out;
  std::vector<ordered_json> accepted;
  for (const auto& e : entries) {
    aws::PutEventsResultEntry r;
    auto reject = [&](const char* code, std::string message) {
      r.error_code = code;
      r.error_message = std::move(message);
      out.failed_entry_count++;
    };
    ordered_json detail;
    if (!CheckBus(kOp, e.event_bus_name).ok()) {
      reject("InvalidArgument", "Event bus " + e.event_bus_name + " does not exist.");
    } else if (e.source.empty()) {
      reject("InvalidArgument",
             "Parameter Source is not valid. Reason: Source is a required "
             "argument.");
    } else if (e.detail_type.empty()) {
      reject("InvalidArgument",
             "Parameter DetailType is not valid. Reason: DetailType is a "
             "required argument.");
    } else if (e.detail.empty()) {
      reject("InvalidArgument",
             "Parameter Detail is not valid. Reason: Detail is a required "
             "argument.");
    } else if (e.source.rfind("aws.", 0) == 0) {
      // AWS keeps "aws." sources for its own services; the region's own events use Emit.
      reject("NotAuthorized", "Not authorized for the source.");
    } else if (detail = ordered_json::parse(e.detail, nullptr, false); !detail.is_object()) {
      reject("MalformedDetail", "Detail is malformed.");
    }
    if (r.error_code.empty()) {
      r.event_id = ctx_.NewId();
      accepted.push_back(EventEnvelope(r.event_id, e.detail_type, e.source, ctx_.account_id,
                                       FormatIso8601(e.time.value_or(ctx_.clock.Now())),
                                       ctx_.region, e.resources, std::move(detail)));
    }
    out.entries.push_back(std::move(r));
  }
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    for (const auto& event : accepted) RouteLocked(event, deliveries);
  }
  Deliver(deliveries);
  return out;
}

Result<std::string> EventsModel::Emit(const json& event) {
  if (!event.is_object()) return InvalidArgumentError("Emit: the event is not a JSON object");
  auto str = [&](const char* key) -> const json* {
    auto it = event.find(key);
    return it != event.end() && it->is_string() ? &*it : nullptr;
  };
  const json* source = str("source");
  const json* detail_type = str("detail-type");
  if (!source || !detail_type || source->get_ref<const std::string&>().empty() ||
      detail_type->get_ref<const std::string&>().empty())
    return InvalidArgumentError("Emit: the event needs a source and a detail-type");
  ordered_json detail = ordered_json::object();
  if (auto it = event.find("detail"); it != event.end()) {
    if (!it->is_object()) return InvalidArgumentError("Emit: detail must be an object");
    detail = *it;
  }
  ordered_json resources = ordered_json::array();
  if (auto it = event.find("resources"); it != event.end()) {
    if (!it->is_array()) return InvalidArgumentError("Emit: resources must be an array");
    for (const json& r : *it) {
      if (!r.is_string()) return InvalidArgumentError("Emit: resources must be strings");
      resources.push_back(r.get<std::string>());
    }
  }
  std::string time;
  if (const json* t = str("time")) {
    auto parsed = ParseRfc3339(t->get_ref<const std::string&>());
    if (!parsed.ok()) return InvalidArgumentError("Emit: time is not RFC 3339");
    time = FormatIso8601(*parsed);
  } else {
    time = FormatIso8601(ctx_.clock.Now());
  }
  const json* id = str("id");
  std::string event_id = id ? id->get<std::string>() : ctx_.NewId();
  const json* account = str("account");
  const json* region = str("region");
  ordered_json envelope = EventEnvelope(
      event_id, detail_type->get<std::string>(), source->get<std::string>(),
      account ? account->get<std::string>() : ctx_.account_id, time,
      region ? region->get<std::string>() : ctx_.region, std::move(resources), std::move(detail));
  // Anything else the caller put in the event travels along.
  for (const auto& [k, v] : event.items())
    if (!envelope.contains(k)) envelope[k] = v;
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    RouteLocked(envelope, deliveries);
  }
  Deliver(deliveries);
  return event_id;
}

Result<bool> EventsModel::TestEventPattern(const std::string& event_pattern,
                                           const std::string& event) {
  constexpr std::string_view kOp = "TestEventPattern";
  auto p = EventPattern::Parse(event_pattern);
  if (!p.ok())
    return ServiceError(kOp, "InvalidEventPatternException",
                        "Event pattern is not valid. Reason: " + p.status().message());
  json e = json::parse(event, nullptr, false);
  if (!e.is_object()) return Validation(kOp, "Parameter Event is not valid.");
  // EventBridge wants a whole envelope here.
  for (const char* field : {"id", "account", "source", "time", "region", "detail-type"})
    if (!e.contains(field))
      return Validation(
          kOp, std::string("Parameter Event is not valid. Reason: Missing field ") + field + ".");
  return p->Matches(e);
}

}  // namespace steady::region
