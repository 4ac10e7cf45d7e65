// HTTP as steady sees it: request and response values, URL helpers and the HttpClient seam.
// The libcurl implementation lives in http_client_curl.h; tests hand in fakes or talk to
// loopback servers.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::net {

// Ordered header list; names compare case-insensitively.
class HttpHeaders {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value) {
    entries_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every header of that name with one.
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // First value of that name, or nullptr.
  const std::string* Find(std::string_view name) const;
  std::string Get(std::string_view name, std::string_view fallback = "") const {
    const std::string* v = Find(name);
    return v ? *v : std::string(fallback);
  }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  const std::vector<Entry>& entries() const { return entries_; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method = "GET";
  // Absolute URL with the path and query already percent-encoded as they go on the wire:
  // http://127.0.0.1:4566/bucket/my%20key?list-type=2&prefix=a%2Fb
  std::string url;
  HttpHeaders headers;
  std::string body;
  // 0 means the client's default.
  Duration timeout{0};
  // A stop request abandons the exchange within about a second, as CancelledError: a daemon
  // shutting down does not wait out a 20-second long poll.
  std::stop_token stop;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

// The parts of an absolute URL.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without port
  int port = 0;        // explicit port, or the scheme's default
  bool explicit_port = false;
  std::string path;   // as on the wire (percent-encoded), "/" if empty
  std::string query;  // as on the wire, without '?'

  // host, or host:port when the port was explicit (the Host header as SDKs send it).
  std::string HostHeader() const;
};
Result<Url> ParseUrl(std::string_view url);

// RFC 3986 percent-encoding as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~ is encoded,
// and '/' too unless `keep_slash`.
std::string UriEncode(std::string_view s, bool keep_slash = false);
// Decodes %XX (and '+' as space when `plus_is_space`, for form bodies). Invalid escapes are
// kept as they are.
std::string UriDecode(std::string_view s, bool plus_is_space = false);
// Splits "a=1&b=&c" into decoded pairs (order kept).
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query,
                                                            bool plus_is_space = false);

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and reads the whole response. A transport failure (DNS, connect,
  // reset, timeout) is an error: kUnavailable, or kDeadlineExceeded for a timeout. Any HTTP
  // status, 4xx and 5xx included, is a successful Result.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace steady::net
