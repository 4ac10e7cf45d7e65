// Glue on the wire: the awsJson 1.1 protocol (X-Amz-Target "AWSGlue.<Operation>", signing name
// "glue"), Glue's PascalCase shapes with timestamps as epoch seconds, and errors as
// {"__type": ..., "message": ...}. Serves the Data Catalog operations of GlueModel; any other
// operation is UnknownOperationException.
#pragma once

#include "region/front.h"
#include "region/glue_model.h"

namespace steady::region {

class GlueFront final : public ServiceFront {
 public:
  explicit GlueFront(GlueModel& model) : model_(model) {}

  std::vector<std::string> signing_names() const override { return {"glue"}; }
  std::vector<std::string> target_prefixes() const override { return {"AWSGlue"}; }
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;

 private:
  GlueModel& model_;
};

}  // namespace steady::region
