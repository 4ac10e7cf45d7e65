// EventBridge on the wire: the awsJson 1.1 protocol with X-Amz-Target "AWSEvents.<Operation>"
// (every botocore EventBridge model speaks it), errors as {"__type": code, "message": ...}.
#pragma once

#include "region/events_model.h"
#include "region/front.h"

namespace steady::region {

class EventsFront final : public ServiceFront {
 public:
  explicit EventsFront(EventsModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"events"}; }
  std::vector<std::string> target_prefixes() const override { return {"AWSEvents"}; }
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;

 private:
  EventsModel& model_;
};

}  // namespace steady::region
