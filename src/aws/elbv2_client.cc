#include "aws/elbv2_client.h"

#include <charconv>

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"

namespace steady::aws {

namespace {

constexpr std::string_view kVersion = "2015-12-01";
constexpr QueryListStyle kMember = QueryListStyle::kMember;

Status Malformed(std::string_view op, std::string_view what) {
  return DataLossError(std::string(op) + ": unexpected response shape: " + std::string(what));
}

// Sends `params` and returns the <ActionResult> element.
Result<XmlElement> Call(AwsTransport& transport, const QueryParams& params) {
  const std::string& op = params.action();
  ASSIGN_OR_RETURN(net::HttpResponse resp, transport.Send(op, params.ToRequest()));
  ASSIGN_OR_RETURN(QueryResponse r, ParseQueryResponse(Protocol::kQuery, resp.body, op));
  return std::move(r.result);
}

Result<std::optional<int>> OptInt(std::string_view op, const XmlElement& parent,
                                  std::string_view name) {
  const XmlElement* e = parent.Child(name);
  if (!e) return std::optional<int>();
  int v = 0;
  const std::string& s = e->text;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    return Malformed(op, "<" + e->name + "> is not an integer: \"" + s + "\"");
  return std::optional<int>(v);
}

Result<int> Int(std::string_view op, const XmlElement& parent, std::string_view name,
                int fallback) {
  ASSIGN_OR_RETURN(std::optional<int> v, OptInt(op, parent, name));
  return v.value_or(fallback);
}

void AddTargets(QueryParams& p, const std::vector<TargetDescription>& targets) {
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string k = QueryParams::ListKey("Targets", i + 1, kMember);
    p.Add(k + ".Id", targets[i].id);
    if (targets[i].port) p.AddInt(k + ".Port", *targets[i].port);
    if (!targets[i].availability_zone.empty())
      p.Add(k + ".AvailabilityZone", targets[i].availability_zone);
  }
}

Result<TargetGroup> GroupFrom(std::string_view op, const XmlElement& m) {
  TargetGroup g;
  g.target_group_arn = m.ChildText("TargetGroupArn");
  if (g.target_group_arn.empty()) return Malformed(op, "a target group without an ARN");
  g.target_group_name = m.ChildText("TargetGroupName");
  g.protocol = m.ChildText("Protocol");
  ASSIGN_OR_RETURN(g.port, Int(op, m, "Port", 0));
  g.vpc_id = m.ChildText("VpcId");
  g.target_type = m.ChildText("TargetType");
  g.health_check_path = m.ChildText("HealthCheckPath");
  ASSIGN_OR_RETURN(g.health_check_interval_seconds,
                   Int(op, m, "HealthCheckIntervalSeconds", g.health_check_interval_seconds));
  ASSIGN_OR_RETURN(g.health_check_timeout_seconds,
                   Int(op, m, "HealthCheckTimeoutSeconds", g.health_check_timeout_seconds));
  ASSIGN_OR_RETURN(g.healthy_threshold_count,
                   Int(op, m, "HealthyThresholdCount", g.healthy_threshold_count));
  ASSIGN_OR_RETURN(g.unhealthy_threshold_count,
                   Int(op, m, "UnhealthyThresholdCount", g.unhealthy_threshold_count));
  for (const XmlElement* lb : m.List("LoadBalancerArns")) g.load_balancer_arns.push_back(lb->text);
  return g;
}

std::map<std::string, std::string> AttributesFrom(const XmlElement& r) {
  std::map<std::string, std::string> out;
  for (const XmlElement* a : r.List("Attributes")) out[a->ChildText("Key")] = a->ChildText("Value");
  return out;
}

}  // namespace

ServiceInfo Elbv2Service() {
  return {"Elastic Load Balancing v2", "elasticloadbalancing", "elasticloadbalancing",
          Protocol::kQuery};
}

Result<TargetGroup> Elbv2Client::CreateTargetGroup(const CreateTargetGroupRequest& request) {
  QueryParams p("CreateTargetGroup", kVersion);
  p.Add("Name", request.name);
  if (!request.protocol.empty()) p.Add("Protocol", request.protocol);
  p.AddInt("Port", request.port);
  if (!request.vpc_id.empty()) p.Add("VpcId", request.vpc_id);
  if (!request.health_check_path.empty()) p.Add("HealthCheckPath", request.health_check_path);
  p.AddInt("HealthCheckIntervalSeconds", request.health_check_interval_seconds)
      .AddInt("HealthCheckTimeoutSeconds", request.health_check_timeout_seconds)
      .AddInt("HealthyThresholdCount", request.healthy_threshold_count)
      .AddInt("UnhealthyThresholdCount", request.unhealthy_threshold_count);
  if (!request.target_type.empty()) p.Add("TargetType", request.target_type);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  std::vector<const XmlElement*> groups = r.List("TargetGroups");
  if (groups.size() != 1)
    return Malformed(p.action(), std::to_string(groups.size()) + " target groups, expected 1");
  return GroupFrom(p.action(), *groups[0]);
}

Result<std::vector<TargetGroup>> Elbv2Client::DescribeTargetGroups(
    const std::vector<std::string>& arns, const std::vector<std::string>& names) {
  std::vector<TargetGroup> out;
  std::string marker;
  do {
    QueryParams p("DescribeTargetGroups", kVersion);
    if (!arns.empty()) p.AddList("TargetGroupArns", arns, kMember);
    if (!names.empty()) p.AddList("Names", names, kMember);
    if (!marker.empty()) p.Add("Marker", marker);
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* m : r.List("TargetGroups")) {
      ASSIGN_OR_RETURN(TargetGroup g, GroupFrom(p.action(), *m));
      out.push_back(std::move(g));
    }
    marker = r.ChildText("NextMarker");
  } while (!marker.empty());
  return out;
}

Status Elbv2Client::DeleteTargetGroup(const std::string& arn) {
  QueryParams p("DeleteTargetGroup", kVersion);
  p.Add("TargetGroupArn", arn);
  return Call(transport_, p).status();
}

Result<std::map<std::string, std::string>> Elbv2Client::ModifyTargetGroupAttributes(
    const std::string& arn, const std::map<std::string, std::string>& attributes) {
  QueryParams p("ModifyTargetGroupAttributes", kVersion);
  p.Add("TargetGroupArn", arn);
  size_t i = 0;
  for (const auto& [k, v] : attributes) {
    std::string key = QueryParams::ListKey("Attributes", ++i, kMember);
    p.Add(key + ".Key", k).Add(key + ".Value", v);
  }
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return AttributesFrom(r);
}

Result<std::map<std::string, std::string>> Elbv2Client::DescribeTargetGroupAttributes(
    const std::string& arn) {
  QueryParams p("DescribeTargetGroupAttributes", kVersion);
  p.Add("TargetGroupArn", arn);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  return AttributesFrom(r);
}

Status Elbv2Client::RegisterTargets(const std::string& arn,
                                    const std::vector<TargetDescription>& targets) {
  QueryParams p("RegisterTargets", kVersion);
  p.Add("TargetGroupArn", arn);
  AddTargets(p, targets);
  return Call(transport_, p).status();
}

Status Elbv2Client::DeregisterTargets(const std::string& arn,
                                      const std::vector<TargetDescription>& targets) {
  QueryParams p("DeregisterTargets", kVersion);
  p.Add("TargetGroupArn", arn);
  AddTargets(p, targets);
  return Call(transport_, p).status();
}

Result<std::vector<TargetHealthDescription>> Elbv2Client::DescribeTargetHealth(
    const std::string& arn, const std::vector<TargetDescription>& targets) {
  QueryParams p("DescribeTargetHealth", kVersion);
  p.Add("TargetGroupArn", arn);
  AddTargets(p, targets);
  const std::string& op = p.action();
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  std::vector<TargetHealthDescription> out;
  for (const XmlElement* m : r.List("TargetHealthDescriptions")) {
    TargetHealthDescription d;
    const XmlElement* t = m->Child("Target");
    if (!t) return Malformed(op, "a TargetHealthDescription without a Target");
    d.target.id = t->ChildText("Id");
    ASSIGN_OR_RETURN(d.target.port, OptInt(op, *t, "Port"));
    d.target.availability_zone = t->ChildText("AvailabilityZone");
    d.health_check_port = m->ChildText("HealthCheckPort");
    if (const XmlElement* h = m->Child("TargetHealth")) {
      d.target_health.state = h->ChildText("State");
      d.target_health.reason = h->ChildText("Reason");
      d.target_health.description = h->ChildText("Description");
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace steady::aws
