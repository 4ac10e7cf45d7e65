#include "region/ecs_front.h"

#include "region/ecs_json.h"
#include "region/service_error.h"
#include "region/wire.h"

namespace steady::region {

using nlohmann::json;
using namespace ecsjson;

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";

struct BadInput {
  std::string message;
};

std::string Str(const json& in, const char* key, bool required = false) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) {
    if (required) throw BadInput{std::string(key) + " can not be blank."};
    return "";
  }
  if (!it->is_string()) throw BadInput{std::string(key) + " must be a string."};
  return it->get<std::string>();
}

std::vector<std::string> StrList(const json& in, const char* key) {
  std::vector<std::string> out;
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return out;
  if (!it->is_array()) throw BadInput{std::string(key) + " must be a list."};
  for (const json& e : *it) out.push_back(e.get<std::string>());
  return out;
}

aws::PageRequest Page(const json& in) {
  aws::PageRequest p;
  p.next_token = Str(in, "nextToken");
  p.max_results = in.value("maxResults", 0);
  return p;
}

json PageJson(const aws::ArnPage& page, const char* key) {
  json out = {{key, page.arns}};
  if (!page.next_token.empty()) out["nextToken"] = page.next_token;
  return out;
}

std::vector<aws::ContainerOverride> Overrides(const json& in) {
  auto it = in.find("overrides");
  if (it == in.end() || !it->is_object()) return {};
  return ListFrom<aws::ContainerOverride>(*it, "containerOverrides");
}

}  // namespace

std::unique_ptr<ServiceFront> EcsModel::MakeFront() { return std::make_unique<EcsFront>(*this); }

net::HttpResponse EcsFront::ErrorResponse(const RoutedRequest& request, const WireError& error) {
  return JsonErrorResponse(error, request.request_id, "com.amazonaws.ecs", kContentType);
}

void EcsFront::Handle(const RoutedRequest& request, net::Responder respond) {
  const std::string& op = request.operation;
  auto fail = [&](const Status& s) {
    ErrorParts p = SplitServiceError(s);
    respond(ErrorResponse(request, {p.http_status, p.code, p.message, p.sender_fault}));
  };
  auto answer = [&](const json& out) {
    respond(JsonResponse(out, request.request_id, kContentType));
  };
  json in;
  try {
    in = json::parse(request.http.body.empty() ? "{}" : request.http.body);
    if (!in.is_object()) throw json::type_error::create(302, "expected an object", nullptr);
  } catch (const json::exception&) {
    return respond(ErrorResponse(
        request, {400, "SerializationException", "The request body is not valid JSON.", true}));
  }
  auto check = [&](const auto& r) {
    if (!r.ok()) fail(r.status());
    return r.ok();
  };

  try {
    const std::string cluster = Str(in, "cluster");
    if (op == "CreateCluster") {
      auto r = model_.CreateCluster(Str(in, "clusterName"), ListFrom<aws::EcsTag>(in, "tags"));
      if (check(r)) answer({{"cluster", ToJson(*r)}});
    } else if (op == "DescribeClusters") {
      auto r = model_.DescribeClusters(StrList(in, "clusters"));
      if (check(r)) answer({{"clusters", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "ListClusters") {
      auto r = model_.ListClusters(Page(in));
      if (check(r)) answer(PageJson(*r, "clusterArns"));
    } else if (op == "RegisterTaskDefinition") {
      aws::RegisterTaskDefinitionRequest req;
      req.family = Str(in, "family", true);
      req.container_definitions = ListFrom<aws::ContainerDefinition>(in, "containerDefinitions");
      req.cpu = Str(in, "cpu");
      req.memory = Str(in, "memory");
      req.network_mode = Str(in, "networkMode");
      req.requires_compatibilities = StrList(in, "requiresCompatibilities");
      req.tags = ListFrom<aws::EcsTag>(in, "tags");
      auto r = model_.RegisterTaskDefinition(req);
      if (check(r)) answer({{"taskDefinition", ToJson(*r)}, {"tags", ToJson(req.tags)}});
    } else if (op == "DescribeTaskDefinition") {
      auto r = model_.DescribeTaskDefinition(Str(in, "taskDefinition", true));
      if (check(r)) {
        json out = {{"taskDefinition", ToJson(*r)}};
        auto tags = model_.ListTagsForResource(r->task_definition_arn);
        if (tags.ok()) out["tags"] = ToJson(*tags);
        answer(out);
      }
    } else if (op == "DeregisterTaskDefinition") {
      auto r = model_.DeregisterTaskDefinition(Str(in, "taskDefinition", true));
      if (check(r)) answer({{"taskDefinition", ToJson(*r)}});
    } else if (op == "ListTaskDefinitions") {
      aws::ListTaskDefinitionsRequest req;
      static_cast<aws::PageRequest&>(req) = Page(in);
      req.family_prefix = Str(in, "familyPrefix");
      if (in.contains("status")) req.status = Str(in, "status");
      if (in.contains("sort")) req.sort = Str(in, "sort");
      auto r = model_.ListTaskDefinitions(req);
      if (check(r)) answer(PageJson(*r, "taskDefinitionArns"));
    } else if (op == "ListContainerInstances") {
      aws::ListContainerInstancesRequest req;
      static_cast<aws::PageRequest&>(req) = Page(in);
      req.cluster = cluster;
      req.filter = Str(in, "filter");
      req.status = Str(in, "status");
      auto r = model_.ListContainerInstances(req);
      if (check(r)) answer(PageJson(*r, "containerInstanceArns"));
    } else if (op == "DescribeContainerInstances") {
      auto r = model_.DescribeContainerInstances(cluster, StrList(in, "containerInstances"));
      if (check(r))
        answer({{"containerInstances", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "UpdateContainerInstancesState") {
      auto r = model_.UpdateContainerInstancesState(cluster, StrList(in, "containerInstances"),
                                                    Str(in, "status", true));
      if (check(r))
        answer({{"containerInstances", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "DeregisterContainerInstance") {
      auto r = model_.DeregisterContainerInstance(cluster, Str(in, "containerInstance", true),
                                                  in.value("force", false));
      if (check(r)) answer({{"containerInstance", ToJson(*r)}});
    } else if (op == "CreateService") {
      aws::CreateServiceRequest req;
      req.cluster = cluster;
      req.service_name = Str(in, "serviceName", true);
      req.task_definition = Str(in, "taskDefinition", true);
      req.desired_count = in.value("desiredCount", 0);
      req.load_balancers = ListFrom<aws::EcsLoadBalancer>(in, "loadBalancers");
      req.placement_strategy = ListFrom<aws::PlacementStrategy>(in, "placementStrategy");
      req.placement_constraints = ListFrom<aws::PlacementConstraint>(in, "placementConstraints");
      if (auto it = in.find("deploymentConfiguration"); it != in.end() && it->is_object())
        FromJson(*it, req.deployment_configuration);
      req.tags = ListFrom<aws::EcsTag>(in, "tags");
      auto r = model_.CreateService(req);
      if (check(r)) answer({{"service", ToJson(*r)}});
    } else if (op == "UpdateService") {
      aws::UpdateServiceRequest req;
      req.cluster = cluster;
      req.service = Str(in, "service", true);
      if (in.contains("taskDefinition")) req.task_definition = Str(in, "taskDefinition");
      if (in.contains("desiredCount")) req.desired_count = in["desiredCount"].get<int>();
      if (auto it = in.find("deploymentConfiguration"); it != in.end() && it->is_object()) {
        aws::DeploymentConfiguration d;
        FromJson(*it, d);
        req.deployment_configuration = d;
      }
      if (in.contains("placementStrategy"))
        req.placement_strategy = ListFrom<aws::PlacementStrategy>(in, "placementStrategy");
      if (in.contains("placementConstraints"))
        req.placement_constraints = ListFrom<aws::PlacementConstraint>(in, "placementConstraints");
      req.force_new_deployment = in.value("forceNewDeployment", false);
      auto r = model_.UpdateService(req);
      if (check(r)) answer({{"service", ToJson(*r)}});
    } else if (op == "DeleteService") {
      auto r = model_.DeleteService(cluster, Str(in, "service", true), in.value("force", false));
      if (check(r)) answer({{"service", ToJson(*r)}});
    } else if (op == "DescribeServices") {
      auto r = model_.DescribeServices(cluster, StrList(in, "services"));
      if (check(r)) answer({{"services", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "ListServices") {
      auto r = model_.ListServices(cluster, Page(in));
      if (check(r)) answer(PageJson(*r, "serviceArns"));
    } else if (op == "RunTask") {
      aws::RunTaskRequest req;
      req.cluster = cluster;
      req.task_definition = Str(in, "taskDefinition", true);
      req.count = in.value("count", 1);
      req.started_by = Str(in, "startedBy");
      req.group = Str(in, "group");
      req.placement_strategy = ListFrom<aws::PlacementStrategy>(in, "placementStrategy");
      req.placement_constraints = ListFrom<aws::PlacementConstraint>(in, "placementConstraints");
      req.overrides = Overrides(in);
      req.tags = ListFrom<aws::EcsTag>(in, "tags");
      auto r = model_.RunTask(req);
      if (check(r)) answer({{"tasks", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "StartTask") {
      aws::StartTaskRequest req;
      req.cluster = cluster;
      req.task_definition = Str(in, "taskDefinition", true);
      req.container_instances = StrList(in, "containerInstances");
      req.started_by = Str(in, "startedBy");
      req.group = Str(in, "group");
      req.overrides = Overrides(in);
      req.tags = ListFrom<aws::EcsTag>(in, "tags");
      auto r = model_.StartTask(req);
      if (check(r)) answer({{"tasks", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "StopTask") {
      auto r = model_.StopTask(cluster, Str(in, "task", true), Str(in, "reason"));
      if (check(r)) answer({{"task", ToJson(*r)}});
    } else if (op == "DescribeTasks") {
      auto r = model_.DescribeTasks(cluster, StrList(in, "tasks"));
      if (check(r)) answer({{"tasks", ToJson(r->items)}, {"failures", ToJson(r->failures)}});
    } else if (op == "ListTasks") {
      aws::ListTasksRequest req;
      static_cast<aws::PageRequest&>(req) = Page(in);
      req.cluster = cluster;
      req.container_instance = Str(in, "containerInstance");
      req.family = Str(in, "family");
      req.service_name = Str(in, "serviceName");
      req.desired_status = Str(in, "desiredStatus");
      req.started_by = Str(in, "startedBy");
      auto r = model_.ListTasks(req);
      if (check(r)) answer(PageJson(*r, "taskArns"));
    } else if (op == "TagResource") {
      Status s =
          model_.TagResource(Str(in, "resourceArn", true), ListFrom<aws::EcsTag>(in, "tags"));
      if (!s.ok())
        fail(s);
      else
        answer(json::object());
    } else if (op == "ListTagsForResource") {
      auto r = model_.ListTagsForResource(Str(in, "resourceArn", true));
      if (check(r)) answer({{"tags", ToJson(*r)}});
    } else {
      respond(ErrorResponse(request,
                            {400, "UnknownOperationException", "Unknown operation " + op, true}));
    }
  } catch (const BadInput& b) {
    respond(ErrorResponse(request, {400, "InvalidParameterException", b.message, true}));
  } catch (const json::exception& e) {
    respond(ErrorResponse(request, {400, "InvalidParameterException",
                                    std::string("Invalid request: ") + e.what(), true}));
  } catch (const std::exception& e) {
    respond(ErrorResponse(request, {400, "InvalidParameterException",
                                    std::string("Invalid request: ") + e.what(), true}));
  }
}

}  // namespace steady::region
