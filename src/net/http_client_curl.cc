#include "net/http_client_curl.h"

#include <curl/curl.h>

#include <mutex>
#include <vector>

namespace steady::net {

namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * n);
  // A new status line (after "100 Continue" or a redirect) starts a fresh header set.
  if (line.rfind("HTTP/", 0) == 0) {
    *headers = HttpHeaders();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  };
  headers->Add(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  return size * n;
}

int StopRequested(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

}  // namespace

struct CurlHttpClient::Impl {
  CurlOptions options;
  std::mutex mu;
  // Idle easy handles; each keeps its own connection cache, so reusing a handle reuses its
  // keep-alive connections.
  std::vector<CURL*> idle;

  CURL* Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    std::lock_guard lock(mu);
    if (idle.size() < static_cast<size_t>(options.max_connections)) {
      idle.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }
};

CurlHttpClient::CurlHttpClient(CurlOptions options) : impl_(std::make_unique<Impl>()) {
  static CurlGlobal global;
  impl_->options = options;
}

CurlHttpClient::~CurlHttpClient() {
  for (CURL* h : impl_->idle) curl_easy_cleanup(h);
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  CURL* h = impl_->Take();
  if (!h) return InternalError("curl_easy_init failed");
  curl_easy_reset(h);

  HttpResponse response;
  curl_slist* headers = nullptr;
  bool has_content_type = false;
  for (const auto& [k, v] : request.headers) {
    std::string line = k + (v.empty() ? ";" : ": " + v);  // "Name;" sends an empty value
    headers = curl_slist_append(headers, line.c_str());
    has_content_type = has_content_type || EqualsIgnoreCase(k, "content-type");
  }
  // No "Expect: 100-continue" round trip, and no Content-Type that the caller did not sign.
  headers = curl_slist_append(headers, "Expect:");
  if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");
  if (!request.headers.Has("Accept")) headers = curl_slist_append(headers, "Accept:");

  auto ms = [](Duration d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  Duration timeout = request.timeout.count() > 0 ? request.timeout : impl_->options.request_timeout;

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms(impl_->options.connect_timeout));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms(timeout));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, impl_->options.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, impl_->options.verify_tls ? 2L : 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the path is signed as given: never rewrite it

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || !request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  // libcurl calls the progress function at least once a second while it waits, so a stop
  // request ends even a long poll that has not seen a byte.
  if (request.stop.stop_possible()) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, StopRequested);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &request.stop);
  }

  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string what =
        std::string(request.method) + " " + request.url + ": " + curl_easy_strerror(rc);
    curl_easy_cleanup(h);  // the connection state is unknown: do not reuse it
    if (rc == CURLE_ABORTED_BY_CALLBACK) return CancelledError(what);
    if (rc == CURLE_OPERATION_TIMEDOUT) return DeadlineExceededError(what);
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
      return InvalidArgumentError(what);
    return UnavailableError(what);
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  impl_->Give(h);
  return response;
}

}  // namespace steady::net
