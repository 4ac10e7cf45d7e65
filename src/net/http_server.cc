#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/log.h"

namespace steady::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

Status SplitHostPort(const std::string& listen, std::string& host, int& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    return InvalidArgumentError("expected HOST:PORT, got '" + listen + "'");
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string_view p(listen.data() + colon + 1, listen.size() - colon - 1);
  auto r = std::from_chars(p.data(), p.data() + p.size(), port);
  if (r.ec != std::errc() || r.ptr != p.data() + p.size() || port < 0 || port > 65535)
    return InvalidArgumentError("bad port in '" + listen + "'");
  if (host.empty()) host = "127.0.0.1";
  return Status::Ok();
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const AsyncHttpHandler& handler, const HttpServerOptions& options,
          std::function<void(Session*)> on_close)
      : stream_(std::move(socket)),
        handler_(handler),
        options_(options),
        on_close_(std::move(on_close)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void Start() { Read(); }

  void Close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    // The header first: a client that sent `Expect: 100-continue` (botocore on every upload)
    // waits for `100 Continue` before the body, for a second if nobody answers.
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnRead(ec);
    auto& req = parser_->get();
    auto expect = req.find(bhttp::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       req.version());
      bhttp::async_write(stream_, *cont,
                         [self = shared_from_this(), cont](beast::error_code wec, size_t) {
                           if (wec) return self->OnRead(wec);
                           self->ReadBody();
                         });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return Finish();
    }
    if (ec) {
      // Malformed request or body over the limit: answer 400/413 and close, keep serving others.
      HttpResponse resp;
      resp.status = ec == bhttp::error::body_limit ? 413 : 400;
      resp.body = std::string("bad request: ") + ec.message() + "\n";
      LogDebug("http: bad request", {{"peer", peer_}, {"error", ec.message()}});
      keep_alive_ = false;
      return Write(std::move(resp));
    }
    auto& req = parser_->get();
    ServerRequest sreq;
    sreq.method = std::string(req.method_string());
    sreq.target = std::string(req.target());
    size_t q = sreq.target.find('?');
    sreq.path = sreq.target.substr(0, q);
    if (q != std::string::npos) sreq.query = sreq.target.substr(q + 1);
    for (const auto& f : req)
      sreq.headers.Add(std::string(f.name_string()), std::string(f.value()));
    sreq.body = std::move(req.body());
    sreq.peer = peer_;
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    auto self = shared_from_this();
    auto responded = std::make_shared<std::atomic<bool>>(false);
    handler_(sreq, [self, responded](HttpResponse resp) {
      if (responded->exchange(true)) return;  // respond is once-only
      asio::post(self->stream_.get_executor(),
                 [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    });
  }

  void Write(HttpResponse resp) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    msg->version(version_);
    msg->result(static_cast<unsigned>(resp.status));
    bool has_server = false;
    for (const auto& [k, v] : resp.headers) {
      msg->insert(k, v);
      has_server = has_server || EqualsIgnoreCase(k, "server");
    }
    if (!has_server) msg->set(bhttp::field::server, options_.server_header);
    // HEAD: the handler may set the Content-Length of the body it would send; only the header
    // goes on the wire.
    bool head = parser_ && parser_->get().method() == bhttp::verb::head;
    if (!(head && resp.headers.Has("Content-Length"))) {
      msg->body() = std::move(resp.body);
      msg->prepare_payload();
    }
    msg->keep_alive(keep_alive_);
    if (head) {
      auto ser = std::make_shared<bhttp::response_serializer<bhttp::string_body>>(*msg);
      bhttp::async_write_header(
          stream_, *ser, [self = shared_from_this(), msg, ser](beast::error_code ec, size_t) {
            self->OnWrite(ec);
          });
      return;
    }
    bhttp::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    if (ec || !keep_alive_) {
      beast::error_code ignore;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignore);
      return Finish();
    }
    Read();
  }

  void Finish() {
    if (on_close_) on_close_(this);
    on_close_ = nullptr;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const AsyncHttpHandler& handler_;
  const HttpServerOptions& options_;
  std::function<void(Session*)> on_close_;
  std::string peer_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  AsyncHttpHandler handler;
  asio::io_context io;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::mutex mu;
  std::map<Session*, std::weak_ptr<Session>> sessions;
  int port = 0;
  std::string host;
  bool running = false;

  void Accept() {
    acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        LogWarn("http: accept failed", {{"error", ec.message()}});
      } else {
        s.set_option(tcp::no_delay(true), ec);
        auto session =
            std::make_shared<Session>(std::move(s), handler, options, [this](Session* p) {
              std::lock_guard lock(mu);
              sessions.erase(p);
            });
        {
          std::lock_guard lock(mu);
          sessions[session.get()] = session;
        }
        session->Start();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : HttpServer(
          std::move(options),
          AsyncHttpHandler([h = std::move(handler)](const ServerRequest& req, Responder respond) {
            respond(h(req));
          })) {}

HttpServer::HttpServer(HttpServerOptions options, AsyncHttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(SplitHostPort(impl_->options.listen, host, port));
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgumentError("listen address must be an IP address: '" + host + "'");
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor.emplace(impl_->io);
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("listen on " + impl_->options.listen + ": " + ec.message());
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->host = host;
  impl_->work.emplace(impl_->io.get_executor());
  impl_->Accept();
  int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->io.run(); });
  impl_->running = true;
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [p, w] : impl_->sessions)
      if (auto s = w.lock()) s->Close();
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::base_url() const {
  std::string h =
      impl_->host.find(':') != std::string::npos ? "[" + impl_->host + "]" : impl_->host;
  return "http://" + h + ":" + std::to_string(impl_->port);
}

}  // namespace steady::net
