// The local region's front door: one HTTP server for every service, routing each request the
// way AWS endpoints tell services apart — X-Amz-Target for the JSON protocols, the SigV4
// credential scope's service, the smithy RPCv2 path, the form's Action, and S3 for the rest —
// with AWS-shaped errors, request ids, optional signature verification and optional per-
// operation throttling (token buckets answering each service's own throttling error).
//
// Thread safety: Start/Stop from one thread; requests are served on the server's threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/rate_limiter.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "net/http_server.h"

namespace steady::region {

// What the router learned about a request before handing it to a service.
struct RoutedRequest {
  const net::ServerRequest& http;
  std::string service;    // "sqs", "sns", "events", "s3", "monitoring", ...
  std::string wire;       // "json", "query", "cbor" or "rest"
  std::string operation;  // from X-Amz-Target, Action or the RPCv2 path ("" for REST)
  std::string request_id;
  std::string access_key;  // from the signature, "" if unsigned
};

// The status, code and message of an error before the service puts it in its shape.
struct WireError {
  int http_status = 400;
  std::string code;
  std::string message;
  bool sender_fault = true;
};

class ServiceFront {
 public:
  virtual ~ServiceFront() = default;
  // SigV4 signing names this front serves ("sqs"), and X-Amz-Target prefixes ("AmazonSQS").
  virtual std::vector<std::string> signing_names() const = 0;
  virtual std::vector<std::string> target_prefixes() const { return {}; }
  // Query-protocol Action names it owns, for unsigned form requests.
  virtual bool OwnsAction(const std::string& /*action*/) const { return false; }
  // Serves one request; calls `respond` exactly once (possibly later, from another thread).
  virtual void Handle(const RoutedRequest& request, net::Responder respond) = 0;
  // The service's error shape for `error` in the request's wire protocol.
  virtual net::HttpResponse ErrorResponse(const RoutedRequest& request, const WireError& error) = 0;
  // The code this service answers when throttled ("ThrottlingException", "SlowDown", ...).
  virtual WireError ThrottleError() const {
    return {400, "ThrottlingException", "Rate exceeded", true};
  }
  // Stops pending long polls (they answer with what they have) before the server stops.
  virtual void Shutdown() {}
};

struct FrontOptions {
  std::string listen = "127.0.0.1:4566";
  int threads = 2;
  // When non-empty, requests must be signed with one of these access keys (AKID → secret);
  // otherwise any credentials are accepted, as a local region should by default.
  std::map<std::string, std::string> verify_keys;
  // Per-operation token buckets: "sqs:SendMessage" (or "ecs:*") → {burst, refill per second}.
  struct Bucket {
    double burst = 0, rate = 0;
  };
  std::map<std::string, Bucket> throttle;
};

class RegionFront {
 public:
  RegionFront(FrontOptions options, Clock& clock, MetricsRegistry& metrics);
  ~RegionFront();

  // Takes ownership; register every service before Start.
  void Register(std::unique_ptr<ServiceFront> service);
  // Requests under /_steady/ (the region's own admin API: apply a setup, inject faults) go to
  // `handler` instead of a service. Set before Start.
  void SetAdminHandler(net::AsyncHttpHandler handler) { admin_ = std::move(handler); }
  Status Start();
  void Stop();
  std::string base_url() const;
  int port() const;

 private:
  void Dispatch(const net::ServerRequest& req, net::Responder respond);
  ServiceFront* Route(const net::ServerRequest& req, RoutedRequest& routed, WireError& error);
  bool TakeToken(const std::string& service, const std::string& operation);

  FrontOptions options_;
  Clock& clock_;
  MetricFamily<Counter>& requests_;
  MetricFamily<Counter>& throttled_;
  MetricFamily<Histogram>& latency_;
  std::vector<std::unique_ptr<ServiceFront>> services_;
  net::AsyncHttpHandler admin_;
  std::unique_ptr<net::HttpServer> server_;
  aws::RateLimiter buckets_;
};

}  // namespace steady::region
