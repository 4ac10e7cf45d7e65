// SQS on the wire: the awsJson 1.0 protocol (newer SDKs) and the awsQuery protocol (older
// SDKs, awscli 2.9), both served from one code path: query forms are turned into the JSON
// request shape, and responses are written as JSON or as query XML.
#pragma once

#include <memory>

#include "region/front.h"
#include "region/sqs_model.h"
#include "region/wire.h"

namespace steady::region {

class SqsFront final : public ServiceFront {
 public:
  explicit SqsFront(SqsModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"sqs"}; }
  std::vector<std::string> target_prefixes() const override { return {"AmazonSQS"}; }
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override {
    return {400, "RequestThrottled", "Request is throttled.", true};
  }
  void Shutdown() override { waiters_.Shutdown(); }

 private:
  SqsModel& model_;
  Waiters waiters_;
};

}  // namespace steady::region
