// Fuzzes the local region's request decoding for every service front: the input's first line
// is "<signing name> <wire> <operation>" (e.g. "sqs json SendMessage", "sns query Publish",
// "s3 rest PUT /bucket/key"), the rest is the body. Any answer is fine; a crash, a hang or a
// sanitizer report is not. Long polls are stopped up front so that no input can wait.
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "base/log.h"
#include "base/metrics.h"
#include "region/front.h"
#include "region/region.h"
#include "region/service_model.h"

namespace {

struct Harness {
  steady::ManualClock clock;
  steady::MetricsRegistry metrics;
  std::unique_ptr<steady::region::Region> region;
  std::vector<std::unique_ptr<steady::region::ServiceFront>> fronts;

  Harness() {
    steady::SetLogLevel(steady::LogLevel::kError);
    region = std::move(*steady::region::Region::Open({}, clock, metrics));
    for (auto* m : region->models()) {
      auto f = m->MakeFront();
      if (!f) continue;
      f->Shutdown();  // every long poll answers at once
      fronts.push_back(std::move(f));
    }
    (void)region->sqs().CreateQueue("q", {});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness h;
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string head = input.substr(0, nl);
  std::string body = nl == std::string::npos ? "" : input.substr(nl + 1);
  std::istringstream words(head);
  std::string service, wire, operation, path;
  words >> service >> wire >> operation >> path;

  steady::net::ServerRequest req;
  req.method = wire == "rest" ? operation : "POST";
  req.target = wire == "rest" ? (path.empty() ? "/" : path) : "/";
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.body = body;
  req.headers.Add("Host", "127.0.0.1:4566");
  if (wire == "query") req.headers.Add("Content-Type", "application/x-www-form-urlencoded");
  steady::region::RoutedRequest routed{req, service, wire, operation, "fuzz", ""};
  for (auto& f : h.fronts) {
    auto names = f->signing_names();
    if (names.empty() || names.front() != service) continue;
    f->Handle(routed, [](steady::net::HttpResponse) {});
    (void)f->ErrorResponse(routed, {400, "X", "y", true});
  }
  return 0;
}
