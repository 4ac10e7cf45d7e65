#include "region/setup.h"

#include <algorithm>
#include <cmath>

#include "region/elbv2_model.h"
#include "region/s3_model.h"

namespace steady::region {

std::string SetupSummary::ToString() const {
  return std::to_string(queues) + " queues, " + std::to_string(topics) + " topics, " +
         std::to_string(subscriptions) + " subscriptions, " + std::to_string(rules) + " rules, " +
         std::to_string(targets) + " targets, " + std::to_string(buckets) + " buckets" +
         (clusters + task_definitions + target_groups + auto_scaling_groups + spot_fleets +
                      services ==
                  0
              ? ""
              : ", " + std::to_string(clusters) + " clusters, " + std::to_string(task_definitions) +
                    " task definitions, " + std::to_string(target_groups) + " target groups, " +
                    std::to_string(auto_scaling_groups) + " auto scaling groups, " +
                    std::to_string(spot_fleets) + " spot fleets, " + std::to_string(services) +
                    " services (" + std::to_string(fleet_changes) + " created or updated)");
}

namespace {

std::string QueueArn(const SetupTargets& t, const std::string& name) {
  return "arn:aws:sqs:" + t.region + ":" + t.account_id + ":" + name;
}

Status ApplyQueues(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto queues, setup.List("queues"));
  // Dead-letter queues first, so redrive policies can name them.
  std::vector<std::pair<const ConfigNode*, std::string>> ordered;
  for (const ConfigNode& q : queues) {
    RETURN_IF_ERROR(q.CheckKeys({"name", "attributes", "dead_letter"}));
    ASSIGN_OR_RETURN(std::string name, q.String("name"));
    ordered.push_back({&q, name});
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return !a.first->Has("dead_letter") && b.first->Has("dead_letter");
  });
  for (const auto& [q, name] : ordered) {
    std::map<std::string, std::string> attrs;
    ConfigNode a = q->Child("attributes");
    for (const std::string& k : a.Keys()) {
      ASSIGN_OR_RETURN(attrs[k], a.String(k));
    }
    if (q->Has("dead_letter")) {
      ConfigNode dl = q->Child("dead_letter");
      RETURN_IF_ERROR(dl.CheckKeys({"queue", "max_receive_count"}));
      ASSIGN_OR_RETURN(std::string dlq, dl.String("queue"));
      ASSIGN_OR_RETURN(int64_t max, dl.Int("max_receive_count", 5));
      attrs["RedrivePolicy"] = "{\"deadLetterTargetArn\":\"" + QueueArn(t, dlq) +
                               "\",\"maxReceiveCount\":\"" + std::to_string(max) + "\"}";
    }
    auto url = t.sqs.CreateQueue(name, {});
    if (!url.ok()) return url.status().WithContext(q->Where() + ": queue " + name);
    if (!attrs.empty())
      RETURN_IF_ERROR(
          t.sqs.SetQueueAttributes(*url, attrs).WithContext(q->Where() + ": queue " + name));
    ++sum.queues;
  }
  return Status::Ok();
}

Status ApplyTopics(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto topics, setup.List("topics"));
  if (!topics.empty() && !t.sns) return FailedPreconditionError("topics: this region has no SNS");
  for (const ConfigNode& topic : topics) {
    RETURN_IF_ERROR(topic.CheckKeys({"name", "subscriptions"}));
    ASSIGN_OR_RETURN(std::string name, topic.String("name"));
    auto arn = t.sns->CreateTopic({name, {}, {}});
    if (!arn.ok()) return arn.status().WithContext(topic.Where() + ": topic " + name);
    ++sum.topics;
    ASSIGN_OR_RETURN(auto subs, topic.List("subscriptions"));
    for (const ConfigNode& s : subs) {
      RETURN_IF_ERROR(s.CheckKeys({"queue", "raw"}));
      ASSIGN_OR_RETURN(std::string queue, s.String("queue"));
      ASSIGN_OR_RETURN(bool raw, s.Bool("raw", false));
      aws::SubscribeRequest req{
          *arn, "sqs", QueueArn(t, queue), {{"RawMessageDelivery", raw ? "true" : "false"}}, true};
      auto sub = t.sns->Subscribe(req);
      if (!sub.ok()) return sub.status().WithContext(s.Where() + ": subscription to " + queue);
      ++sum.subscriptions;
    }
  }
  return Status::Ok();
}

Status ApplyRules(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto rules, setup.List("rules"));
  if (!rules.empty() && !t.events)
    return FailedPreconditionError("rules: this region has no EventBridge");
  for (const ConfigNode& rule : rules) {
    RETURN_IF_ERROR(rule.CheckKeys({"name", "pattern", "description", "targets"}));
    aws::PutRuleRequest req;
    ASSIGN_OR_RETURN(req.name, rule.String("name"));
    ASSIGN_OR_RETURN(req.event_pattern, rule.Json("pattern"));
    ASSIGN_OR_RETURN(req.description, rule.String("description", ""));
    auto arn = t.events->PutRule(req);
    if (!arn.ok()) return arn.status().WithContext(rule.Where() + ": rule " + req.name);
    ++sum.rules;
    ASSIGN_OR_RETURN(auto targets, rule.List("targets"));
    std::vector<aws::EventTarget> list;
    for (const ConfigNode& target : targets) {
      RETURN_IF_ERROR(target.CheckKeys({"queue", "id", "input_path"}));
      aws::EventTarget et;
      ASSIGN_OR_RETURN(std::string queue, target.String("queue"));
      ASSIGN_OR_RETURN(et.id, target.String("id", queue));
      ASSIGN_OR_RETURN(et.input_path, target.String("input_path", ""));
      et.arn = QueueArn(t, queue);
      list.push_back(std::move(et));
    }
    if (!list.empty()) {
      auto r = t.events->PutTargets(req.name, "", list);
      if (!r.ok()) return r.status().WithContext(rule.Where() + ": targets of " + req.name);
      if (r->failed_entry_count > 0)
        return InvalidArgumentError(rule.Where() + ": target " + r->failed_entries[0].target_id +
                                    " of " + req.name + ": " + r->failed_entries[0].error_message);
      sum.targets += static_cast<int>(list.size());
    }
  }
  return Status::Ok();
}

Status ApplyBuckets(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto buckets, setup.List("buckets"));
  if (!buckets.empty() && !t.buckets)
    return FailedPreconditionError("buckets: this region has no S3");
  for (const ConfigNode& b : buckets) {
    RETURN_IF_ERROR(b.CheckKeys({"name", "notifications"}));
    ASSIGN_OR_RETURN(std::string name, b.String("name"));
    if (t.buckets->HeadBucket(name).code() == StatusCode::kNotFound)
      RETURN_IF_ERROR(t.buckets->CreateBucket(name).WithContext(b.Where() + ": bucket " + name));
    ASSIGN_OR_RETURN(auto notes, b.List("notifications"));
    std::vector<S3QueueNotification> list;
    for (const ConfigNode& n : notes) {
      RETURN_IF_ERROR(n.CheckKeys({"queue", "events", "prefix", "suffix", "id"}));
      S3QueueNotification qn;
      ASSIGN_OR_RETURN(std::string queue, n.String("queue"));
      qn.queue_arn = QueueArn(t, queue);
      ASSIGN_OR_RETURN(qn.id, n.String("id", name + "-to-" + queue));
      ASSIGN_OR_RETURN(qn.events, n.StringList("events"));
      if (qn.events.empty()) qn.events = {"s3:ObjectCreated:*"};
      ASSIGN_OR_RETURN(qn.prefix, n.String("prefix", ""));
      ASSIGN_OR_RETURN(qn.suffix, n.String("suffix", ""));
      list.push_back(std::move(qn));
    }
    if (!list.empty())
      RETURN_IF_ERROR(t.buckets->PutBucketNotificationConfiguration(name, list)
                          .WithContext(b.Where() + ": notifications of " + name));
    ++sum.buckets;
  }
  return Status::Ok();
}

// The fleet (region part 2).

Status NoModel(const char* section, const char* service) {
  return FailedPreconditionError(std::string(section) + ": this region has no " + service);
}

// `status` with the place of `node` and what it was about.
Status At(const ConfigNode& node, const std::string& what, const Status& status) {
  return status.WithContext(node.Where() + ": " + what);
}

Result<int> IntOf(const ConfigNode& n, std::string_view key, std::optional<int64_t> fallback = {}) {
  ASSIGN_OR_RETURN(int64_t v, n.Int(key, fallback));
  if (v < INT32_MIN || v > INT32_MAX)
    return InvalidArgumentError(n.Where() + ": " + std::string(key) + ": out of range");
  return static_cast<int>(v);
}

Result<std::string> TargetGroupArn(SetupTargets& t, const ConfigNode& at, const std::string& ref) {
  if (ref.rfind("arn:", 0) == 0) return ref;
  if (!t.elbv2) return FailedPreconditionError(at.Where() + ": this region has no ELBv2");
  ASSIGN_OR_RETURN(auto groups, t.elbv2->DescribeTargetGroups({}, {}));
  for (const auto& g : groups)
    if (g.target_group_name == ref) return g.target_group_arn;
  return NotFoundError(at.Where() + ": no target group named '" + ref +
                       "' (declare it under target_groups)");
}

Status ApplyClusters(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto clusters, setup.List("clusters"));
  if (clusters.empty()) return Status::Ok();
  if (!t.ecs) return NoModel("clusters", "ECS");
  for (const ConfigNode& c : clusters) {
    RETURN_IF_ERROR(c.CheckKeys({"name"}));
    ASSIGN_OR_RETURN(std::string name, c.String("name"));
    ASSIGN_OR_RETURN(auto existing, t.ecs->DescribeClusters({name}));
    bool active = false;
    for (const auto& e : existing.items) active |= e.status == "ACTIVE";
    if (!active) {
      auto created = t.ecs->CreateCluster(name, {});
      if (!created.ok()) return At(c, "cluster " + name, created.status());
      ++sum.fleet_changes;
    }
    ++sum.clusters;
  }
  return Status::Ok();
}

Result<aws::ContainerDefinition> ParseContainer(const ConfigNode& c) {
  RETURN_IF_ERROR(c.CheckKeys({"name", "image", "cpu", "memory", "memory_reservation", "essential",
                               "ports", "environment", "command"}));
  aws::ContainerDefinition d;
  ASSIGN_OR_RETURN(d.name, c.String("name"));
  ASSIGN_OR_RETURN(d.image, c.String("image"));
  ASSIGN_OR_RETURN(d.cpu, IntOf(c, "cpu", 0));
  if (c.Has("memory")) {
    ASSIGN_OR_RETURN(int m, IntOf(c, "memory"));
    d.memory = m;
  }
  if (c.Has("memory_reservation")) {
    ASSIGN_OR_RETURN(int m, IntOf(c, "memory_reservation"));
    d.memory_reservation = m;
  }
  ASSIGN_OR_RETURN(d.essential, c.Bool("essential", true));
  ASSIGN_OR_RETURN(auto ports, c.List("ports"));
  for (const ConfigNode& p : ports) {
    RETURN_IF_ERROR(p.CheckKeys({"container_port", "host_port", "protocol"}));
    aws::PortMapping pm;
    ASSIGN_OR_RETURN(pm.container_port, IntOf(p, "container_port"));
    ASSIGN_OR_RETURN(pm.host_port, IntOf(p, "host_port", 0));
    ASSIGN_OR_RETURN(pm.protocol, p.String("protocol", "tcp"));
    d.port_mappings.push_back(pm);
  }
  ConfigNode env = c.Child("environment");
  for (const std::string& k : env.Keys()) {
    ASSIGN_OR_RETURN(std::string v, env.String(k));
    d.environment.push_back({k, v});
  }
  ASSIGN_OR_RETURN(d.command, c.StringList("command"));
  return d;
}

bool SameContainer(const aws::ContainerDefinition& a, const aws::ContainerDefinition& b) {
  if (a.port_mappings.size() != b.port_mappings.size()) return false;
  for (size_t i = 0; i < a.port_mappings.size(); ++i) {
    const auto &x = a.port_mappings[i], &y = b.port_mappings[i];
    if (x.container_port != y.container_port || x.host_port != y.host_port ||
        x.protocol != y.protocol)
      return false;
  }
  return a.name == b.name && a.image == b.image && a.cpu == b.cpu && a.memory == b.memory &&
         a.memory_reservation == b.memory_reservation && a.essential == b.essential &&
         a.environment == b.environment && a.command == b.command;
}

bool SameTaskDefinition(const aws::TaskDefinition& td,
                        const aws::RegisterTaskDefinitionRequest& r) {
  if (td.status != "ACTIVE" || td.network_mode != r.network_mode || td.cpu != r.cpu ||
      td.memory != r.memory || td.container_definitions.size() != r.container_definitions.size())
    return false;
  for (size_t i = 0; i < r.container_definitions.size(); ++i)
    if (!SameContainer(td.container_definitions[i], r.container_definitions[i])) return false;
  return true;
}

Status ApplyTaskDefinitions(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto defs, setup.List("task_definitions"));
  if (defs.empty()) return Status::Ok();
  if (!t.ecs) return NoModel("task_definitions", "ECS");
  for (const ConfigNode& d : defs) {
    RETURN_IF_ERROR(d.CheckKeys({"family", "network_mode", "cpu", "memory", "containers"}));
    aws::RegisterTaskDefinitionRequest req;
    ASSIGN_OR_RETURN(req.family, d.String("family"));
    ASSIGN_OR_RETURN(req.network_mode, d.String("network_mode", "bridge"));
    ASSIGN_OR_RETURN(req.cpu, d.String("cpu", ""));
    ASSIGN_OR_RETURN(req.memory, d.String("memory", ""));
    ASSIGN_OR_RETURN(auto containers, d.List("containers"));
    if (containers.empty())
      return InvalidArgumentError(d.Where() + ": task definition " + req.family +
                                  ": containers: at least one container is required");
    for (const ConfigNode& c : containers) {
      ASSIGN_OR_RETURN(aws::ContainerDefinition cd, ParseContainer(c));
      req.container_definitions.push_back(std::move(cd));
    }
    // The family's latest revision (an error when there is none yet).
    auto latest = t.ecs->DescribeTaskDefinition(req.family);
    if (!latest.ok() || !SameTaskDefinition(*latest, req)) {
      auto registered = t.ecs->RegisterTaskDefinition(req);
      if (!registered.ok()) return At(d, "task definition " + req.family, registered.status());
      ++sum.fleet_changes;
    }
    ++sum.task_definitions;
  }
  return Status::Ok();
}

Status ApplyTargetGroups(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto groups, setup.List("target_groups"));
  if (groups.empty()) return Status::Ok();
  if (!t.elbv2) return NoModel("target_groups", "ELBv2");
  for (const ConfigNode& g : groups) {
    RETURN_IF_ERROR(g.CheckKeys(
        {"name", "port", "protocol", "health_check", "deregistration_delay", "traffic"}));
    aws::CreateTargetGroupRequest req;
    ASSIGN_OR_RETURN(req.name, g.String("name"));
    ASSIGN_OR_RETURN(req.port, IntOf(g, "port", 80));
    ASSIGN_OR_RETURN(req.protocol, g.String("protocol", "HTTP"));
    ConfigNode hc = g.Child("health_check");
    RETURN_IF_ERROR(hc.CheckKeys({"path", "interval_seconds", "timeout_seconds",
                                  "healthy_threshold", "unhealthy_threshold"}));
    ASSIGN_OR_RETURN(req.health_check_path, hc.String("path", "/"));
    ASSIGN_OR_RETURN(req.health_check_interval_seconds, IntOf(hc, "interval_seconds", 30));
    ASSIGN_OR_RETURN(req.health_check_timeout_seconds, IntOf(hc, "timeout_seconds", 5));
    ASSIGN_OR_RETURN(req.healthy_threshold_count, IntOf(hc, "healthy_threshold", 5));
    ASSIGN_OR_RETURN(req.unhealthy_threshold_count, IntOf(hc, "unhealthy_threshold", 2));
    std::string what = "target group " + req.name;

    ASSIGN_OR_RETURN(auto all, t.elbv2->DescribeTargetGroups({}, {}));
    std::string arn;
    for (const auto& e : all)
      if (e.target_group_name == req.name) arn = e.target_group_arn;
    if (arn.empty()) {
      auto created = t.elbv2->CreateTargetGroup(req);
      if (!created.ok()) return At(g, what, created.status());
      arn = created->target_group_arn;
      ++sum.fleet_changes;
    }
    if (g.Has("deregistration_delay")) {
      ASSIGN_OR_RETURN(Duration delay, g.Dur("deregistration_delay"));
      std::string secs =
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(delay).count());
      auto attrs = t.elbv2->DescribeTargetGroupAttributes(arn);
      if (!attrs.ok()) return At(g, what, attrs.status());
      auto it = attrs->find("deregistration_delay.timeout_seconds");
      if (it == attrs->end() || it->second != secs) {
        auto changed = t.elbv2->ModifyTargetGroupAttributes(
            arn, {{"deregistration_delay.timeout_seconds", secs}});
        if (!changed.ok()) return At(g, what + ": deregistration_delay", changed.status());
        ++sum.fleet_changes;
      }
    }
    if (g.Has("traffic")) {
      ConfigNode tr = g.Child("traffic");
      RETURN_IF_ERROR(tr.CheckKeys({"requests_per_second", "request_seconds"}));
      ASSIGN_OR_RETURN(double rps, tr.Double("requests_per_second"));
      ASSIGN_OR_RETURN(double secs, tr.Double("request_seconds", 0.1));
      auto now = t.elbv2->Traffic(arn);
      if (!now.ok()) return At(tr, what, now.status());
      if (now->requests_per_second != rps || now->request_seconds != secs) {
        if (Status s = t.elbv2->SetTraffic(arn, rps, secs); !s.ok())
          return At(tr, what + ": traffic", s);
        ++sum.fleet_changes;
      }
    }
    ++sum.target_groups;
  }
  return Status::Ok();
}

bool SameTemplate(const std::optional<aws::AsgLaunchTemplate>& a, const aws::AsgLaunchTemplate& b) {
  return a && a->instance_type == b.instance_type && a->user_data == b.user_data &&
         a->launch_template_name == b.launch_template_name;
}

bool SamePolicy(const std::optional<aws::MixedInstancesPolicy>& a,
                const aws::MixedInstancesPolicy& b) {
  if (!a || !SameTemplate(a->launch_template, b.launch_template) || a->overrides != b.overrides)
    return false;
  const auto &x = a->instances_distribution, &y = b.instances_distribution;
  return x.on_demand_base_capacity == y.on_demand_base_capacity &&
         x.on_demand_percentage_above_base_capacity == y.on_demand_percentage_above_base_capacity &&
         x.spot_allocation_strategy == y.spot_allocation_strategy;
}

Status ApplyHooks(const ConfigNode& g, const std::string& group, SetupTargets& t,
                  SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto hooks, g.List("lifecycle_hooks"));
  if (hooks.empty()) return Status::Ok();
  auto existing = t.autoscaling->DescribeLifecycleHooks(group, {});
  if (!existing.ok()) return At(g, "group " + group, existing.status());
  for (const ConfigNode& h : hooks) {
    RETURN_IF_ERROR(h.CheckKeys(
        {"name", "transition", "heartbeat_timeout", "default_result", "notification_queue"}));
    aws::LifecycleHook hook;
    hook.auto_scaling_group_name = group;
    ASSIGN_OR_RETURN(hook.lifecycle_hook_name, h.String("name"));
    ASSIGN_OR_RETURN(hook.lifecycle_transition,
                     h.String("transition", "autoscaling:EC2_INSTANCE_TERMINATING"));
    ASSIGN_OR_RETURN(Duration hb, h.Dur("heartbeat_timeout", std::chrono::hours(1)));
    hook.heartbeat_timeout =
        static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(hb).count());
    ASSIGN_OR_RETURN(hook.default_result, h.String("default_result", "ABANDON"));
    ASSIGN_OR_RETURN(std::string queue, h.String("notification_queue", ""));
    if (!queue.empty()) hook.notification_target_arn = QueueArn(t, queue);
    bool same = false;
    for (const auto& e : *existing)
      same |= e.lifecycle_hook_name == hook.lifecycle_hook_name &&
              e.lifecycle_transition == hook.lifecycle_transition &&
              e.heartbeat_timeout == hook.heartbeat_timeout &&
              e.default_result == hook.default_result &&
              e.notification_target_arn == hook.notification_target_arn;
    if (same) continue;
    if (Status s = t.autoscaling->PutLifecycleHook(hook); !s.ok())
      return At(h, "lifecycle hook " + hook.lifecycle_hook_name, s);
    ++sum.fleet_changes;
  }
  return Status::Ok();
}

Status ApplyGroups(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto groups, setup.List("auto_scaling_groups"));
  if (groups.empty()) return Status::Ok();
  if (!t.autoscaling) return NoModel("auto_scaling_groups", "Auto Scaling");
  for (const ConfigNode& g : groups) {
    RETURN_IF_ERROR(
        g.CheckKeys({"name", "cluster", "instance_types", "mixed_instances_policy", "min", "max",
                     "desired", "availability_zones", "lifecycle_hooks", "target_groups"}));
    ASSIGN_OR_RETURN(std::string name, g.String("name"));
    std::string what = "auto scaling group " + name;
    ASSIGN_OR_RETURN(std::string cluster, g.String("cluster", ""));
    ASSIGN_OR_RETURN(auto types, g.StringList("instance_types"));
    if (types.empty()) types = {"m5.large"};
    aws::AsgLaunchTemplate lt{.launch_template_name = name + "-template",
                              .instance_type = types[0],
                              .user_data = cluster.empty() ? "" : "ECS_CLUSTER=" + cluster};
    std::optional<aws::MixedInstancesPolicy> mixed;
    if (g.Has("mixed_instances_policy")) {
      ConfigNode m = g.Child("mixed_instances_policy");
      RETURN_IF_ERROR(
          m.CheckKeys({"on_demand_base_capacity", "on_demand_percentage_above_base_capacity",
                       "spot_allocation_strategy"}));
      aws::MixedInstancesPolicy p;
      p.launch_template = lt;
      p.overrides = types;
      auto& d = p.instances_distribution;
      ASSIGN_OR_RETURN(d.on_demand_base_capacity, IntOf(m, "on_demand_base_capacity", 0));
      ASSIGN_OR_RETURN(d.on_demand_percentage_above_base_capacity,
                       IntOf(m, "on_demand_percentage_above_base_capacity", 100));
      ASSIGN_OR_RETURN(d.spot_allocation_strategy,
                       m.String("spot_allocation_strategy", "lowest-price"));
      mixed = p;
    } else if (types.size() > 1) {
      return InvalidArgumentError(g.Where() + ": " + what +
                                  ": instance_types: several types need a mixed_instances_policy");
    }
    ASSIGN_OR_RETURN(int min, IntOf(g, "min", 0));
    ASSIGN_OR_RETURN(int max, IntOf(g, "max", std::max(min, 1)));
    std::optional<int> desired;
    if (g.Has("desired")) {
      ASSIGN_OR_RETURN(int d, IntOf(g, "desired"));
      desired = d;
    }
    ASSIGN_OR_RETURN(auto zones, g.StringList("availability_zones"));
    if (zones.empty()) zones = {t.region + "a", t.region + "b", t.region + "c"};
    ASSIGN_OR_RETURN(auto tg_names, g.StringList("target_groups"));
    for (const auto& tg : tg_names) RETURN_IF_ERROR(TargetGroupArn(t, g, tg).status());

    auto existing = t.autoscaling->DescribeAutoScalingGroups({name});
    if (!existing.ok()) return At(g, what, existing.status());
    if (existing->empty()) {
      aws::CreateAutoScalingGroupRequest req;
      req.auto_scaling_group_name = name;
      if (mixed)
        req.mixed_instances_policy = mixed;
      else
        req.launch_template = lt;
      req.min_size = min;
      req.max_size = max;
      req.desired_capacity = desired;
      req.availability_zones = zones;
      if (Status s = t.autoscaling->CreateAutoScalingGroup(req); !s.ok()) return At(g, what, s);
      ++sum.fleet_changes;
    } else {
      const aws::AutoScalingGroup& e = existing->front();
      aws::UpdateAutoScalingGroupRequest req;
      req.auto_scaling_group_name = name;
      bool change = false;
      if (e.min_size != min) req.min_size = min, change = true;
      if (e.max_size != max) req.max_size = max, change = true;
      if (desired && e.desired_capacity != *desired) req.desired_capacity = desired, change = true;
      if (mixed && !SamePolicy(e.mixed_instances_policy, *mixed))
        req.mixed_instances_policy = mixed, change = true;
      if (!mixed && !SameTemplate(e.launch_template, lt)) req.launch_template = lt, change = true;
      if (change) {
        if (Status s = t.autoscaling->UpdateAutoScalingGroup(req); !s.ok()) return At(g, what, s);
        ++sum.fleet_changes;
      }
    }
    RETURN_IF_ERROR(ApplyHooks(g, name, t, sum));
    ++sum.auto_scaling_groups;
  }
  return Status::Ok();
}

constexpr char kFleetTag[] = "steady:spot-fleet";

bool NamedFleet(const aws::SpotFleetRequestConfig& f, const std::string& name) {
  if (f.spot_fleet_request_state.rfind("cancelled", 0) == 0) return false;
  for (const auto& spec : f.config.launch_specifications)
    for (const auto& tag : spec.tags)
      if (tag.key == kFleetTag && tag.value == name) return true;
  return false;
}

Status ApplySpotFleets(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto fleets, setup.List("spot_fleets"));
  if (fleets.empty()) return Status::Ok();
  if (!t.ec2) return NoModel("spot_fleets", "EC2");
  for (const ConfigNode& f : fleets) {
    RETURN_IF_ERROR(f.CheckKeys(
        {"name", "cluster", "target_capacity", "allocation_strategy", "type", "instance_types"}));
    ASSIGN_OR_RETURN(std::string name, f.String("name"));
    std::string what = "spot fleet " + name;
    ASSIGN_OR_RETURN(std::string cluster, f.String("cluster", ""));
    aws::SpotFleetRequestConfigData config;
    config.iam_fleet_role =
        "arn:aws:iam::" + t.account_id + ":role/aws-ec2-spot-fleet-tagging-role";
    ASSIGN_OR_RETURN(config.target_capacity, IntOf(f, "target_capacity"));
    ASSIGN_OR_RETURN(config.allocation_strategy, f.String("allocation_strategy", "lowestPrice"));
    ASSIGN_OR_RETURN(config.type, f.String("type", "maintain"));
    ASSIGN_OR_RETURN(auto types, f.List("instance_types"));
    if (types.empty())
      return InvalidArgumentError(f.Where() + ": " + what +
                                  ": instance_types: at least one {type, weight} is required");
    for (const ConfigNode& ty : types) {
      RETURN_IF_ERROR(ty.CheckKeys({"type", "weight"}));
      aws::SpotFleetLaunchSpecification spec;
      ASSIGN_OR_RETURN(spec.instance_type, ty.String("type"));
      ASSIGN_OR_RETURN(double w, ty.Double("weight", 1));
      spec.weighted_capacity = w;
      spec.user_data = cluster.empty() ? "" : "ECS_CLUSTER=" + cluster;
      spec.tags = {{kFleetTag, name}};
      config.launch_specifications.push_back(std::move(spec));
    }
    ASSIGN_OR_RETURN(auto all, t.ec2->DescribeSpotFleetRequests({}));
    const aws::SpotFleetRequestConfig* found = nullptr;
    for (const auto& e : all)
      if (NamedFleet(e, name)) found = &e;
    if (!found) {
      auto id = t.ec2->RequestSpotFleet(config);
      if (!id.ok()) return At(f, what, id.status());
      ++sum.fleet_changes;
    } else {
      const auto& have = found->config.launch_specifications;
      bool same = have.size() == config.launch_specifications.size();
      for (size_t i = 0; same && i < have.size(); ++i) {
        const auto& want = config.launch_specifications[i];
        same = have[i].instance_type == want.instance_type &&
               have[i].weighted_capacity.value_or(1) == want.weighted_capacity.value_or(1) &&
               have[i].user_data == want.user_data;
      }
      if (!same || found->config.allocation_strategy != config.allocation_strategy ||
          found->config.type != config.type)
        return FailedPreconditionError(
            f.Where() + ": " + what + " (" + found->spot_fleet_request_id +
            "): only target_capacity can change on a running spot fleet; give the fleet a new "
            "name to replace it");
      if (found->config.target_capacity != config.target_capacity) {
        if (Status s = t.ec2->ModifySpotFleetRequest(found->spot_fleet_request_id,
                                                     config.target_capacity, "");
            !s.ok())
          return At(f, what + ": target_capacity", s);
        ++sum.fleet_changes;
      }
    }
    ++sum.spot_fleets;
  }
  return Status::Ok();
}

Result<std::vector<aws::PlacementStrategy>> ParseStrategies(const ConfigNode& s) {
  ASSIGN_OR_RETURN(auto list, s.List("placement_strategy"));
  std::vector<aws::PlacementStrategy> out;
  for (const ConfigNode& p : list) {
    RETURN_IF_ERROR(p.CheckKeys({"type", "field"}));
    aws::PlacementStrategy ps;
    ASSIGN_OR_RETURN(ps.type, p.String("type"));
    ASSIGN_OR_RETURN(ps.field, p.String("field", ""));
    out.push_back(ps);
  }
  return out;
}

Result<std::vector<aws::PlacementConstraint>> ParseConstraints(const ConfigNode& s) {
  ASSIGN_OR_RETURN(auto list, s.List("placement_constraints"));
  std::vector<aws::PlacementConstraint> out;
  for (const ConfigNode& p : list) {
    RETURN_IF_ERROR(p.CheckKeys({"type", "expression"}));
    aws::PlacementConstraint pc;
    ASSIGN_OR_RETURN(pc.type, p.String("type"));
    ASSIGN_OR_RETURN(pc.expression, p.String("expression", ""));
    out.push_back(pc);
  }
  return out;
}

bool SameStrategies(const std::vector<aws::PlacementStrategy>& a,
                    const std::vector<aws::PlacementStrategy>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.type == y.type && x.field == y.field;
  });
}

bool SameConstraints(const std::vector<aws::PlacementConstraint>& a,
                     const std::vector<aws::PlacementConstraint>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.type == y.type && x.expression == y.expression;
  });
}

Status ApplyServices(const ConfigNode& setup, SetupTargets& t, SetupSummary& sum) {
  ASSIGN_OR_RETURN(auto services, setup.List("services"));
  if (services.empty()) return Status::Ok();
  if (!t.ecs) return NoModel("services", "ECS");
  for (const ConfigNode& s : services) {
    RETURN_IF_ERROR(s.CheckKeys({"name", "cluster", "task_definition", "desired_count",
                                 "target_group", "container_name", "container_port",
                                 "placement_strategy", "placement_constraints", "deployment"}));
    ASSIGN_OR_RETURN(std::string name, s.String("name"));
    std::string what = "service " + name;
    ASSIGN_OR_RETURN(std::string cluster, s.String("cluster", "default"));
    ASSIGN_OR_RETURN(std::string family, s.String("task_definition"));
    auto td = t.ecs->DescribeTaskDefinition(family);
    if (!td.ok()) return At(s, what + ": task_definition " + family, td.status());
    std::optional<int> desired;
    if (s.Has("desired_count")) {
      ASSIGN_OR_RETURN(int d, IntOf(s, "desired_count"));
      desired = d;
    }
    std::vector<aws::EcsLoadBalancer> lbs;
    if (s.Has("target_group")) {
      ASSIGN_OR_RETURN(std::string tg, s.String("target_group"));
      aws::EcsLoadBalancer lb;
      ASSIGN_OR_RETURN(lb.target_group_arn, TargetGroupArn(t, s, tg));
      ASSIGN_OR_RETURN(lb.container_name, s.String("container_name"));
      ASSIGN_OR_RETURN(lb.container_port, IntOf(s, "container_port"));
      lbs.push_back(lb);
    }
    ASSIGN_OR_RETURN(auto strategies, ParseStrategies(s));
    ASSIGN_OR_RETURN(auto constraints, ParseConstraints(s));
    aws::DeploymentConfiguration deploy;
    ConfigNode dn = s.Child("deployment");
    RETURN_IF_ERROR(dn.CheckKeys({"minimum_healthy_percent", "maximum_percent"}));
    ASSIGN_OR_RETURN(deploy.minimum_healthy_percent, IntOf(dn, "minimum_healthy_percent", 100));
    ASSIGN_OR_RETURN(deploy.maximum_percent, IntOf(dn, "maximum_percent", 200));

    auto existing = t.ecs->DescribeServices(cluster, {name});
    if (!existing.ok()) return At(s, what + " in cluster " + cluster, existing.status());
    const aws::EcsService* e = nullptr;
    for (const auto& item : existing->items)
      if (item.status == "ACTIVE") e = &item;
    if (!e) {
      aws::CreateServiceRequest req;
      req.cluster = cluster;
      req.service_name = name;
      req.task_definition = td->task_definition_arn;
      req.desired_count = desired.value_or(1);
      req.load_balancers = lbs;
      req.placement_strategy = strategies;
      req.placement_constraints = constraints;
      req.deployment_configuration = deploy;
      auto created = t.ecs->CreateService(req);
      if (!created.ok()) return At(s, what, created.status());
      ++sum.fleet_changes;
    } else {
      if (s.Has("target_group")) {
        bool same_lb = e->load_balancers.size() == lbs.size();
        for (size_t i = 0; same_lb && i < lbs.size(); ++i)
          same_lb = e->load_balancers[i].target_group_arn == lbs[i].target_group_arn &&
                    e->load_balancers[i].container_name == lbs[i].container_name &&
                    e->load_balancers[i].container_port == lbs[i].container_port;
        if (!same_lb)
          return FailedPreconditionError(s.Where() + ": " + what +
                                         ": target_group: a service's load balancer cannot "
                                         "change; give the service a new name to replace it");
      }
      aws::UpdateServiceRequest req;
      req.cluster = cluster;
      req.service = name;
      bool change = false;
      if (e->task_definition != td->task_definition_arn)
        req.task_definition = td->task_definition_arn, change = true;
      if (desired && e->desired_count != *desired) req.desired_count = desired, change = true;
      if (s.Has("placement_strategy") && !SameStrategies(e->placement_strategy, strategies))
        req.placement_strategy = strategies, change = true;
      if (s.Has("placement_constraints") && !SameConstraints(e->placement_constraints, constraints))
        req.placement_constraints = constraints, change = true;
      const auto& have = e->deployment_configuration;
      if (s.Has("deployment") && (have.minimum_healthy_percent != deploy.minimum_healthy_percent ||
                                  have.maximum_percent != deploy.maximum_percent)) {
        aws::DeploymentConfiguration next = have;
        next.minimum_healthy_percent = deploy.minimum_healthy_percent;
        next.maximum_percent = deploy.maximum_percent;
        req.deployment_configuration = next;
        change = true;
      }
      if (change) {
        auto updated = t.ecs->UpdateService(req);
        if (!updated.ok()) return At(s, what, updated.status());
        ++sum.fleet_changes;
      }
    }
    ++sum.services;
  }
  return Status::Ok();
}

}  // namespace

Result<SetupSummary> ApplySetup(const ConfigNode& setup, SetupTargets& targets) {
  RETURN_IF_ERROR(
      setup.CheckKeys({"queues", "topics", "rules", "buckets", "clusters", "task_definitions",
                       "target_groups", "auto_scaling_groups", "spot_fleets", "services"}));
  SetupSummary sum;
  RETURN_IF_ERROR(ApplyQueues(setup, targets, sum));
  RETURN_IF_ERROR(ApplyTopics(setup, targets, sum));
  RETURN_IF_ERROR(ApplyRules(setup, targets, sum));
  RETURN_IF_ERROR(ApplyBuckets(setup, targets, sum));
  RETURN_IF_ERROR(ApplyClusters(setup, targets, sum));
  RETURN_IF_ERROR(ApplyTaskDefinitions(setup, targets, sum));
  RETURN_IF_ERROR(ApplyTargetGroups(setup, targets, sum));
  RETURN_IF_ERROR(ApplyGroups(setup, targets, sum));
  RETURN_IF_ERROR(ApplySpotFleets(setup, targets, sum));
  RETURN_IF_ERROR(ApplyServices(setup, targets, sum));
  return sum;
}

}  // namespace steady::region
