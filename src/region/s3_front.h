// S3 on the wire (restXml): path-style (http://host:port/bucket/key) and virtual-hosted
// (Host: bucket.localhost:port, bucket.s3.<anything>) requests, keys URL-decoded from the path,
// aws-chunked bodies (with trailing checksums) decoded, Content-MD5 and flexible checksums
// verified, and S3's error document (<Error><Code/><Message/><Key/><BucketName/><RequestId/>)
// with S3's HTTP statuses; HEAD errors carry no body. Subresources this region does not serve
// answer 501 NotImplemented.
#pragma once

#include "region/front.h"
#include "region/region_context.h"
#include "region/s3_model.h"

namespace steady::region {

class S3Front final : public ServiceFront {
 public:
  S3Front(S3Model& model, RegionContext& ctx) : model_(model), ctx_(ctx) {}

  std::vector<std::string> signing_names() const override { return {"s3"}; }
  void Handle(const RoutedRequest& request, net::Responder respond) override;
  net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) override;
  WireError ThrottleError() const override {
    return {503, "SlowDown", "Please reduce your request rate.", false};
  }

 private:
  S3Model& model_;
  RegionContext& ctx_;
};

// S3's HTTP status for an error code (400 for codes it does not know).
int S3ErrorStatus(std::string_view code);

}  // namespace steady::region
