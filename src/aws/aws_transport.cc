#include "aws/aws_transport.h"

#include <cctype>

#include "aws/rate_limiter.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "base/log.h"

namespace steady::aws {
namespace {

bool Is2xx(int status) { return status >= 200 && status < 300; }

// "Elastic Load Balancing v2" → "elastic_load_balancing_v2": a label value that reads the same
// in every query language.
std::string MetricServiceName(const ServiceInfo& s) {
  std::string_view id = s.service_id.empty() ? s.signing_name : s.service_id;
  std::string out;
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  return out;
}

std::string DefaultEndpoint(const ServiceInfo& s, const std::string& region) {
  return "https://" + s.endpoint_prefix + "." + region + ".amazonaws.com";
}

// Joins the endpoint and the request's path-and-query. An absolute request URL is kept, so that
// a caller with a URL from elsewhere (a presigned URL, a queue URL) can still send through here.
std::string ResolveUrl(std::string_view endpoint, std::string_view relative) {
  if (relative.starts_with("http://") || relative.starts_with("https://")) {
    return std::string(relative);
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  std::string url(endpoint);
  if (relative.empty() || relative.front() != '/') url += '/';
  url += relative;
  return url;
}

}  // namespace

struct AwsTransport::Impl {
  Impl(ServiceInfo s, TransportOptions o, net::HttpClient& h, CredentialsProvider& c, Clock& k,
       MetricsRegistry& m, RateLimiter* l)
      : service(std::move(s)),
        options(std::move(o)),
        http(h),
        credentials(c),
        clock(k),
        limiter(l),
        retry(RetryOptions{.max_attempts = std::max(1, options.max_attempts),
                           .max_backoff = options.max_backoff,
                           .quota_capacity = options.retry_quota},
              options.seed),
        metric_service(MetricServiceName(service)),
        requests(m.AddCounter("steady_aws_requests_total",
                              "AWS calls by final outcome (one per call, retries included).",
                              {"service", "operation", "outcome"})),
        retries(m.AddCounter("steady_aws_retries_total", "AWS call attempts that were retried.",
                             {"service", "operation", "reason"})),
        throttles(m.AddCounter("steady_aws_throttles_total",
                               "AWS attempts answered with a throttling error.",
                               {"service", "operation"})),
        seconds(m.AddHistogram("steady_aws_request_seconds",
                               "Time per AWS call, from the first attempt to the final answer "
                               "(backoff and client-side rate limiting included).",
                               {"service", "operation"})) {
    if (options.endpoint.empty()) options.endpoint = DefaultEndpoint(service, options.region);
  }

  Result<net::HttpResponse> Send(std::string_view operation, net::HttpRequest request,
                                 const SendOptions& send);
  Result<net::HttpResponse> Finish(std::string_view operation, Time start, std::string_view outcome,
                                   Result<net::HttpResponse> result) {
    std::string op(operation);
    requests.With({metric_service, op, std::string(outcome)}).Inc();
    seconds.With({metric_service, op})
        .Observe(std::chrono::duration<double>(clock.Now() - start).count());
    return result;
  }

  ServiceInfo service;
  TransportOptions options;
  net::HttpClient& http;
  CredentialsProvider& credentials;
  Clock& clock;
  RateLimiter* limiter;
  RetryStrategy retry;
  std::string metric_service;
  MetricFamily<Counter>& requests;
  MetricFamily<Counter>& retries;
  MetricFamily<Counter>& throttles;
  MetricFamily<Histogram>& seconds;
};

Result<net::HttpResponse> AwsTransport::Impl::Send(std::string_view operation,
                                                   net::HttpRequest request,
                                                   const SendOptions& send) {
  const Time start = clock.Now();
  const std::string op(operation);
  request.url = ResolveUrl(options.endpoint, request.url);
  const bool s3 = service.signing_name == "s3";

  RetryCall call;
  while (true) {
    if (send.stop.stop_requested()) {
      return Finish(operation, start, "cancelled", CancelledError(op + ": cancelled"));
    }
    if (limiter) {
      if (Status st = limiter->Acquire(send.limiter_group, send.stop); !st.ok()) {
        std::string_view outcome = st.code() == StatusCode::kCancelled ? "cancelled" : "error";
        return Finish(operation, start, outcome, st.WithContext(op));
      }
    }
    Result<Credentials> creds = credentials.Get();
    if (!creds.ok()) {
      return Finish(operation, start, "credentials_error",
                    creds.status().WithContext(op + ": credentials from " + credentials.name()));
    }

    // Every attempt is signed afresh: X-Amz-Date moves with the clock, and a retry after a long
    // backoff must not carry a signature AWS may consider stale.
    net::HttpRequest attempt = request;
    attempt.stop = send.stop;  // a stop also abandons the exchange in flight
    SigningParams params;
    params.region = options.region;
    params.service = service.signing_name;
    params.time = clock.Now();
    params.unsigned_payload = send.unsigned_payload;
    params.content_sha256_header = s3;
    params.normalize_path = !s3;
    if (Status st = SignRequest(attempt, *creds, params); !st.ok()) {
      return Finish(operation, start, "error", st.WithContext(op + ": signing"));
    }

    Result<net::HttpResponse> response = http.Send(attempt);
    RetryReason reason;
    AwsError error;
    if (!response.ok()) {
      reason = ReasonForTransport(response.status());
      if (reason == RetryReason::kTimeout && !send.retry_timeouts) {
        reason = RetryReason::kNotRetryable;
      }
    } else if (Is2xx(response->status)) {
      retry.OnSuccess(call);
      return Finish(operation, start, "success", std::move(response));
    } else {
      error = DecodeError(service.protocol, *response);
      reason = ReasonForError(error);
      if (reason == RetryReason::kThrottled) throttles.With({metric_service, op}).Inc();
    }

    RetryDecision decision = retry.OnFailure(call, reason);
    if (decision.retry()) {
      retries.With({metric_service, op, std::string(RetryReasonName(reason))}).Inc();
      if (LogEnabled(LogLevel::kDebug)) {
        LogDebug("retrying AWS call",
                 {{"service", metric_service},
                  {"operation", op},
                  {"attempt", call.attempt},
                  {"reason", RetryReasonName(reason)},
                  {"code", response.ok() ? error.code : response.status().ToString()},
                  {"delay_ms", static_cast<int64_t>(decision.delay.count() / 1'000'000)}});
      }
      if (!clock.SleepFor(decision.delay, send.stop)) {
        return Finish(operation, start, "cancelled",
                      CancelledError(op + ": cancelled while backing off"));
      }
      continue;
    }

    if (decision.verdict == RetryDecision::Verdict::kQuotaExhausted) {
      LogWarn("AWS retry quota exhausted; failing without retry",
              {{"service", metric_service}, {"operation", op}});
    }
    if (!response.ok()) {
      return Finish(operation, start, "transport_error", response.status().WithContext(op));
    }
    std::string_view outcome = reason == RetryReason::kThrottled   ? "throttled"
                               : reason == RetryReason::kTransient ? "server_error"
                                                                   : "client_error";
    return Finish(operation, start, outcome, ErrorToStatus(error, operation));
  }
}

AwsTransport::AwsTransport(ServiceInfo service, TransportOptions options, net::HttpClient& http,
                           CredentialsProvider& credentials, Clock& clock, MetricsRegistry& metrics,
                           RateLimiter* limiter)
    : impl_(std::make_unique<Impl>(std::move(service), std::move(options), http, credentials, clock,
                                   metrics, limiter)) {}

AwsTransport::~AwsTransport() = default;

Result<net::HttpResponse> AwsTransport::Send(std::string_view operation, net::HttpRequest request,
                                             const SendOptions& options) {
  return impl_->Send(operation, std::move(request), options);
}

const ServiceInfo& AwsTransport::service() const { return impl_->service; }
const TransportOptions& AwsTransport::options() const { return impl_->options; }
int AwsTransport::retry_quota_available() const { return impl_->retry.quota().available(); }

}  // namespace steady::aws
