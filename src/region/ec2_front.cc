#include "region/ec2_front.h"

#include <algorithm>
#include <functional>

#include "base/base64.h"
#include "base/time_format.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

namespace {

constexpr std::string_view kXmlns = "http://ec2.amazonaws.com/doc/2016-11-15/";

const char* const kActions[] = {"DescribeInstances",          "TerminateInstances",
                                "DescribeInstanceTypes",      "RequestSpotFleet",
                                "DescribeSpotFleetRequests",  "ModifySpotFleetRequest",
                                "DescribeSpotFleetInstances", "CancelSpotFleetRequests"};

struct BadRequest {
  WireError error;
};

std::string Required(const FormParams& form, const std::string& name) {
  auto it = form.find(name);
  if (it == form.end() || it->second.empty())
    throw BadRequest{
        {400, "MissingParameter", "The request must contain the parameter " + name, true}};
  return it->second;
}

std::string Optional(const FormParams& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

int Int(const std::string& name, const std::string& v) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw BadRequest{{400, "InvalidParameterValue",
                    "Value (" + v + ") for parameter " + name + " is invalid.", true}};
}

// "Name.N" values in N order.
std::vector<std::string> Strings(const FormParams& form, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [n, sub] : FormList(form, name))
    if (auto it = sub.find(""); it != sub.end()) out.push_back(it->second);
  return out;
}

void State(XmlWriter& x, std::string_view name, const aws::InstanceState& s) {
  x.Open(name).Text("code", std::to_string(s.code)).Text("name", s.name).Close(name);
}

void Tags(XmlWriter& x, const std::vector<aws::Ec2Tag>& tags) {
  x.Open("tagSet");
  for (const auto& t : tags) x.Open("item").Text("key", t.key).Text("value", t.value).Close("item");
  x.Close("tagSet");
}

// EC2's private DNS name of an address in us-east-1: "ip-10-0-0-5.ec2.internal".
std::string PrivateDnsName(const std::string& private_ip) {
  if (private_ip.empty()) return "";
  std::string host = private_ip;
  std::replace(host.begin(), host.end(), '.', '-');
  return "ip-" + host + ".ec2.internal";
}

std::string Number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

net::HttpResponse Ec2Error(const WireError& e, const std::string& rid) {
  XmlWriter x;
  x.Open("Response")
      .Open("Errors")
      .Open("Error")
      .Text("Code", e.code)
      .Text("Message", e.message)
      .Close("Error")
      .Close("Errors")
      .Text("RequestID", rid)
      .Close("Response");
  return XmlResponse(std::move(x).str(), rid, e.http_status);
}

}  // namespace

std::unique_ptr<ServiceFront> Ec2Model::MakeFront() { return std::make_unique<Ec2Front>(*this); }

bool Ec2Front::OwnsAction(const std::string& action) const {
  for (const char* a : kActions)
    if (action == a) return true;
  return false;
}

net::HttpResponse Ec2Front::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return Ec2Error(error, request.request_id);
}

void Ec2Front::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  const std::string& rid = request.request_id;
  auto error = [&](const WireError& e) { respond(Ec2Error(e, rid)); };
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    error({p.http_status, p.code, p.message, p.sender_fault});
  };
  auto answer = [&](const std::function<void(XmlWriter&)>& body) {
    XmlWriter x;
    x.Open(op + "Response", kXmlns).Text("requestId", rid);
    if (body) body(x);
    x.Close(op + "Response");
    respond(XmlResponse(std::move(x).str(), rid));
  };
  if (request.wire != "query")
    return error({400, "InvalidAction", "EC2 speaks only the query protocol.", true});
  FormParams form = ParseForm(request.http);

  try {
    if (op == "DescribeInstances") {
      aws::DescribeInstancesRequest req;
      req.instance_ids = Strings(form, "InstanceId");
      for (const auto& [n, sub] : FormList(form, "Filter")) {
        aws::Ec2Filter f;
        f.name = sub.count("Name") ? sub.at("Name") : "";
        for (const auto& [k, v] : sub)
          if (k.rfind("Value.", 0) == 0) f.values.push_back(v);
        req.filters.push_back(std::move(f));
      }
      auto r = model_.DescribeInstances(req);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("reservationSet");
        for (const auto& res : *r) {
          x.Open("item").Text("reservationId", res.reservation_id).Text("ownerId", res.owner_id);
          x.Open("groupSet").Close("groupSet").Open("instancesSet");
          for (const auto& i : res.instances) {
            x.Open("item").Text("instanceId", i.instance_id).Text("imageId", i.image_id);
            State(x, "instanceState", i.state);
            x.Text("privateDnsName", PrivateDnsName(i.private_ip_address))
                .Text("reason", i.state_transition_reason)
                .Text("amiLaunchIndex", "0")
                .Text("instanceType", i.instance_type)
                .Text("launchTime", FormatIso8601(i.launch_time, true))
                .Open("placement")
                .Text("availabilityZone", i.availability_zone)
                .Text("tenancy", "default")
                .Close("placement");
            if (!i.private_ip_address.empty()) x.Text("privateIpAddress", i.private_ip_address);
            if (!i.instance_lifecycle.empty()) x.Text("instanceLifecycle", i.instance_lifecycle);
            if (!i.spot_instance_request_id.empty())
              x.Text("spotInstanceRequestId", i.spot_instance_request_id);
            Tags(x, i.tags);
            x.Close("item");
          }
          x.Close("instancesSet").Close("item");
        }
        x.Close("reservationSet");
      });
    }
    if (op == "TerminateInstances") {
      auto ids = Strings(form, "InstanceId");
      if (ids.empty()) Required(form, "InstanceId.1");
      auto r = model_.TerminateInstances(ids);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("instancesSet");
        for (const auto& c : *r) {
          x.Open("item").Text("instanceId", c.instance_id);
          State(x, "currentState", c.current_state);
          State(x, "previousState", c.previous_state);
          x.Close("item");
        }
        x.Close("instancesSet");
      });
    }
    if (op == "DescribeInstanceTypes") {
      auto r = model_.DescribeInstanceTypes(Strings(form, "InstanceType"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("instanceTypeSet");
        for (const auto& t : *r) {
          x.Open("item")
              .Text("instanceType", t.instance_type)
              .Text("currentGeneration", "true")
              .Open("vCpuInfo")
              .Text("defaultVCpus", std::to_string(t.default_vcpus))
              .Close("vCpuInfo")
              .Open("memoryInfo")
              .Text("sizeInMiB", std::to_string(t.size_in_mib))
              .Close("memoryInfo")
              .Open("supportedUsageClasses")
              .Text("item", "on-demand")
              .Text("item", "spot")
              .Close("supportedUsageClasses")
              .Close("item");
        }
        x.Close("instanceTypeSet");
      });
    }
    if (op == "RequestSpotFleet") {
      const std::string p = "SpotFleetRequestConfig.";
      aws::SpotFleetRequestConfigData c;
      c.iam_fleet_role = Optional(form, p + "IamFleetRole");
      c.target_capacity = Int("TargetCapacity", Required(form, p + "TargetCapacity"));
      if (auto t = Optional(form, p + "Type"); !t.empty()) c.type = t;
      if (auto a = Optional(form, p + "AllocationStrategy"); !a.empty()) c.allocation_strategy = a;
      if (auto e = Optional(form, p + "ExcessCapacityTerminationPolicy"); !e.empty())
        c.excess_capacity_termination_policy = e;
      for (const auto& [n, sub] : FormList(form, p + "LaunchSpecifications")) {
        aws::SpotFleetLaunchSpecification s;
        auto get = [&](const char* k) { return sub.count(k) ? sub.at(k) : std::string(); };
        s.instance_type = get("InstanceType");
        if (auto w = get("WeightedCapacity"); !w.empty()) {
          try {
            s.weighted_capacity = std::stod(w);
          } catch (const std::exception&) {
            throw BadRequest{{400, "InvalidParameterValue", "Bad WeightedCapacity " + w, true}};
          }
        }
        s.availability_zone = get("Placement.AvailabilityZone");
        s.subnet_id = get("SubnetId");
        if (auto ud = get("UserData"); !ud.empty()) {
          auto decoded = Base64Decode(ud);
          if (!decoded.ok())
            throw BadRequest{{400, "InvalidParameterValue", "UserData is not base64", true}};
          s.user_data = *decoded;
        }
        // TagSpecificationSet.K.{ResourceType, Tag.J.Key, Tag.J.Value}: instance tags.
        for (int k = 1;; ++k) {
          std::string ts = "TagSpecificationSet." + std::to_string(k) + ".";
          std::string type = get((ts + "ResourceType").c_str());
          bool any = !type.empty();
          for (int j = 1;; ++j) {
            std::string key = get((ts + "Tag." + std::to_string(j) + ".Key").c_str());
            if (key.empty()) break;
            any = true;
            if (type.empty() || type == "instance")
              s.tags.push_back({key, get((ts + "Tag." + std::to_string(j) + ".Value").c_str())});
          }
          if (!any) break;
        }
        c.launch_specifications.push_back(std::move(s));
      }
      auto r = model_.RequestSpotFleet(c);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) { x.Text("spotFleetRequestId", *r); });
    }
    if (op == "DescribeSpotFleetRequests") {
      auto r = model_.DescribeSpotFleetRequests(Strings(form, "SpotFleetRequestId"));
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("spotFleetRequestConfigSet");
        for (const auto& f : *r) {
          x.Open("item")
              .Text("spotFleetRequestId", f.spot_fleet_request_id)
              .Text("spotFleetRequestState", f.spot_fleet_request_state)
              .Text("activityStatus", f.activity_status)
              .Text("createTime", FormatIso8601(f.create_time, true))
              .Open("spotFleetRequestConfig")
              .Text("targetCapacity", std::to_string(f.config.target_capacity))
              .Text("fulfilledCapacity", Number(f.fulfilled_capacity))
              .Text("iamFleetRole", f.config.iam_fleet_role)
              .Text("type", f.config.type)
              .Text("excessCapacityTerminationPolicy", f.config.excess_capacity_termination_policy)
              .Text("allocationStrategy", f.config.allocation_strategy)
              .Open("launchSpecifications");
          for (const auto& s : f.config.launch_specifications) {
            x.Open("item").Text("instanceType", s.instance_type);
            if (s.weighted_capacity) x.Text("weightedCapacity", Number(*s.weighted_capacity));
            if (!s.availability_zone.empty())
              x.Open("placement").Text("availabilityZone", s.availability_zone).Close("placement");
            if (!s.user_data.empty()) x.Text("userData", Base64Encode(s.user_data));
            if (!s.tags.empty()) {
              x.Open("tagSpecificationSet").Open("item").Text("resourceType", "instance");
              x.Open("tag");
              for (const auto& t : s.tags)
                x.Open("item").Text("key", t.key).Text("value", t.value).Close("item");
              x.Close("tag").Close("item").Close("tagSpecificationSet");
            }
            x.Close("item");
          }
          x.Close("launchSpecifications").Close("spotFleetRequestConfig").Close("item");
        }
        x.Close("spotFleetRequestConfigSet");
      });
    }
    if (op == "ModifySpotFleetRequest") {
      Status s =
          model_.ModifySpotFleetRequest(Required(form, "SpotFleetRequestId"),
                                        Int("TargetCapacity", Required(form, "TargetCapacity")),
                                        Optional(form, "ExcessCapacityTerminationPolicy"));
      if (!s.ok()) return fail(s);
      return answer([&](XmlWriter& x) { x.Text("return", "true"); });
    }
    if (op == "DescribeSpotFleetInstances") {
      std::string id = Required(form, "SpotFleetRequestId");
      auto r = model_.DescribeSpotFleetInstances(id);
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Text("spotFleetRequestId", id).Open("activeInstanceSet");
        for (const auto& i : *r)
          x.Open("item")
              .Text("instanceId", i.instance_id)
              .Text("instanceType", i.instance_type)
              .Text("spotInstanceRequestId", i.spot_instance_request_id)
              .Text("instanceHealth", i.instance_health)
              .Close("item");
        x.Close("activeInstanceSet");
      });
    }
    if (op == "CancelSpotFleetRequests") {
      auto ids = Strings(form, "SpotFleetRequestId");
      if (ids.empty()) Required(form, "SpotFleetRequestId.1");
      auto r = model_.CancelSpotFleetRequests(ids, Optional(form, "TerminateInstances") == "true");
      if (!r.ok()) return fail(r.status());
      return answer([&](XmlWriter& x) {
        x.Open("successfulFleetRequestSet");
        for (const auto& c : *r)
          x.Open("item")
              .Text("spotFleetRequestId", c.spot_fleet_request_id)
              .Text("currentSpotFleetRequestState", c.current_state)
              .Text("previousSpotFleetRequestState", c.previous_state)
              .Close("item");
        x.Close("successfulFleetRequestSet")
            .Open("unsuccessfulFleetRequestSet")
            .Close("unsuccessfulFleetRequestSet");
      });
    }
  } catch (const BadRequest& b) {
    return error(b.error);
  }
  error({400, "InvalidAction", "The action " + op + " is not valid for this web service.", true});
}

}  // namespace steady::region
