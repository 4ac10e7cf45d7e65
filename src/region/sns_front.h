// SNS on the wire: the awsQuery protocol (the only one SNS speaks, in every botocore): a form
// with Action, maps as "Attributes.entry.N.key/value", message attributes as
// "MessageAttributes.entry.N.Name/Value.DataType/Value.StringValue", lists as
// "Tags.member.N.Key"; results as <XResponse><XResult>...</XResult><ResponseMetadata/> XML in
// the 2010-03-31 namespace, errors as <ErrorResponse> with SNS's codes and HTTP statuses.
#pragma once

#include "region/front.h"
#include "region/sns_model.h"

namespace steady::region {

class SnsFront final : public ServiceFront {
 public:
  explicit SnsFront(SnsModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"sns"}; }
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override { return {429, "Throttled", "Rate exceeded", true}; }

 private:
  SnsModel& model_;
};

}  // namespace steady::region
