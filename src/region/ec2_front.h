// EC2 on the wire: the EC2 query protocol (Action=...&Version=2016-11-15, lists as Name.N,
// filters as Filter.N.Name / Filter.N.Value.M), XML responses in EC2's namespace with a
// <requestId>, and EC2's error shape <Response><Errors><Error><Code/><Message/></Error>
// </Errors><RequestID/></Response>. Routed by the SigV4 credential scope's service "ec2".
#pragma once

#include "region/ec2_model.h"
#include "region/front.h"

namespace steady::region {

class Ec2Front final : public ServiceFront {
 public:
  explicit Ec2Front(Ec2Model& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"ec2"}; }
  // For unsigned requests (no credential scope): the actions this front serves.
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override {
    return {503, "RequestLimitExceeded", "Request limit exceeded.", false};
  }

 private:
  Ec2Model& model_;
};

}  // namespace steady::region
