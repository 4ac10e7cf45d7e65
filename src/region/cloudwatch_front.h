// CloudWatch on the wire, in the three protocols its clients speak, from one code path:
//   awsQuery          form POST with Action (Debian awscli 2.9 / botocore 1.29), XML answers in
//                     xmlns http://monitoring.amazonaws.com/doc/2010-08-01/;
//   awsJson 1.0       X-Amz-Target: GraniteServiceVersion20100801.<Op>;
//   RPC v2 CBOR       POST /service/GraniteServiceVersion20100801/operation/<Op> with
//                     smithy-protocol: rpc-v2-cbor (botocore ≥ 1.40 picks it first).
// Each request becomes the JSON protocol's document, runs against the model, and the result is
// written back in the request's protocol. CloudWatch is awsQueryCompatible: JSON and CBOR errors
// name the error shape in __type and carry the query code in x-amzn-query-error, which is what
// SDKs report. gzip request bodies (Content-Encoding: gzip) are inflated first.
#pragma once

#include <memory>

#include "region/cloudwatch_model.h"
#include "region/front.h"

namespace steady::region {

class CloudWatchFront final : public ServiceFront {
 public:
  explicit CloudWatchFront(CloudWatchModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"monitoring"}; }
  std::vector<std::string> target_prefixes() const override {
    return {"GraniteServiceVersion20100801"};
  }
  bool OwnsAction(const std::string& action) const override;
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  // CloudWatch's throttling error (query code "Throttling", HTTP 400).
  WireError ThrottleError() const override { return {400, "Throttling", "Rate exceeded", true}; }

 private:
  CloudWatchModel& model_;
};

}  // namespace steady::region
