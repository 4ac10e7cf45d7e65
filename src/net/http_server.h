// A small HTTP/1.1 server on Boost.Beast for everything steady serves: the local region's
// front door, daemons' /metrics, and fake endpoints in tests. Keep-alive, a handler per
// request, bounded request size, loopback by default. Asio stays inside the .cc.
//
// Thread safety: Start/Stop from one thread; the handler is called concurrently from the
// server's worker threads and must be thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/http.h"

namespace steady::net {

struct ServerRequest {
  std::string method;
  std::string target;  // as received: "/path?query" (percent-encoded)
  std::string path;    // target without the query (still encoded)
  std::string query;   // without '?'
  HttpHeaders headers;
  std::string body;
  std::string peer;  // "127.0.0.1:53412"
};

using HttpHandler = std::function<HttpResponse(const ServerRequest&)>;
// Asynchronous form: the handler calls `respond` exactly once, from any thread, possibly
// later (long polls). The connection reads its next request only after the response.
using Responder = std::function<void(HttpResponse)>;
using AsyncHttpHandler = std::function<void(const ServerRequest&, Responder respond)>;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free one
  int threads = 1;                     // I/O threads running handlers
  size_t max_body_bytes = 64 * 1024 * 1024;
  std::string server_header = "steady";
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  HttpServer(HttpServerOptions options, AsyncHttpHandler handler);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on background threads. kUnavailable if the address is taken.
  Status Start();
  // Stops accepting, closes connections, joins threads. Idempotent. An async handler must
  // have answered (or dropped) every pending Responder before Stop.
  void Stop();

  int port() const;
  // "http://127.0.0.1:PORT"
  std::string base_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" (IPv6 as "[::1]:PORT"). kInvalidArgument if malformed.
Status SplitHostPort(const std::string& listen, std::string& host, int& port);

}  // namespace steady::net
