#include "net/http.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "net/http_client_curl.h"
#include "net/http_server.h"

namespace steady::net {
namespace {

TEST(Url, ParsesTheParts) {
  auto u = ParseUrl("http://127.0.0.1:4566/bucket/a%20b?list-type=2&prefix=x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 4566);
  EXPECT_EQ(u->HostHeader(), "127.0.0.1:4566");
  EXPECT_EQ(u->path, "/bucket/a%20b");
  EXPECT_EQ(u->query, "list-type=2&prefix=x");
  auto v = ParseUrl("https://ecs.us-east-1.amazonaws.com");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->port, 443);
  EXPECT_EQ(v->HostHeader(), "ecs.us-east-1.amazonaws.com");
  EXPECT_EQ(v->path, "/");
  auto w = ParseUrl("http://[::1]:9000/x");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->host, "::1");
  EXPECT_EQ(w->HostHeader(), "[::1]:9000");
  for (const char* bad :
       {"127.0.0.1:80/x", "ftp://h/x", "http:///x", "http://h:99999/", "http://h:x/"})
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
}

TEST(Url, EncodesAndDecodes) {
  EXPECT_EQ(UriEncode("a b/c~d*é"), "a%20b%2Fc~d%2A%C3%A9");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriDecode("a%20b%2fc%zz+%"), "a b/c%zz+%");
  EXPECT_EQ(UriDecode("a+b", true), "a b");
  auto q = ParseQuery("b=2&a=&c&a=1%3D1");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0], std::make_pair(std::string("b"), std::string("2")));
  EXPECT_EQ(q[2], std::make_pair(std::string("c"), std::string("")));
  EXPECT_EQ(q[3], std::make_pair(std::string("a"), std::string("1=1")));
}

TEST(Headers, AreCaseInsensitive) {
  HttpHeaders h;
  h.Add("Content-Type", "a");
  h.Add("X-Amz-Date", "b");
  EXPECT_EQ(h.Get("content-type"), "a");
  h.Set("CONTENT-TYPE", "c");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.Get("Content-Type"), "c");
  h.Remove("x-amz-date");
  EXPECT_FALSE(h.Has("X-Amz-Date"));
}

TEST(HttpServerAndCurl, RoundTripWithKeepAliveAndHead) {
  std::atomic<int> requests{0};
  std::set<std::string> peers;
  std::mutex mu;
  HttpServer server({}, [&](const ServerRequest& req) {
    ++requests;
    {
      std::lock_guard lock(mu);
      peers.insert(req.peer);
    }
    HttpResponse resp;
    resp.status = req.path == "/missing" ? 404 : 200;
    resp.headers.Set("X-Method", req.method);
    resp.headers.Set("X-Query", req.query);
    resp.headers.Set("X-Echo", req.headers.Get("x-custom"));
    if (req.method == "HEAD") resp.headers.Set("Content-Length", "1234");
    resp.body = req.body.empty() ? "hello" : req.body;
    return resp;
  });
  ASSERT_TRUE(server.Start().ok());
  CurlHttpClient client;

  for (int i = 0; i < 3; ++i) {
    HttpRequest req;
    req.method = "PUT";
    req.url = server.base_url() + "/a%20b?x=1";
    req.headers.Add("X-Custom", "v" + std::to_string(i));
    req.body = std::string(100000, 'z');
    auto resp = client.Send(req);
    ASSERT_TRUE(resp.ok()) << resp.status().ToString();
    EXPECT_EQ(resp->status, 200);
    EXPECT_EQ(resp->body.size(), 100000u);
    EXPECT_EQ(resp->headers.Get("x-method"), "PUT");
    EXPECT_EQ(resp->headers.Get("x-query"), "x=1");
    EXPECT_EQ(resp->headers.Get("x-echo"), "v" + std::to_string(i));
  }
  HttpRequest head{.method = "HEAD", .url = server.base_url() + "/obj"};
  auto h = client.Send(head);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->headers.Get("Content-Length"), "1234");
  EXPECT_TRUE(h->body.empty());
  auto nf = client.Send({.method = "GET", .url = server.base_url() + "/missing"});
  ASSERT_TRUE(nf.ok());
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(requests, 5);
  // One thread sending in sequence reuses one keep-alive connection.
  EXPECT_EQ(peers.size(), 1u);
  server.Stop();
}

TEST(HttpServerAndCurl, AsyncHandlerAnswersLater) {
  std::mutex mu;
  std::vector<Responder> pending;
  HttpServer server({}, AsyncHttpHandler([&](const ServerRequest&, Responder respond) {
                      std::lock_guard lock(mu);
                      pending.push_back(std::move(respond));
                    }));
  ASSERT_TRUE(server.Start().ok());
  CurlHttpClient client;
  Result<HttpResponse> got = InternalError("unset");
  std::thread t([&] { got = client.Send({.url = server.base_url() + "/poll"}); });
  for (;;) {
    std::lock_guard lock(mu);
    if (!pending.empty()) break;
  }
  {
    std::lock_guard lock(mu);
    pending[0](HttpResponse{.status = 202, .body = "late"});
  }
  t.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, 202);
  EXPECT_EQ(got->body, "late");
}

TEST(HttpServerAndCurl, StopAbandonsAnExchangeInFlight) {
  std::mutex mu;
  std::vector<Responder> pending;
  HttpServer server({}, AsyncHttpHandler([&](const ServerRequest&, Responder respond) {
                      std::lock_guard lock(mu);
                      pending.push_back(std::move(respond));  // a long poll: no answer yet
                    }));
  ASSERT_TRUE(server.Start().ok());
  CurlHttpClient client({.request_timeout = std::chrono::minutes(10)});
  std::stop_source stop;
  Result<HttpResponse> got = InternalError("unset");
  std::thread t(
      [&] { got = client.Send({.url = server.base_url() + "/poll", .stop = stop.get_token()}); });
  for (;;) {
    std::lock_guard lock(mu);
    if (!pending.empty()) break;
  }
  stop.request_stop();
  t.join();
  EXPECT_EQ(got.status().code(), StatusCode::kCancelled) << got.status().ToString();
  {
    std::lock_guard lock(mu);
    pending[0](HttpResponse{.status = 200});  // to a connection that is gone
  }
  // The client and server both go on serving.
  std::stop_source unused;
  std::thread again(
      [&] { got = client.Send({.url = server.base_url() + "/poll", .stop = unused.get_token()}); });
  for (;;) {
    std::lock_guard lock(mu);
    if (pending.size() == 2) break;
  }
  {
    std::lock_guard lock(mu);
    pending[1](HttpResponse{.status = 202, .body = "late"});
  }
  again.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, "late");
}

TEST(HttpServerAndCurl, MalformedRequestGets400AndServerKeepsServing) {
  HttpServer server({.max_body_bytes = 10},
                    [](const ServerRequest&) { return HttpResponse{.status = 200, .body = "ok"}; });
  ASSERT_TRUE(server.Start().ok());
  CurlHttpClient client;
  auto big = client.Send(
      {.method = "POST", .url = server.base_url() + "/", .body = std::string(100, 'x')});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->status, 413);
  auto ok = client.Send({.url = server.base_url() + "/"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST(CurlHttpClient, ConnectionRefusedIsUnavailable) {
  // Bind and close a server to find a port nobody listens on.
  int port;
  {
    HttpServer s({}, [](const ServerRequest&) { return HttpResponse{}; });
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
  }
  CurlHttpClient client;
  auto r = client.Send({.url = "http://127.0.0.1:" + std::to_string(port) + "/"});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST(SplitHostPort, Forms) {
  std::string h;
  int p;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:4566", h, p).ok());
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_EQ(p, 4566);
  ASSERT_TRUE(SplitHostPort("[::1]:80", h, p).ok());
  EXPECT_EQ(h, "::1");
  EXPECT_FALSE(SplitHostPort("nohost", h, p).ok());
  EXPECT_FALSE(SplitHostPort("h:70000", h, p).ok());
}

}  // namespace
}  // namespace steady::net
