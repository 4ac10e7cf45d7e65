// HttpClient over libcurl: connection reuse (a pool of easy handles sharing a connection
// cache), connect and total timeouts, TLS with the system's CA store.
//
// Thread safety: Send may be called from many threads at once.
#pragma once

#include <memory>

#include "net/http.h"

namespace steady::net {

struct CurlOptions {
  Duration connect_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(60);  // default when a request sets none
  bool verify_tls = true;
  long max_connections = 64;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::net
