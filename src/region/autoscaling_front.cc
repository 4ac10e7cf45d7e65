#include "region/autoscaling_front.h"

#include <cctype>
#include <functional>

#include "base/ids.h"
#include "base/time_format.h"
#include "region/query_params.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

namespace {

constexpr std::string_view kXmlns = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

const char* const kActions[] = {"CreateAutoScalingGroup",
                                "DescribeAutoScalingGroups",
                                "UpdateAutoScalingGroup",
                                "SetDesiredCapacity",
                                "TerminateInstanceInAutoScalingGroup",
                                "SetInstanceProtection",
                                "DescribeAutoScalingInstances",
                                "PutLifecycleHook",
                                "DescribeLifecycleHooks",
                                "CompleteLifecycleAction",
                                "RecordLifecycleActionHeartbeat"};

using query_params::BadRequest;
using query_params::Optional;
using query_params::Required;

std::optional<int> OptInt(const FormParams& form, const std::string& name) {
  std::string v = Optional(form, name);
  if (v.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw BadRequest{{400, "ValidationError", "Invalid value '" + v + "' for " + name, true}};
}

std::optional<bool> OptBool(const FormParams& form, const std::string& name) {
  std::string v = Optional(form, name);
  if (v.empty()) return std::nullopt;
  return v == "true";
}

std::vector<std::string> Strings(const FormParams& form, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, sub] : FormList(form, name))
    if (auto it = sub.find(""); it != sub.end()) out.push_back(it->second);
  return out;
}

aws::AsgLaunchTemplate Template(const std::string& name, const std::string& version) {
  aws::AsgLaunchTemplate lt;
  lt.launch_template_name = name;
  if (!version.empty()) lt.version = version;
  if (Ec2Model::InstanceType(name)) lt.instance_type = name;
  return lt;
}

std::optional<aws::AsgLaunchTemplate> LaunchTemplate(const FormParams& form) {
  std::string name = Optional(form, "LaunchTemplate.LaunchTemplateName");
  if (name.empty()) name = Optional(form, "LaunchTemplate.LaunchTemplateId");
  if (name.empty()) return std::nullopt;
  return Template(name, Optional(form, "LaunchTemplate.Version"));
}

std::optional<aws::MixedInstancesPolicy> Mixed(const FormParams& form) {
  const std::string p = "MixedInstancesPolicy.";
  const std::string spec = p + "LaunchTemplate.LaunchTemplateSpecification.";
  std::string name = Optional(form, spec + "LaunchTemplateName");
  if (name.empty()) name = Optional(form, spec + "LaunchTemplateId");
  if (name.empty()) return std::nullopt;
  aws::MixedInstancesPolicy m;
  m.launch_template = Template(name, Optional(form, spec + "Version"));
  for (const auto& [n, sub] : FormList(form, p + "LaunchTemplate.Overrides"))
    if (sub.count("InstanceType")) m.overrides.push_back(sub.at("InstanceType"));
  auto& d = m.instances_distribution;
  const std::string dist = p + "InstancesDistribution.";
  d.on_demand_base_capacity =
      OptInt(form, dist + "OnDemandBaseCapacity").value_or(d.on_demand_base_capacity);
  d.on_demand_percentage_above_base_capacity =
      OptInt(form, dist + "OnDemandPercentageAboveBaseCapacity")
          .value_or(d.on_demand_percentage_above_base_capacity);
  if (auto s = Optional(form, dist + "SpotAllocationStrategy"); !s.empty())
    d.spot_allocation_strategy = s;
  return m;
}

// An instance in a group's Instances (`group` empty: "Healthy"), or in
// DescribeAutoScalingInstances (with its group: Auto Scaling says "HEALTHY" there).
void WriteInstance(XmlWriter& x, const aws::AsgInstance& i, const std::string& group) {
  x.Open("member").Text("InstanceId", i.instance_id).Text("InstanceType", i.instance_type);
  std::string health = i.health_status;
  if (!group.empty()) {
    x.Text("AutoScalingGroupName", group);
    for (char& c : health) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  x.Text("AvailabilityZone", i.availability_zone)
      .Text("LifecycleState", i.lifecycle_state)
      .Text("HealthStatus", health)
      .Text("ProtectedFromScaleIn", i.protected_from_scale_in ? "true" : "false")
      .Open("LaunchTemplate")
      .Text("LaunchTemplateName", i.launch_template_name)
      .Close("LaunchTemplate")
      .Close("member");
}

void WriteTemplate(XmlWriter& x, std::string_view element, const aws::AsgLaunchTemplate& lt) {
  x.Open(element)
      .Text("LaunchTemplateName", lt.launch_template_name)
      .Text("Version", lt.version)
      .Close(element);
}

void WriteGroup(XmlWriter& x, const aws::AutoScalingGroup& g) {
  x.Open("member")
      .Text("AutoScalingGroupName", g.auto_scaling_group_name)
      .Text("AutoScalingGroupARN", g.auto_scaling_group_arn);
  if (g.launch_template) WriteTemplate(x, "LaunchTemplate", *g.launch_template);
  if (g.mixed_instances_policy) {
    const auto& m = *g.mixed_instances_policy;
    x.Open("MixedInstancesPolicy").Open("LaunchTemplate");
    WriteTemplate(x, "LaunchTemplateSpecification", m.launch_template);
    x.Open("Overrides");
    for (const auto& o : m.overrides) x.Open("member").Text("InstanceType", o).Close("member");
    x.Close("Overrides").Close("LaunchTemplate");
    const auto& d = m.instances_distribution;
    x.Open("InstancesDistribution")
        .Text("OnDemandBaseCapacity", std::to_string(d.on_demand_base_capacity))
        .Text("OnDemandPercentageAboveBaseCapacity",
              std::to_string(d.on_demand_percentage_above_base_capacity))
        .Text("SpotAllocationStrategy", d.spot_allocation_strategy)
        .Close("InstancesDistribution")
        .Close("MixedInstancesPolicy");
  }
  x.Text("MinSize", std::to_string(g.min_size))
      .Text("MaxSize", std::to_string(g.max_size))
      .Text("DesiredCapacity", std::to_string(g.desired_capacity))
      .Text("DefaultCooldown", "300")
      .Open("AvailabilityZones");
  for (const auto& az : g.availability_zones) x.Text("member", az);
  x.Close("AvailabilityZones").Open("Instances");
  for (const auto& i : g.instances) WriteInstance(x, i, "");
  x.Close("Instances")
      .Text("HealthCheckType", "EC2")
      .Text("CreatedTime", FormatIso8601(g.created_time, true));
  if (!g.vpc_zone_identifier.empty()) x.Text("VPCZoneIdentifier", g.vpc_zone_identifier);
  x.Text("NewInstancesProtectedFromScaleIn",
         g.new_instances_protected_from_scale_in ? "true" : "false")
      .Open("Tags");
  for (const auto& t : g.tags)
    x.Open("member")
        .Text("ResourceId", g.auto_scaling_group_name)
        .Text("ResourceType", "auto-scaling-group")
        .Text("Key", t.key)
        .Text("Value", t.value)
        .Text("PropagateAtLaunch", t.propagate_at_launch ? "true" : "false")
        .Close("member");
  x.Close("Tags").Close("member");
}

}  // namespace

std::unique_ptr<ServiceFront> AutoScalingModel::MakeFront() {
  return std::make_unique<AutoScalingFront>(*this);
}

bool AutoScalingFront::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse AutoScalingFront::ErrorResponse(const RoutedRequest& request,
                                                  const WireError& error) {
  return QueryErrorResponse(error, request.request_id, kXmlns);
}

void AutoScalingFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  const std::string& rid = request.request_id;
  auto error = [&](const WireError& e) { respond(QueryErrorResponse(e, rid, kXmlns)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    error({p.http_status, p.code, p.message, p.sender_fault});
  };
  auto answer = [&](const std::function<void(XmlWriter&)>& body) {
    XmlWriter x;
    x.Open(op + "Response", kXmlns);
    if (body) {
      x.Open(op + "Result");
      body(x);
      x.Close(op + "Result");
    }
    x.Open("ResponseMetadata").Text("RequestId", rid).Close("ResponseMetadata");
    x.Close(op + "Response");
    respond(XmlResponse(std::move(x).str(), rid));
  };
  auto done = [&](const Status& s) { return s.ok() ? answer(nullptr) : fail(s); };
  // Operations whose output shape is an empty structure still get their (empty) <OpResult>:
  // botocore looks for the result wrapper.
  auto done_with_result = [&](const Status& s) {
    return s.ok() ? answer([](XmlWriter&) {}) : fail(s);
  };
  if (request.wire != "query")
    return error({400, "InvalidAction", "Auto Scaling speaks only the query protocol.", true});
  FormParams form = ParseForm(request.http);

  try {
    if (op == "CreateAutoScalingGroup") {
      aws::CreateAutoScalingGroupRequest req;
      req.auto_scaling_group_name = Required(form, "AutoScalingGroupName");
      req.launch_template = LaunchTemplate(form);
      req.mixed_instances_policy = Mixed(form);
      req.min_size = OptInt(form, "MinSize").value_or(-1);
      req.max_size = OptInt(form, "MaxSize").value_or(-1);
      Required(form, "MinSize");
      Required(form, "MaxSize");
      req.desired_capacity = OptInt(form, "DesiredCapacity");
      req.availability_zones = Strings(form, "AvailabilityZones");
      req.vpc_zone_identifier = Optional(form, "VPCZoneIdentifier");
      for (const auto& [n, sub] : FormList(form, "Tags"))
        if (sub.count("Key"))
          req.tags.push_back(
              {sub.at("Key"), sub.count("Value") ? sub.at("Value") : "",
               sub.count("PropagateAtLaunch") && sub.at("PropagateAtLaunch") == "true"});
      req.new_instances_protected_from_scale_in =
          OptBool(form, "NewInstancesProtectedFromScaleIn").value_or(false);
      return done(model_.CreateAutoScalingGroup(req));
    }
    if (op == "DescribeAutoScalingGroups") {
      auto r = model_.DescribeAutoScalingGroups(Strings(form, "AutoScalingGroupNames"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("AutoScalingGroups");
        for (const auto& g : *r) WriteGroup(x, g);
        x.Close("AutoScalingGroups");
      });
    }
    if (op == "UpdateAutoScalingGroup") {
      aws::UpdateAutoScalingGroupRequest req;
      req.auto_scaling_group_name = Required(form, "AutoScalingGroupName");
      req.min_size = OptInt(form, "MinSize");
      req.max_size = OptInt(form, "MaxSize");
      req.desired_capacity = OptInt(form, "DesiredCapacity");
      req.launch_template = LaunchTemplate(form);
      req.mixed_instances_policy = Mixed(form);
      req.new_instances_protected_from_scale_in = OptBool(form, "NewInstancesProtectedFromScaleIn");
      return done(model_.UpdateAutoScalingGroup(req));
    }
    if (op == "SetDesiredCapacity") {
      std::string name = Required(form, "AutoScalingGroupName");
      Required(form, "DesiredCapacity");
      return done(model_.SetDesiredCapacity(name, *OptInt(form, "DesiredCapacity")));
    }
    if (op == "TerminateInstanceInAutoScalingGroup") {
      std::string id = Required(form, "InstanceId");
      bool decrement = Required(form, "ShouldDecrementDesiredCapacity") == "true";
      // The activity names the instance's group (a required member of Activity).
      std::string group;
      if (auto before = model_.DescribeAutoScalingInstances({id}); before.ok() && !before->empty())
        group = before->front().auto_scaling_group_name;
      auto r = model_.TerminateInstanceInAutoScalingGroup(id, decrement);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("Activity").Text("ActivityId", NewUuid());
        if (!group.empty()) x.Text("AutoScalingGroupName", group);
        x.Text("Cause", std::string("An instance was taken out of service in response to a user "
                                    "request") +
                            (decrement ? ", shrinking the capacity." : "."))
            .Text("Description", *r)
            .Text("StatusCode", "InProgress")
            .Text("Progress", "0")
            .Close("Activity");
      });
    }
    if (op == "SetInstanceProtection") {
      return done_with_result(model_.SetInstanceProtection(
          Required(form, "AutoScalingGroupName"), Strings(form, "InstanceIds"),
          Required(form, "ProtectedFromScaleIn") == "true"));
    }
    if (op == "DescribeAutoScalingInstances") {
      auto r = model_.DescribeAutoScalingInstances(Strings(form, "InstanceIds"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("AutoScalingInstances");
        for (const auto& d : *r) WriteInstance(x, d.instance, d.auto_scaling_group_name);
        x.Close("AutoScalingInstances");
      });
    }
    if (op == "PutLifecycleHook") {
      aws::LifecycleHook h;
      h.lifecycle_hook_name = Required(form, "LifecycleHookName");
      h.auto_scaling_group_name = Required(form, "AutoScalingGroupName");
      if (auto t = Optional(form, "LifecycleTransition"); !t.empty()) h.lifecycle_transition = t;
      h.notification_target_arn = Optional(form, "NotificationTargetARN");
      h.role_arn = Optional(form, "RoleARN");
      h.notification_metadata = Optional(form, "NotificationMetadata");
      h.heartbeat_timeout = OptInt(form, "HeartbeatTimeout").value_or(h.heartbeat_timeout);
      if (auto d = Optional(form, "DefaultResult"); !d.empty()) h.default_result = d;
      return done_with_result(model_.PutLifecycleHook(h));
    }
    if (op == "DescribeLifecycleHooks") {
      auto r = model_.DescribeLifecycleHooks(Required(form, "AutoScalingGroupName"),
                                             Strings(form, "LifecycleHookNames"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("LifecycleHooks");
        for (const auto& h : *r) {
          x.Open("member")
              .Text("LifecycleHookName", h.lifecycle_hook_name)
              .Text("AutoScalingGroupName", h.auto_scaling_group_name)
              .Text("LifecycleTransition", h.lifecycle_transition);
          if (!h.notification_target_arn.empty())
            x.Text("NotificationTargetARN", h.notification_target_arn);
          if (!h.role_arn.empty()) x.Text("RoleARN", h.role_arn);
          if (!h.notification_metadata.empty())
            x.Text("NotificationMetadata", h.notification_metadata);
          x.Text("HeartbeatTimeout", std::to_string(h.heartbeat_timeout))
              .Text("GlobalTimeout", std::to_string(h.global_timeout))
              .Text("DefaultResult", h.default_result)
              .Close("member");
        }
        x.Close("LifecycleHooks");
      });
    }
    if (op == "CompleteLifecycleAction") {
      aws::CompleteLifecycleActionRequest req;
      req.lifecycle_hook_name = Required(form, "LifecycleHookName");
      req.auto_scaling_group_name = Required(form, "AutoScalingGroupName");
      req.lifecycle_action_token = Optional(form, "LifecycleActionToken");
      req.instance_id = Optional(form, "InstanceId");
      req.lifecycle_action_result = Required(form, "LifecycleActionResult");
      Status s = model_.CompleteLifecycleAction(req);
      if (!s.ok()) return fail(s);
      return answer([](XmlWriter&) {});
    }
    if (op == "RecordLifecycleActionHeartbeat") {
      Status s = model_.RecordLifecycleActionHeartbeat(
          Required(form, "LifecycleHookName"), Required(form, "AutoScalingGroupName"),
          Optional(form, "LifecycleActionToken"), Optional(form, "InstanceId"));
      if (!s.ok()) return fail(s);
      return answer([](XmlWriter&) {});
    }
  } catch (const BadRequest& b) {
    return error(b.error);
  }
  error({400, "InvalidAction", "The action " + op + " is not valid for this endpoint.", true});
}

}  // namespace steady::region
