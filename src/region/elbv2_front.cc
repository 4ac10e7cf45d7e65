#include "region/elbv2_front.h"

#include <functional>

#include "region/query_params.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

namespace {

constexpr std::string_view kXmlns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

const char* const kActions[] = {
    "CreateTargetGroup",           "DescribeTargetGroups",          "DeleteTargetGroup",
    "ModifyTargetGroupAttributes", "DescribeTargetGroupAttributes", "RegisterTargets",
    "DeregisterTargets",           "DescribeTargetHealth"};

using query_params::BadRequest;
using query_params::Optional;
using query_params::Required;

int Int(const FormParams& form, const std::string& name, int fallback) {
  std::string v = Optional(form, name);
  if (v.empty()) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw BadRequest{{400, "ValidationError", "Invalid value '" + v + "' for " + name, true}};
}

std::vector<std::string> Strings(const FormParams& form, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, sub] : FormList(form, name))
    if (auto it = sub.find(""); it != sub.end()) out.push_back(it->second);
  return out;
}

std::vector<aws::TargetDescription> Targets(const FormParams& form) {
  std::vector<aws::TargetDescription> out;
  for (const auto& [n, sub] : FormList(form, "Targets")) {
    aws::TargetDescription t;
    auto id = sub.find("Id");
    if (id == sub.end()) throw BadRequest{{400, "ValidationError", "A target needs an Id", true}};
    t.id = id->second;
    if (auto p = sub.find("Port"); p != sub.end()) {
      FormParams one{{"Port", p->second}};
      t.port = Int(one, "Port", 0);
    }
    if (auto az = sub.find("AvailabilityZone"); az != sub.end()) t.availability_zone = az->second;
    out.push_back(std::move(t));
  }
  return out;
}

void WriteGroup(XmlWriter& x, const aws::TargetGroup& g) {
  x.Open("member")
      .Text("TargetGroupArn", g.target_group_arn)
      .Text("TargetGroupName", g.target_group_name)
      .Text("Protocol", g.protocol)
      .Text("Port", std::to_string(g.port))
      .Text("VpcId", g.vpc_id)
      .Text("TargetType", g.target_type)
      .Text("HealthCheckProtocol", g.protocol)
      .Text("HealthCheckPort", "traffic-port")
      .Text("HealthCheckEnabled", "true")
      .Text("HealthCheckPath", g.health_check_path)
      .Text("HealthCheckIntervalSeconds", std::to_string(g.health_check_interval_seconds))
      .Text("HealthCheckTimeoutSeconds", std::to_string(g.health_check_timeout_seconds))
      .Text("HealthyThresholdCount", std::to_string(g.healthy_threshold_count))
      .Text("UnhealthyThresholdCount", std::to_string(g.unhealthy_threshold_count))
      .Open("LoadBalancerArns")
      .Close("LoadBalancerArns")
      .Close("member");
}

void WriteAttributes(XmlWriter& x, const std::map<std::string, std::string>& attrs) {
  x.Open("Attributes");
  for (const auto& [k, v] : attrs) x.Open("member").Text("Key", k).Text("Value", v).Close("member");
  x.Close("Attributes");
}

}  // namespace

std::unique_ptr<ServiceFront> Elbv2Model::MakeFront() {
  return std::make_unique<Elbv2Front>(*this);
}

bool Elbv2Front::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse Elbv2Front::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return QueryErrorResponse(error, request.request_id, kXmlns);
}

void Elbv2Front::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  const std::string& rid = request.request_id;
  auto error = [&](const WireError& e) { respond(QueryErrorResponse(e, rid, kXmlns)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    error({p.http_status, p.code, p.message, p.sender_fault});
  };
  auto answer = [&](const std::function<void(XmlWriter&)>& body) {
    XmlWriter x;
    x.Open(op + "Response", kXmlns).Open(op + "Result");
    if (body) body(x);
    x.Close(op + "Result");
    x.Open("ResponseMetadata").Text("RequestId", rid).Close("ResponseMetadata");
    x.Close(op + "Response");
    respond(XmlResponse(std::move(x).str(), rid));
  };
  if (request.wire != "query")
    return error({400, "InvalidAction", "ELBv2 speaks only the query protocol.", true});
  FormParams form = ParseForm(request.http);

  try {
    if (op == "CreateTargetGroup") {
      aws::CreateTargetGroupRequest req;
      req.name = Required(form, "Name");
      if (auto p = Optional(form, "Protocol"); !p.empty()) req.protocol = p;
      req.port = Int(form, "Port", req.port);
      req.vpc_id = Optional(form, "VpcId");
      if (auto t = Optional(form, "TargetType"); !t.empty()) req.target_type = t;
      if (auto p = Optional(form, "HealthCheckPath"); !p.empty()) req.health_check_path = p;
      req.health_check_interval_seconds =
          Int(form, "HealthCheckIntervalSeconds", req.health_check_interval_seconds);
      req.health_check_timeout_seconds =
          Int(form, "HealthCheckTimeoutSeconds", req.health_check_timeout_seconds);
      req.healthy_threshold_count = Int(form, "HealthyThresholdCount", req.healthy_threshold_count);
      req.unhealthy_threshold_count =
          Int(form, "UnhealthyThresholdCount", req.unhealthy_threshold_count);
      auto r = model_.CreateTargetGroup(req);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("TargetGroups");
        WriteGroup(x, *r);
        x.Close("TargetGroups");
      });
    }
    if (op == "DescribeTargetGroups") {
      auto r =
          model_.DescribeTargetGroups(Strings(form, "TargetGroupArns"), Strings(form, "Names"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("TargetGroups");
        for (const auto& g : *r) WriteGroup(x, g);
        x.Close("TargetGroups");
      });
    }
    if (op == "DeleteTargetGroup") {
      Status s = model_.DeleteTargetGroup(Required(form, "TargetGroupArn"));
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "ModifyTargetGroupAttributes") {
      std::map<std::string, std::string> attrs;
      for (const auto& [n, sub] : FormList(form, "Attributes"))
        if (sub.count("Key")) attrs[sub.at("Key")] = sub.count("Value") ? sub.at("Value") : "";
      auto r = model_.ModifyTargetGroupAttributes(Required(form, "TargetGroupArn"), attrs);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { WriteAttributes(x, *r); });
    }
    if (op == "DescribeTargetGroupAttributes") {
      auto r = model_.DescribeTargetGroupAttributes(Required(form, "TargetGroupArn"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { WriteAttributes(x, *r); });
    }
    if (op == "RegisterTargets" || op == "DeregisterTargets") {
      std::string arn = Required(form, "TargetGroupArn");
      auto targets = Targets(form);
      if (targets.empty()) Required(form, "Targets.member.1.Id");
      Status s = op == "RegisterTargets" ? model_.RegisterTargets(arn, targets)
                                         : model_.DeregisterTargets(arn, targets);
      if (!s.ok()) return fail(s);
      return answer(nullptr);
    }
    if (op == "DescribeTargetHealth") {
      auto r = model_.DescribeTargetHealth(Required(form, "TargetGroupArn"), Targets(form));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("TargetHealthDescriptions");
        for (const auto& d : *r) {
          x.Open("member").Open("Target").Text("Id", d.target.id);
          if (d.target.port) x.Text("Port", std::to_string(*d.target.port));
          x.Close("Target").Text("HealthCheckPort", d.health_check_port);
          x.Open("TargetHealth").Text("State", d.target_health.state);
          if (!d.target_health.reason.empty()) x.Text("Reason", d.target_health.reason);
          if (!d.target_health.description.empty())
            x.Text("Description", d.target_health.description);
          x.Close("TargetHealth").Close("member");
        }
        x.Close("TargetHealthDescriptions");
      });
    }
  } catch (const BadRequest& b) {
    return error(b.error);
  }
  error({400, "InvalidAction", "The action " + op + " is not valid for this endpoint.", true});
}

}  // namespace steady::region
