#include "region/front.h"

#include <algorithm>
#include <atomic>

#include "aws/sigv4.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/time_format.h"

namespace steady::region {
namespace {

// "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sqs/aws4_request,
//  SignedHeaders=host;x-amz-date, Signature=abcd..."
struct AuthHeader {
  std::string access_key, date, region, service, signed_headers, signature;
};

bool ParseAuthorization(std::string_view h, AuthHeader& out) {
  constexpr std::string_view kAlg = "AWS4-HMAC-SHA256";
  if (h.rfind(kAlg, 0) != 0) return false;
  h.remove_prefix(kAlg.size());
  auto field = [&](std::string_view name) -> std::string {
    size_t at = h.find(name);
    if (at == std::string_view::npos) return "";
    size_t start = at + name.size();
    size_t end = h.find(',', start);
    std::string_view v = h.substr(start, end == std::string_view::npos ? h.npos : end - start);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return std::string(v);
  };
  std::string cred = field("Credential=");
  out.signed_headers = field("SignedHeaders=");
  out.signature = field("Signature=");
  // Credential = AKID/date/region/service/aws4_request
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= cred.size()) {
    size_t slash = cred.find('/', start);
    if (slash == std::string::npos) slash = cred.size();
    parts.push_back(cred.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[4] != "aws4_request") return false;
  out.access_key = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  return !out.signed_headers.empty() && !out.signature.empty();
}

// The credential scope's service from a presigned URL's X-Amz-Credential.
std::string PresignedService(const std::string& query, std::string& access_key) {
  for (const auto& [k, v] : net::ParseQuery(query)) {
    if (k != "X-Amz-Credential") continue;
    size_t a = v.find('/');
    access_key = v.substr(0, a);
    size_t b = v.find('/', a + 1), c = v.find('/', b + 1), d = v.find('/', c + 1);
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos ||
        d == std::string::npos)
      return "";
    return v.substr(c + 1, d - c - 1);
  }
  return "";
}

bool IsForm(const net::ServerRequest& req) {
  std::string ct = req.headers.Get("Content-Type");
  return ct.rfind("application/x-www-form-urlencoded", 0) == 0;
}

}  // namespace

RegionFront::RegionFront(FrontOptions options, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)),
      clock_(clock),
      requests_(metrics.AddCounter("steady_region_requests_total",
                                   "Requests served by the local region.",
                                   {"service", "operation", "code"})),
      throttled_(metrics.AddCounter("steady_region_throttled_total",
                                    "Requests refused by the region's throttling emulation.",
                                    {"service", "operation"})),
      latency_(metrics.AddHistogram("steady_region_request_seconds", "Time to answer a request.",
                                    {"service"})),
      buckets_(clock) {
  for (const auto& [key, b] : options_.throttle)
    buckets_.SetGroup(key, {.burst = b.burst, .refill_per_second = b.rate});
}

RegionFront::~RegionFront() { Stop(); }

void RegionFront::Register(std::unique_ptr<ServiceFront> service) {
  services_.push_back(std::move(service));
}

Status RegionFront::Start() {
  net::HttpServerOptions opts;
  opts.listen = options_.listen;
  opts.threads = options_.threads;
  opts.server_header = "steady-region";
  server_ = std::make_unique<net::HttpServer>(
      opts, net::AsyncHttpHandler([this](const net::ServerRequest& req, net::Responder respond) {
        Dispatch(req, std::move(respond));
      }));
  return server_->Start();
}

void RegionFront::Stop() {
  if (!server_) return;
  for (auto& s : services_) s->Shutdown();
  server_->Stop();
  server_.reset();
}

std::string RegionFront::base_url() const { return server_ ? server_->base_url() : ""; }
int RegionFront::port() const { return server_ ? server_->port() : 0; }

ServiceFront* RegionFront::Route(const net::ServerRequest& req, RoutedRequest& routed,
                                 WireError& error) {
  auto by_name = [&](const std::string& name) -> ServiceFront* {
    for (auto& s : services_) {
      auto names = s->signing_names();
      if (std::find(names.begin(), names.end(), name) != names.end()) return s.get();
    }
    return nullptr;
  };
  auto by_target = [&](const std::string& prefix) -> ServiceFront* {
    for (auto& s : services_) {
      auto prefixes = s->target_prefixes();
      if (std::find(prefixes.begin(), prefixes.end(), prefix) != prefixes.end()) return s.get();
    }
    return nullptr;
  };

  std::string scope_service;
  if (const std::string* auth = req.headers.Find("Authorization")) {
    AuthHeader a;
    if (ParseAuthorization(*auth, a)) {
      scope_service = a.service;
      routed.access_key = a.access_key;
    }
  } else {
    scope_service = PresignedService(req.query, routed.access_key);
  }

  // JSON protocols name the operation in X-Amz-Target.
  if (const std::string* target = req.headers.Find("X-Amz-Target")) {
    size_t dot = target->rfind('.');
    if (dot != std::string::npos) {
      if (ServiceFront* s = by_target(target->substr(0, dot))) {
        routed.service = s->signing_names().front();
        routed.wire = "json";
        routed.operation = target->substr(dot + 1);
        return s;
      }
    }
    error = {400, "UnknownOperationException", "Unknown X-Amz-Target " + *target, true};
    return nullptr;
  }
  // Smithy RPC v2: POST /service/<ServiceName>/operation/<Operation>.
  if (req.path.rfind("/service/", 0) == 0) {
    size_t op_at = req.path.find("/operation/");
    if (op_at != std::string::npos) {
      std::string service_name = req.path.substr(9, op_at - 9);
      if (ServiceFront* s = by_target(service_name)) {
        routed.service = s->signing_names().front();
        routed.wire = "cbor";
        routed.operation = req.path.substr(op_at + 11);
        return s;
      }
    }
  }
  // Query protocols: a form with Action (POST body or GET query).
  std::string action;
  if (req.method == "POST" && IsForm(req)) {
    for (const auto& [k, v] : net::ParseQuery(req.body, true))
      if (k == "Action") action = v;
  } else if (req.method == "GET" && req.query.find("Action=") != std::string::npos) {
    for (const auto& [k, v] : net::ParseQuery(req.query, true))
      if (k == "Action") action = v;
  }
  if (!action.empty()) {
    ServiceFront* s = scope_service.empty() ? nullptr : by_name(scope_service);
    if (!s) {
      for (auto& svc : services_)
        if (svc->OwnsAction(action)) s = svc.get();
    }
    if (s) {
      routed.service = s->signing_names().front();
      routed.wire = "query";
      routed.operation = action;
      return s;
    }
    error = {400, "InvalidAction", "The action " + action + " is not valid for this endpoint.",
             true};
    return nullptr;
  }
  // Everything else is REST: S3 unless the scope names another REST service.
  ServiceFront* s = by_name(scope_service.empty() ? "s3" : scope_service);
  if (!s) s = by_name("s3");
  if (!s) {
    error = {400, "UnknownService", "No service answers this request.", true};
    return nullptr;
  }
  routed.service = s->signing_names().front();
  routed.wire = "rest";
  return s;
}

bool RegionFront::TakeToken(const std::string& service, const std::string& operation) {
  if (options_.throttle.empty()) return true;
  std::string key = service + ":" + operation;
  if (!buckets_.HasGroup(key) && service == "ecs") {
    // ECS's buckets are shared by groups of operations ("ecs:run": RunTask, StopTask, ...).
    std::string_view group = aws::EcsLimiterGroup(operation);
    if (!group.empty() && buckets_.HasGroup(group)) key = std::string(group);
  }
  if (!buckets_.HasGroup(key)) key = service + ":*";
  return buckets_.TryAcquire(key);  // an undefined group is unlimited
}

void RegionFront::Dispatch(const net::ServerRequest& req, net::Responder respond) {
  if (admin_ && req.path.rfind("/_steady/", 0) == 0) {
    requests_.With({"admin", req.path, ""}).Inc();
    return admin_(req, std::move(respond));
  }
  RoutedRequest routed{req, "", "", "", NewUuid(), ""};
  WireError error;
  ServiceFront* service = Route(req, routed, error);
  if (!service) {
    requests_.With({"unknown", "", error.code}).Inc();
    net::HttpResponse resp;
    resp.status = error.http_status;
    resp.headers.Set("Content-Type", "text/xml");
    resp.body = "<ErrorResponse><Error><Type>Sender</Type><Code>" + error.code +
                "</Code><Message>" + error.message + "</Message></Error><RequestId>" +
                routed.request_id + "</RequestId></ErrorResponse>";
    return respond(std::move(resp));
  }

  auto fail = [&](const WireError& e) {
    requests_.With({routed.service, routed.operation, e.code}).Inc();
    respond(service->ErrorResponse(routed, e));
  };

  if (!options_.verify_keys.empty()) {
    AuthHeader a;
    const std::string* auth = req.headers.Find("Authorization");
    if (!auth || !ParseAuthorization(*auth, a))
      return fail(
          {403, "MissingAuthenticationToken", "Request is missing Authentication Token", true});
    auto key = options_.verify_keys.find(a.access_key);
    if (key == options_.verify_keys.end())
      return fail({403, "InvalidClientTokenId",
                   "The security token included in the request is invalid.", true});
    net::HttpRequest check;
    check.method = req.method;
    check.url = "http://" + req.headers.Get("Host", "localhost") + req.target;
    check.body = req.body;
    size_t start = 0;
    while (start <= a.signed_headers.size()) {
      size_t semi = a.signed_headers.find(';', start);
      if (semi == std::string::npos) semi = a.signed_headers.size();
      std::string name = a.signed_headers.substr(start, semi - start);
      for (const auto& [k, v] : req.headers)
        if (net::EqualsIgnoreCase(k, name)) check.headers.Add(k, v);
      start = semi + 1;
    }
    aws::SigningParams params;
    params.region = a.region;
    params.service = a.service;
    auto t = ParseAmzDate(req.headers.Get("X-Amz-Date"));
    if (!t.ok())
      return fail({403, "IncompleteSignature", "X-Amz-Date is missing or malformed", true});
    params.time = *t;
    params.normalize_path = a.service != "s3";
    std::string payload_hash = req.headers.Get("x-amz-content-sha256");
    if (payload_hash.empty()) payload_hash = aws::Sha256Hex(req.body);
    auto parts = aws::ComputeSignature(check, {a.access_key, key->second, "", std::nullopt}, params,
                                       payload_hash);
    if (!parts.ok() || parts->signature != a.signature)
      return fail({403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you "
                   "provided.",
                   true});
  }

  if (!TakeToken(routed.service, routed.operation)) {
    throttled_.With({routed.service, routed.operation}).Inc();
    return fail(service->ThrottleError());
  }

  Time start = clock_.Now();
  auto* requests = &requests_;
  auto* latency = &latency_;
  Clock* clock = &clock_;
  std::string svc = routed.service, op = routed.operation;
  service->Handle(routed, [=, respond = std::move(respond)](net::HttpResponse resp) {
    std::string code = resp.status < 300 ? "OK" : std::to_string(resp.status);
    requests->With({svc, op, code}).Inc();
    latency->With({svc}).Observe(std::chrono::duration<double>(clock->Now() - start).count());
    respond(std::move(resp));
  });
}

}  // namespace steady::region
