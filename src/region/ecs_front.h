// ECS on the wire: the awsJson 1.1 protocol (X-Amz-Target
// "AmazonEC2ContainerServiceV20141113.<Operation>"), ECS's camelCase shapes with timestamps as
// epoch seconds, and errors as {"__type": ..., "message": ...}.
#pragma once

#include "region/ecs_model.h"
#include "region/front.h"

namespace steady::region {

class EcsFront final : public ServiceFront {
 public:
  explicit EcsFront(EcsModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"ecs"}; }
  std::vector<std::string> target_prefixes() const override {
    return {"AmazonEC2ContainerServiceV20141113"};
  }
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;

 private:
  EcsModel& model_;
};

}  // namespace steady::region
