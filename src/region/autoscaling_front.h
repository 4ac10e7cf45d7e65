// Auto Scaling on the wire: the query protocol (Version=2011-01-01), XML responses in Auto
// Scaling's namespace and the query error shape. Routed by the SigV4 credential scope's
// service "autoscaling".
//
// The launch-template stand-in: a LaunchTemplateName that is an instance type ("c5.large")
// launches that type, anything else m5.large; MixedInstancesPolicy overrides name the types
// properly. There is no user data: name the ECS cluster with a propagated tag "ECS_CLUSTER".
#pragma once

#include "region/autoscaling_model.h"
#include "region/front.h"

namespace steady::region {

class AutoScalingFront final : public ServiceFront {
 public:
  explicit AutoScalingFront(AutoScalingModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"autoscaling"}; }
  // For unsigned requests (no credential scope): the actions this front serves.
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override { return {400, "Throttling", "Rate exceeded", true}; }

 private:
  AutoScalingModel& model_;
};

}  // namespace steady::region
