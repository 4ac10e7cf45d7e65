// For tests: an HttpClient that records every request and answers with a handler the test
// sets. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "net/http.h"

namespace steady::net {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    return handler(request);
  }

  Handler handler;
  std::vector<HttpRequest> requests;

 private:
  std::mutex mu_;
};

}  // namespace steady::net
