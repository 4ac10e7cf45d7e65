#include "aws/autoscaling_client.h"

#include <charconv>

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"
#include "base/time_format.h"

namespace steady::aws {

namespace {

constexpr std::string_view kVersion = "2011-01-01";
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

Result<int> Int(std::string_view op, const XmlElement& parent, std::string_view name,
                int fallback = 0) {
  const XmlElement* e = parent.Child(name);
  if (!e) return fallback;
  int v = 0;
  const std::string& s = e->text;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    return Malformed(op, "<" + e->name + "> is not an integer: \"" + s + "\"");
  return v;
}

Result<bool> Bool(std::string_view op, const XmlElement& parent, std::string_view name,
                  bool fallback = false) {
  const XmlElement* e = parent.Child(name);
  if (!e) return fallback;
  std::optional<bool> b = parent.ChildBool(name);
  if (!b) return Malformed(op, "<" + e->name + "> is not a boolean: \"" + e->text + "\"");
  return *b;
}

void AddTemplate(QueryParams& p, const std::string& prefix, const AsgLaunchTemplate& lt) {
  p.Add(prefix + ".LaunchTemplateName", lt.launch_template_name);
  if (!lt.version.empty()) p.Add(prefix + ".Version", lt.version);
}

void AddMixed(QueryParams& p, const MixedInstancesPolicy& m) {
  const std::string k = "MixedInstancesPolicy.";
  AddTemplate(p, k + "LaunchTemplate.LaunchTemplateSpecification", m.launch_template);
  for (size_t i = 0; i < m.overrides.size(); ++i)
    p.Add(QueryParams::ListKey(k + "LaunchTemplate.Overrides", i + 1, kMember) + ".InstanceType",
          m.overrides[i]);
  const InstancesDistribution& d = m.instances_distribution;
  p.AddInt(k + "InstancesDistribution.OnDemandBaseCapacity", d.on_demand_base_capacity)
      .AddInt(k + "InstancesDistribution.OnDemandPercentageAboveBaseCapacity",
              d.on_demand_percentage_above_base_capacity);
  if (!d.spot_allocation_strategy.empty())
    p.Add(k + "InstancesDistribution.SpotAllocationStrategy", d.spot_allocation_strategy);
}

AsgLaunchTemplate TemplateFrom(const XmlElement& e) {
  AsgLaunchTemplate lt;
  lt.launch_template_name = e.ChildText("LaunchTemplateName");
  lt.version = e.ChildText("Version", lt.version);
  return lt;
}

Result<MixedInstancesPolicy> MixedFrom(std::string_view op, const XmlElement& e) {
  MixedInstancesPolicy m;
  if (const XmlElement* lt = e.Child("LaunchTemplate")) {
    if (const XmlElement* spec = lt->Child("LaunchTemplateSpecification"))
      m.launch_template = TemplateFrom(*spec);
    for (const XmlElement* o : lt->List("Overrides"))
      m.overrides.push_back(o->ChildText("InstanceType"));
  }
  if (const XmlElement* d = e.Child("InstancesDistribution")) {
    InstancesDistribution& out = m.instances_distribution;
    ASSIGN_OR_RETURN(out.on_demand_base_capacity,
                     Int(op, *d, "OnDemandBaseCapacity", out.on_demand_base_capacity));
    ASSIGN_OR_RETURN(out.on_demand_percentage_above_base_capacity,
                     Int(op, *d, "OnDemandPercentageAboveBaseCapacity",
                         out.on_demand_percentage_above_base_capacity));
    out.spot_allocation_strategy =
        d->ChildText("SpotAllocationStrategy", out.spot_allocation_strategy);
  }
  return m;
}

Result<AsgInstance> InstanceFrom(std::string_view op, const XmlElement& e) {
  AsgInstance i;
  i.instance_id = e.ChildText("InstanceId");
  if (i.instance_id.empty()) return Malformed(op, "an instance without an InstanceId");
  i.instance_type = e.ChildText("InstanceType");
  i.availability_zone = e.ChildText("AvailabilityZone");
  i.lifecycle_state = e.ChildText("LifecycleState");
  i.health_status = e.ChildText("HealthStatus", i.health_status);
  ASSIGN_OR_RETURN(i.protected_from_scale_in, Bool(op, e, "ProtectedFromScaleIn"));
  if (const XmlElement* lt = e.Child("LaunchTemplate"))
    i.launch_template_name = lt->ChildText("LaunchTemplateName");
  return i;
}

}  // namespace

ServiceInfo AutoScalingService() {
  return {"Auto Scaling", "autoscaling", "autoscaling", Protocol::kQuery};
}

Status AutoScalingClient::CreateAutoScalingGroup(const CreateAutoScalingGroupRequest& request) {
  QueryParams p("CreateAutoScalingGroup", kVersion);
  p.Add("AutoScalingGroupName", request.auto_scaling_group_name);
  if (request.launch_template) AddTemplate(p, "LaunchTemplate", *request.launch_template);
  if (request.mixed_instances_policy) AddMixed(p, *request.mixed_instances_policy);
  p.AddInt("MinSize", request.min_size).AddInt("MaxSize", request.max_size);
  if (request.desired_capacity) p.AddInt("DesiredCapacity", *request.desired_capacity);
  if (!request.availability_zones.empty())
    p.AddList("AvailabilityZones", request.availability_zones, kMember);
  if (!request.vpc_zone_identifier.empty()) p.Add("VPCZoneIdentifier", request.vpc_zone_identifier);
  for (size_t i = 0; i < request.tags.size(); ++i) {
    const AutoScalingTag& t = request.tags[i];
    std::string k = QueryParams::ListKey("Tags", i + 1, kMember);
    p.Add(k + ".ResourceId", request.auto_scaling_group_name)
        .Add(k + ".ResourceType", "auto-scaling-group")
        .Add(k + ".Key", t.key)
        .Add(k + ".Value", t.value)
        .AddBool(k + ".PropagateAtLaunch", t.propagate_at_launch);
  }
  if (request.new_instances_protected_from_scale_in)
    p.AddBool("NewInstancesProtectedFromScaleIn", true);
  return Call(transport_, p).status();
}

Result<std::vector<AutoScalingGroup>> AutoScalingClient::DescribeAutoScalingGroups(
    const std::vector<std::string>& names) {
  std::vector<AutoScalingGroup> out;
  std::string token;
  do {
    QueryParams p("DescribeAutoScalingGroups", kVersion);
    if (!names.empty()) p.AddList("AutoScalingGroupNames", names, kMember);
    if (!token.empty()) p.Add("NextToken", token);
    const std::string& op = p.action();
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* m : r.List("AutoScalingGroups")) {
      AutoScalingGroup g;
      g.auto_scaling_group_name = m->ChildText("AutoScalingGroupName");
      if (g.auto_scaling_group_name.empty()) return Malformed(op, "a group without a name");
      g.auto_scaling_group_arn = m->ChildText("AutoScalingGroupARN");
      if (const XmlElement* lt = m->Child("LaunchTemplate")) g.launch_template = TemplateFrom(*lt);
      if (const XmlElement* mip = m->Child("MixedInstancesPolicy")) {
        ASSIGN_OR_RETURN(g.mixed_instances_policy, MixedFrom(op, *mip));
      }
      ASSIGN_OR_RETURN(g.min_size, Int(op, *m, "MinSize"));
      ASSIGN_OR_RETURN(g.max_size, Int(op, *m, "MaxSize"));
      ASSIGN_OR_RETURN(g.desired_capacity, Int(op, *m, "DesiredCapacity"));
      for (const XmlElement* az : m->List("AvailabilityZones"))
        g.availability_zones.push_back(az->text);
      g.vpc_zone_identifier = m->ChildText("VPCZoneIdentifier");
      for (const XmlElement* i : m->List("Instances")) {
        ASSIGN_OR_RETURN(AsgInstance inst, InstanceFrom(op, *i));
        g.instances.push_back(std::move(inst));
      }
      for (const XmlElement* t : m->List("Tags")) {
        AutoScalingTag tag{t->ChildText("Key"), t->ChildText("Value"), false};
        ASSIGN_OR_RETURN(tag.propagate_at_launch, Bool(op, *t, "PropagateAtLaunch"));
        g.tags.push_back(std::move(tag));
      }
      if (const XmlElement* ct = m->Child("CreatedTime")) {
        Result<Time> t = ParseRfc3339(ct->text);
        if (!t.ok()) return Malformed(op, "CreatedTime is not a timestamp: \"" + ct->text + "\"");
        g.created_time = *t;
      }
      ASSIGN_OR_RETURN(g.new_instances_protected_from_scale_in,
                       Bool(op, *m, "NewInstancesProtectedFromScaleIn"));
      out.push_back(std::move(g));
    }
    token = r.ChildText("NextToken");
  } while (!token.empty());
  return out;
}

Status AutoScalingClient::UpdateAutoScalingGroup(const UpdateAutoScalingGroupRequest& request) {
  QueryParams p("UpdateAutoScalingGroup", kVersion);
  p.Add("AutoScalingGroupName", request.auto_scaling_group_name);
  if (request.launch_template) AddTemplate(p, "LaunchTemplate", *request.launch_template);
  if (request.mixed_instances_policy) AddMixed(p, *request.mixed_instances_policy);
  if (request.min_size) p.AddInt("MinSize", *request.min_size);
  if (request.max_size) p.AddInt("MaxSize", *request.max_size);
  if (request.desired_capacity) p.AddInt("DesiredCapacity", *request.desired_capacity);
  if (request.new_instances_protected_from_scale_in)
    p.AddBool("NewInstancesProtectedFromScaleIn", *request.new_instances_protected_from_scale_in);
  return Call(transport_, p).status();
}

Status AutoScalingClient::SetDesiredCapacity(const std::string& group, int desired_capacity) {
  QueryParams p("SetDesiredCapacity", kVersion);
  p.Add("AutoScalingGroupName", group).AddInt("DesiredCapacity", desired_capacity);
  return Call(transport_, p).status();
}

Result<std::string> AutoScalingClient::TerminateInstanceInAutoScalingGroup(
    const std::string& instance_id, bool should_decrement_desired_capacity) {
  QueryParams p("TerminateInstanceInAutoScalingGroup", kVersion);
  p.Add("InstanceId", instance_id)
      .AddBool("ShouldDecrementDesiredCapacity", should_decrement_desired_capacity);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  const XmlElement* a = r.Child("Activity");
  if (!a) return Malformed(p.action(), "no <Activity>");
  return a->ChildText("Description");
}

Status AutoScalingClient::SetInstanceProtection(const std::string& group,
                                                const std::vector<std::string>& instance_ids,
                                                bool protected_from_scale_in) {
  QueryParams p("SetInstanceProtection", kVersion);
  p.AddList("InstanceIds", instance_ids, kMember)
      .Add("AutoScalingGroupName", group)
      .AddBool("ProtectedFromScaleIn", protected_from_scale_in);
  return Call(transport_, p).status();
}

Result<std::vector<AutoScalingInstanceDetails>> AutoScalingClient::DescribeAutoScalingInstances(
    const std::vector<std::string>& instance_ids) {
  std::vector<AutoScalingInstanceDetails> out;
  std::string token;
  do {
    QueryParams p("DescribeAutoScalingInstances", kVersion);
    if (!instance_ids.empty()) p.AddList("InstanceIds", instance_ids, kMember);
    if (!token.empty()) p.Add("NextToken", token);
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* m : r.List("AutoScalingInstances")) {
      AutoScalingInstanceDetails d;
      d.auto_scaling_group_name = m->ChildText("AutoScalingGroupName");
      ASSIGN_OR_RETURN(d.instance, InstanceFrom(p.action(), *m));
      out.push_back(std::move(d));
    }
    token = r.ChildText("NextToken");
  } while (!token.empty());
  return out;
}

Status AutoScalingClient::PutLifecycleHook(const LifecycleHook& hook) {
  QueryParams p("PutLifecycleHook", kVersion);
  p.Add("LifecycleHookName", hook.lifecycle_hook_name)
      .Add("AutoScalingGroupName", hook.auto_scaling_group_name);
  if (!hook.lifecycle_transition.empty()) p.Add("LifecycleTransition", hook.lifecycle_transition);
  if (!hook.role_arn.empty()) p.Add("RoleARN", hook.role_arn);
  if (!hook.notification_target_arn.empty())
    p.Add("NotificationTargetARN", hook.notification_target_arn);
  if (!hook.notification_metadata.empty())
    p.Add("NotificationMetadata", hook.notification_metadata);
  p.AddInt("HeartbeatTimeout", hook.heartbeat_timeout);
  if (!hook.default_result.empty()) p.Add("DefaultResult", hook.default_result);
  return Call(transport_, p).status();
}

Result<std::vector<LifecycleHook>> AutoScalingClient::DescribeLifecycleHooks(
    const std::string& group, const std::vector<std::string>& names) {
  QueryParams p("DescribeLifecycleHooks", kVersion);
  p.Add("AutoScalingGroupName", group);
  if (!names.empty()) p.AddList("LifecycleHookNames", names, kMember);
  const std::string& op = p.action();
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  std::vector<LifecycleHook> out;
  for (const XmlElement* m : r.List("LifecycleHooks")) {
    LifecycleHook h;
    h.lifecycle_hook_name = m->ChildText("LifecycleHookName");
    h.auto_scaling_group_name = m->ChildText("AutoScalingGroupName");
    h.lifecycle_transition = m->ChildText("LifecycleTransition");
    h.notification_target_arn = m->ChildText("NotificationTargetARN");
    h.role_arn = m->ChildText("RoleARN");
    h.notification_metadata = m->ChildText("NotificationMetadata");
    ASSIGN_OR_RETURN(h.heartbeat_timeout, Int(op, *m, "HeartbeatTimeout", h.heartbeat_timeout));
    ASSIGN_OR_RETURN(h.global_timeout, Int(op, *m, "GlobalTimeout", h.global_timeout));
    h.default_result = m->ChildText("DefaultResult", h.default_result);
    out.push_back(std::move(h));
  }
  return out;
}

Status AutoScalingClient::CompleteLifecycleAction(const CompleteLifecycleActionRequest& request) {
  QueryParams p("CompleteLifecycleAction", kVersion);
  p.Add("LifecycleHookName", request.lifecycle_hook_name)
      .Add("AutoScalingGroupName", request.auto_scaling_group_name);
  if (!request.lifecycle_action_token.empty())
    p.Add("LifecycleActionToken", request.lifecycle_action_token);
  p.Add("LifecycleActionResult", request.lifecycle_action_result);
  if (!request.instance_id.empty()) p.Add("InstanceId", request.instance_id);
  return Call(transport_, p).status();
}

Status AutoScalingClient::RecordLifecycleActionHeartbeat(const std::string& hook_name,
                                                         const std::string& group,
                                                         const std::string& lifecycle_action_token,
                                                         const std::string& instance_id) {
  QueryParams p("RecordLifecycleActionHeartbeat", kVersion);
  p.Add("LifecycleHookName", hook_name).Add("AutoScalingGroupName", group);
  if (!lifecycle_action_token.empty()) p.Add("LifecycleActionToken", lifecycle_action_token);
  if (!instance_id.empty()) p.Add("InstanceId", instance_id);
  return Call(transport_, p).status();
}

}  // namespace steady::aws
