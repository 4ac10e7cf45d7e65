#include "aws/ec2_client.h"

#include <charconv>

#include "aws/protocol_query.h"
#include "aws/protocol_xml.h"
#include "base/base64.h"
#include "base/time_format.h"

namespace steady::aws {

namespace {

constexpr std::string_view kVersion = "2016-11-15";
constexpr QueryListStyle kEc2 = QueryListStyle::kEc2;

Status Malformed(std::string_view op, std::string_view what) {
  return DataLossError(std::string(op) + ": unexpected response shape: " + std::string(what));
}

// Sends `params` and returns the <ActionResponse> root (ec2Query has no Result wrapper).
Result<XmlElement> Call(AwsTransport& transport, const QueryParams& params) {
  const std::string& op = params.action();
  ASSIGN_OR_RETURN(net::HttpResponse resp, transport.Send(op, params.ToRequest()));
  ASSIGN_OR_RETURN(QueryResponse r, ParseQueryResponse(Protocol::kEc2Query, resp.body, op));
  if (r.result.name != op + "Response")
    return Malformed(op, "root element <" + r.result.name + ">, expected <" + op + "Response>");
  return std::move(r.result);
}

// An integer child: absent → `fallback`; present but not an integer → kDataLoss.
Result<int64_t> Int(std::string_view op, const XmlElement& parent, std::string_view name,
                    int64_t fallback = 0) {
  const XmlElement* e = parent.Child(name);
  if (!e) return fallback;
  int64_t v = 0;
  const std::string& s = e->text;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    return Malformed(op, "<" + e->name + "> is not an integer: \"" + s + "\"");
  return v;
}

Result<std::optional<double>> OptDouble(std::string_view op, const XmlElement& parent,
                                        std::string_view name) {
  const XmlElement* e = parent.Child(name);
  if (!e) return std::optional<double>();
  std::optional<double> d = parent.ChildDouble(name);
  if (!d) return Malformed(op, "<" + e->name + "> is not a number: \"" + e->text + "\"");
  return d;
}

Result<Time> Timestamp(std::string_view op, const XmlElement& parent, std::string_view name) {
  const XmlElement* e = parent.Child(name);
  if (!e) return Time{};
  Result<Time> t = ParseRfc3339(e->text);
  if (!t.ok()) return Malformed(op, "<" + e->name + "> is not a timestamp: \"" + e->text + "\"");
  return *t;
}

Result<InstanceState> StateFrom(std::string_view op, const XmlElement& parent,
                                std::string_view name) {
  InstanceState s;
  const XmlElement* e = parent.Child(name);
  if (!e) return Malformed(op, "no <" + std::string(name) + ">");
  ASSIGN_OR_RETURN(int64_t code, Int(op, *e, "code"));
  s.code = static_cast<int>(code);
  s.name = e->ChildText("name");
  return s;
}

std::vector<Ec2Tag> TagsFrom(const XmlElement& parent, std::string_view list = "tagSet") {
  std::vector<Ec2Tag> out;
  for (const XmlElement* t : parent.List(list, "item"))
    out.push_back({t->ChildText("key"), t->ChildText("value")});
  return out;
}

void AddStrings(QueryParams& p, std::string_view name, const std::vector<std::string>& values) {
  p.AddList(name, values, kEc2);
}

}  // namespace

ServiceInfo Ec2Service() { return {"EC2", "ec2", "ec2", Protocol::kEc2Query}; }

Result<std::vector<Reservation>> Ec2Client::DescribeInstances(
    const DescribeInstancesRequest& request) {
  std::vector<Reservation> out;
  std::string token;
  do {
    QueryParams p("DescribeInstances", kVersion);
    for (size_t i = 0; i < request.filters.size(); ++i) {
      std::string f = QueryParams::ListKey("Filter", i + 1, kEc2);
      p.Add(f + ".Name", request.filters[i].name);
      AddStrings(p, f + ".Value", request.filters[i].values);
    }
    AddStrings(p, "InstanceId", request.instance_ids);
    if (!token.empty()) p.Add("NextToken", token);
    const std::string& op = p.action();
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* res : r.List("reservationSet", "item")) {
      Reservation rv;
      rv.reservation_id = res->ChildText("reservationId");
      rv.owner_id = res->ChildText("ownerId");
      for (const XmlElement* it : res->List("instancesSet", "item")) {
        Ec2Instance i;
        i.instance_id = it->ChildText("instanceId");
        if (i.instance_id.empty()) return Malformed(op, "an instance without an instanceId");
        i.image_id = it->ChildText("imageId");
        i.instance_type = it->ChildText("instanceType");
        ASSIGN_OR_RETURN(i.state, StateFrom(op, *it, "instanceState"));
        i.private_ip_address = it->ChildText("privateIpAddress");
        if (const XmlElement* pl = it->Child("placement"))
          i.availability_zone = pl->ChildText("availabilityZone");
        i.instance_lifecycle = it->ChildText("instanceLifecycle");
        i.spot_instance_request_id = it->ChildText("spotInstanceRequestId");
        ASSIGN_OR_RETURN(i.launch_time, Timestamp(op, *it, "launchTime"));
        i.state_transition_reason = it->ChildText("reason");
        i.tags = TagsFrom(*it);
        rv.instances.push_back(std::move(i));
      }
      out.push_back(std::move(rv));
    }
    token = r.ChildText("nextToken");
  } while (!token.empty());
  return out;
}

Result<std::vector<InstanceStateChange>> Ec2Client::TerminateInstances(
    const std::vector<std::string>& instance_ids) {
  QueryParams p("TerminateInstances", kVersion);
  AddStrings(p, "InstanceId", instance_ids);
  const std::string& op = p.action();
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  std::vector<InstanceStateChange> out;
  for (const XmlElement* it : r.List("instancesSet", "item")) {
    InstanceStateChange c;
    c.instance_id = it->ChildText("instanceId");
    ASSIGN_OR_RETURN(c.current_state, StateFrom(op, *it, "currentState"));
    ASSIGN_OR_RETURN(c.previous_state, StateFrom(op, *it, "previousState"));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<InstanceTypeInfo>> Ec2Client::DescribeInstanceTypes(
    const std::vector<std::string>& instance_types) {
  std::vector<InstanceTypeInfo> out;
  std::string token;
  do {
    QueryParams p("DescribeInstanceTypes", kVersion);
    AddStrings(p, "InstanceType", instance_types);
    if (!token.empty()) p.Add("NextToken", token);
    const std::string& op = p.action();
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* it : r.List("instanceTypeSet", "item")) {
      InstanceTypeInfo t;
      t.instance_type = it->ChildText("instanceType");
      if (const XmlElement* v = it->Child("vCpuInfo")) {
        ASSIGN_OR_RETURN(int64_t n, Int(op, *v, "defaultVCpus"));
        t.default_vcpus = static_cast<int>(n);
      }
      if (const XmlElement* m = it->Child("memoryInfo")) {
        ASSIGN_OR_RETURN(t.size_in_mib, Int(op, *m, "sizeInMiB"));
      }
      out.push_back(std::move(t));
    }
    token = r.ChildText("nextToken");
  } while (!token.empty());
  return out;
}

Result<std::string> Ec2Client::RequestSpotFleet(const SpotFleetRequestConfigData& config) {
  QueryParams p("RequestSpotFleet", kVersion);
  const std::string c = "SpotFleetRequestConfig.";
  if (!config.allocation_strategy.empty())
    p.Add(c + "AllocationStrategy", config.allocation_strategy);
  if (config.excess_capacity_termination_policy != "default")
    p.Add(c + "ExcessCapacityTerminationPolicy", config.excess_capacity_termination_policy);
  p.Add(c + "IamFleetRole", config.iam_fleet_role);
  for (size_t i = 0; i < config.launch_specifications.size(); ++i) {
    const SpotFleetLaunchSpecification& s = config.launch_specifications[i];
    std::string k = QueryParams::ListKey(c + "LaunchSpecifications", i + 1, kEc2);
    p.Add(k + ".InstanceType", s.instance_type);
    if (!s.availability_zone.empty()) p.Add(k + ".Placement.AvailabilityZone", s.availability_zone);
    if (!s.subnet_id.empty()) p.Add(k + ".SubnetId", s.subnet_id);
    if (!s.user_data.empty()) p.Add(k + ".UserData", Base64Encode(s.user_data));
    if (s.weighted_capacity) p.AddDouble(k + ".WeightedCapacity", *s.weighted_capacity);
    if (!s.tags.empty()) {
      std::string ts = QueryParams::ListKey(k + ".TagSpecificationSet", 1, kEc2);
      p.Add(ts + ".ResourceType", "instance");
      for (size_t t = 0; t < s.tags.size(); ++t) {
        std::string tk = QueryParams::ListKey(ts + ".Tag", t + 1, kEc2);
        p.Add(tk + ".Key", s.tags[t].key).Add(tk + ".Value", s.tags[t].value);
      }
    }
  }
  p.AddInt(c + "TargetCapacity", config.target_capacity);
  if (!config.type.empty()) p.Add(c + "Type", config.type);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  std::string id = r.ChildText("spotFleetRequestId");
  if (id.empty()) return Malformed(p.action(), "no <spotFleetRequestId>");
  return id;
}

Result<std::vector<SpotFleetRequestConfig>> Ec2Client::DescribeSpotFleetRequests(
    const std::vector<std::string>& ids) {
  std::vector<SpotFleetRequestConfig> out;
  std::string token;
  do {
    QueryParams p("DescribeSpotFleetRequests", kVersion);
    AddStrings(p, "SpotFleetRequestId", ids);
    if (!token.empty()) p.Add("NextToken", token);
    const std::string& op = p.action();
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* it : r.List("spotFleetRequestConfigSet", "item")) {
      SpotFleetRequestConfig f;
      f.spot_fleet_request_id = it->ChildText("spotFleetRequestId");
      if (f.spot_fleet_request_id.empty()) return Malformed(op, "a request without an id");
      f.spot_fleet_request_state = it->ChildText("spotFleetRequestState");
      f.activity_status = it->ChildText("activityStatus");
      ASSIGN_OR_RETURN(f.create_time, Timestamp(op, *it, "createTime"));
      if (const XmlElement* c = it->Child("spotFleetRequestConfig")) {
        SpotFleetRequestConfigData& d = f.config;
        ASSIGN_OR_RETURN(int64_t target, Int(op, *c, "targetCapacity"));
        d.target_capacity = static_cast<int>(target);
        ASSIGN_OR_RETURN(std::optional<double> fulfilled, OptDouble(op, *c, "fulfilledCapacity"));
        f.fulfilled_capacity = fulfilled.value_or(0);
        d.iam_fleet_role = c->ChildText("iamFleetRole");
        d.type = c->ChildText("type", d.type);
        d.allocation_strategy = c->ChildText("allocationStrategy", d.allocation_strategy);
        d.excess_capacity_termination_policy =
            c->ChildText("excessCapacityTerminationPolicy", d.excess_capacity_termination_policy);
        for (const XmlElement* ls : c->List("launchSpecifications", "item")) {
          SpotFleetLaunchSpecification s;
          s.instance_type = ls->ChildText("instanceType");
          ASSIGN_OR_RETURN(s.weighted_capacity, OptDouble(op, *ls, "weightedCapacity"));
          if (const XmlElement* pl = ls->Child("placement"))
            s.availability_zone = pl->ChildText("availabilityZone");
          s.subnet_id = ls->ChildText("subnetId");
          if (const XmlElement* ud = ls->Child("userData")) {
            Result<std::string> plain = Base64Decode(ud->text);
            if (!plain.ok()) return Malformed(op, "userData is not base64");
            s.user_data = *plain;
          }
          for (const XmlElement* ts : ls->List("tagSpecificationSet", "item"))
            for (const Ec2Tag& t : TagsFrom(*ts, "tag")) s.tags.push_back(t);
          d.launch_specifications.push_back(std::move(s));
        }
      }
      out.push_back(std::move(f));
    }
    token = r.ChildText("nextToken");
  } while (!token.empty());
  return out;
}

Status Ec2Client::ModifySpotFleetRequest(const std::string& id, int target_capacity,
                                         const std::string& excess_capacity_termination_policy) {
  QueryParams p("ModifySpotFleetRequest", kVersion);
  p.Add("SpotFleetRequestId", id).AddInt("TargetCapacity", target_capacity);
  if (!excess_capacity_termination_policy.empty())
    p.Add("ExcessCapacityTerminationPolicy", excess_capacity_termination_policy);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  if (r.ChildBool("return") == false)
    return FailedPreconditionError("ModifySpotFleetRequest: EC2 answered return=false");
  return Status::Ok();
}

Result<std::vector<ActiveInstance>> Ec2Client::DescribeSpotFleetInstances(const std::string& id) {
  std::vector<ActiveInstance> out;
  std::string token;
  do {
    QueryParams p("DescribeSpotFleetInstances", kVersion);
    p.Add("SpotFleetRequestId", id);
    if (!token.empty()) p.Add("NextToken", token);
    ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
    for (const XmlElement* it : r.List("activeInstanceSet", "item")) {
      ActiveInstance a;
      a.instance_id = it->ChildText("instanceId");
      a.instance_type = it->ChildText("instanceType");
      a.spot_instance_request_id = it->ChildText("spotInstanceRequestId");
      a.instance_health = it->ChildText("instanceHealth", a.instance_health);
      out.push_back(std::move(a));
    }
    token = r.ChildText("nextToken");
  } while (!token.empty());
  return out;
}

Result<std::vector<CancelledSpotFleetRequest>> Ec2Client::CancelSpotFleetRequests(
    const std::vector<std::string>& ids, bool terminate_instances) {
  QueryParams p("CancelSpotFleetRequests", kVersion);
  AddStrings(p, "SpotFleetRequestId", ids);
  p.AddBool("TerminateInstances", terminate_instances);
  ASSIGN_OR_RETURN(XmlElement r, Call(transport_, p));
  // EC2 answers per request; an id it could not cancel is reported as the error it carries
  // (InvalidSpotFleetRequestId.NotFound, ...), as the in-process model reports it.
  for (const XmlElement* it : r.List("unsuccessfulFleetRequestSet", "item")) {
    AwsError e;
    e.http_status = 400;
    if (const XmlElement* err = it->Child("error")) {
      e.code = err->ChildText("code");
      e.message = err->ChildText("message");
    }
    e.message += " (" + it->ChildText("spotFleetRequestId") + ")";
    return ErrorToStatus(e, p.action());
  }
  std::vector<CancelledSpotFleetRequest> out;
  for (const XmlElement* it : r.List("successfulFleetRequestSet", "item"))
    out.push_back({it->ChildText("spotFleetRequestId"),
                   it->ChildText("currentSpotFleetRequestState"),
                   it->ChildText("previousSpotFleetRequestState")});
  return out;
}

}  // namespace steady::aws
