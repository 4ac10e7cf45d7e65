// ELBv2 on the wire: the query protocol (Version=2015-12-01), XML responses in ELB's namespace
// and the query error shape. Routed by the SigV4 credential scope's service
// "elasticloadbalancing".
#pragma once

#include "region/elbv2_model.h"
#include "region/front.h"

namespace steady::region {

class Elbv2Front final : public ServiceFront {
 public:
  explicit Elbv2Front(Elbv2Model& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"elasticloadbalancing"}; }
  // For unsigned requests (no credential scope): the actions this front serves.
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override { return {400, "Throttling", "Rate exceeded", true}; }

 private:
  Elbv2Model& model_;
};

}  // namespace steady::region
