#include "logs/forward_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "net/http_server.h"

namespace steady::logs {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& m)
      : connections(m.AddGauge("steady_aggregator_connections", "Open Forward connections.").Get()),
        accepted(
            m.AddCounter("steady_aggregator_connections_total", "Forward connections accepted.")
                .Get()),
        messages(m.AddCounter("steady_aggregator_messages_total",
                              "Forward messages received, by event mode.", {"mode"})),
        bytes_in(m.AddCounter("steady_aggregator_received_bytes_total",
                              "Bytes read from Forward connections.")
                     .Get()),
        malformed(m.AddCounter("steady_aggregator_malformed_messages_total",
                               "Forward messages rejected as malformed (connection closed).")
                      .Get()),
        auth_failures(m.AddCounter("steady_aggregator_auth_failures_total",
                                   "Forward handshakes refused (bad shared key or password).")
                          .Get()),
        acks(m.AddCounter("steady_aggregator_acks_total", "Acks sent for chunks made durable.")
                 .Get()),
        backpressure_seconds(m.AddCounter("steady_aggregator_backpressure_seconds_total",
                                          "Connection-seconds spent not reading because the "
                                          "buffer was full or the disk refused writes.")
                                 .Get()),
        heartbeats(
            m.AddCounter("steady_aggregator_heartbeats_total", "UDP heartbeats answered.").Get()) {}
  Gauge& connections;
  Counter& accepted;
  MetricFamily<Counter>& messages;
  Counter& bytes_in;
  Counter& malformed;
  Counter& auth_failures;
  Counter& acks;
  Counter& backpressure_seconds;
  Counter& heartbeats;
};

namespace {

// One connection. Every step runs on the connection's strand; at most one asynchronous
// operation (read, write, handshake or retry timer) is outstanding at a time, so the buffer
// and the pending batch need no lock.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Called on the strand by Stop() and ResumeReading().
  virtual void OnStop() = 0;
  virtual void OnResume() = 0;
  virtual asio::any_io_executor executor() = 0;
};

struct Shared {
  ForwardServerOptions options;
  ForwardHandler& handler;
  ServerMetrics metrics;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::set<std::shared_ptr<SessionBase>> sessions;
  std::set<std::shared_ptr<SessionBase>> paused;

  Shared(ForwardServerOptions o, ForwardHandler& h, MetricsRegistry& m)
      : options(std::move(o)), handler(h), metrics(m) {}
};

std::string RandomBytes(size_t n) {
  std::string uuid = NewUuid() + NewUuid();  // random v4 uuids: enough entropy for a nonce
  std::string out;
  for (char c : uuid) {
    if (c != '-' && out.size() < n) out.push_back(c);
  }
  return out;
}

template <typename Stream>
class Session final : public SessionBase {
 public:
  Session(Stream stream, std::string peer, Shared& shared)
      : stream_(std::move(stream)),
        peer_(std::move(peer)),
        shared_(shared),
        timer_(stream_.get_executor()) {
    state_ = shared_.handler.NewConnection(peer_);
    shared_.metrics.connections.Add(1);
  }
  ~Session() override { shared_.metrics.connections.Add(-1); }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void Start() override {
    if constexpr (std::is_same_v<Stream, ssl::stream<tcp::socket>>) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = Self()](boost::system::error_code ec) {
                                if (ec) {
                                  LogWarn("aggregator: TLS handshake failed",
                                          {{"peer", self->peer_}, {"error", ec.message()}});
                                  return self->Close();
                                }
                                self->Greet();
                              });
    } else {
      Greet();
    }
  }

  void OnStop() override {
    stopped_ = true;
    if (busy_ == Busy::kReading || busy_ == Busy::kPaused) Close();
    // Writing or handling: the batch in hand is finished and acked first, then it closes.
  }

  void OnResume() override {
    if (busy_ != Busy::kPaused) return;
    timer_.cancel();  // the timer's handler retries
  }

 private:
  enum class Busy { kIdle, kReading, kWriting, kPaused, kClosed };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }

  void Greet() {
    if (shared_.options.auth.shared_key.empty()) {
      authenticated_ = true;
      return Read();
    }
    helo_.nonce = RandomBytes(16);
    if (!shared_.options.auth.users.empty()) helo_.auth_salt = RandomBytes(16);
    Write(EncodeHelo(helo_), /*then_close=*/false);
  }

  void Read() {
    if (stopped_ || shared_.stopping) return Close();
    if (shared_.handler.Paused()) return Pause();
    size_t want = std::max(shared_.options.read_buffer_bytes, need_ > end_ ? need_ - end_ : 0);
    if (buf_.size() < end_ + want) buf_.resize(end_ + want);
    busy_ = Busy::kReading;
    stream_.async_read_some(
        asio::buffer(buf_.data() + end_, buf_.size() - end_),
        [self = Self()](boost::system::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    busy_ = Busy::kIdle;
    if (ec) return Close();  // EOF, reset, or cancelled by Stop
    shared_.metrics.bytes_in.Inc(static_cast<double>(n));
    end_ += n;
    Parse();
  }

  // Cuts every complete message in buf_[0, end_) into batch_ and hands them over.
  void Parse() {
    batch_.clear();
    durable_ = false;
    parse_error_ = Status::Ok();
    size_t pos = 0;
    need_ = 0;
    while (pos < end_) {
      ForwardMessage msg;
      size_t need = 0;
      auto r = ParseForwardMessage(std::string_view(buf_.data() + pos, end_ - pos),
                                   shared_.options.limits, &msg, &need);
      if (!r.ok()) {
        parse_error_ = r.status();
        break;
      }
      if (*r == 0) {
        need_ = need;
        break;
      }
      pos += *r;
      if (msg.kind == ForwardMessage::Kind::kPing) {
        if (authenticated_ || shared_.options.auth.shared_key.empty()) {
          parse_error_ = InvalidArgumentError("unexpected PING");
          break;
        }
        std::string pong;
        Status s = VerifyPing(msg, helo_, shared_.options.auth, &pong);
        if (!s.ok()) {
          shared_.metrics.auth_failures.Inc();
          LogWarn("aggregator: authentication failed", {{"peer", peer_}, {"error", s.message()}});
          return Write(std::move(pong), /*then_close=*/true);
        }
        authenticated_ = true;
        consumed_ = pos;
        acks_ = std::move(pong);  // sent with the acks of this batch (none can precede it)
        continue;
      }
      if (!authenticated_) {
        shared_.metrics.auth_failures.Inc();
        LogWarn("aggregator: events before authentication", {{"peer", peer_}});
        return Close();
      }
      shared_.metrics.messages.With({std::string(EventModeName(msg.mode))}).Inc();
      if (msg.has_chunk) durable_ = true;
      batch_.push_back(msg);
    }
    consumed_ = pos;
    HandleBatch();
  }

  void HandleBatch() {
    size_t bad = batch_.size();
    Status s =
        batch_.empty() ? Status::Ok() : shared_.handler.Handle(*state_, batch_, durable_, &bad);
    if (s.code() == StatusCode::kResourceExhausted) {
      if (!backpressure_logged_) {
        LogWarn("aggregator: holding a batch, buffer full or disk refusing writes",
                {{"peer", peer_}, {"error", s.message()}});
        backpressure_logged_ = true;
      }
      return Pause();
    }
    backpressure_logged_ = false;
    bool close = !parse_error_.ok();
    if (!s.ok()) {
      parse_error_ = s;
      close = true;
    }
    size_t handled = s.ok() ? batch_.size() : std::min(bad, batch_.size());
    for (size_t i = 0; i < handled; ++i) {
      if (batch_[i].has_chunk) {
        AppendAck(batch_[i], &acks_);
        shared_.metrics.acks.Inc();
      }
    }
    if (close) {
      shared_.metrics.malformed.Inc();
      LogWarn("aggregator: malformed message, closing the connection",
              {{"peer", peer_}, {"error", parse_error_.message()}});
    }
    batch_.clear();
    // Keep the unparsed tail for the next read.
    if (consumed_ > 0) {
      std::memmove(buf_.data(), buf_.data() + consumed_, end_ - consumed_);
      end_ -= consumed_;
      consumed_ = 0;
    }
    if (buf_.size() > 4 * shared_.options.read_buffer_bytes && end_ < buf_.size() / 4) {
      buf_.resize(std::max(end_, shared_.options.read_buffer_bytes));
      buf_.shrink_to_fit();
    }
    if (!acks_.empty()) return Write(std::exchange(acks_, {}), close);
    if (close) return Close();
    Read();
  }

  // Waits for ResumeReading() or one second, then retries the held batch (or reads).
  void Pause() {
    busy_ = Busy::kPaused;
    if (!paused_since_) paused_since_ = SystemClock::Get().Now();
    {
      std::lock_guard lock(shared_.mu);
      shared_.paused.insert(shared_from_this());
    }
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = Self()](boost::system::error_code) {
      {
        std::lock_guard lock(self->shared_.mu);
        self->shared_.paused.erase(self);
      }
      if (self->busy_ == Busy::kClosed) return;
      self->busy_ = Busy::kIdle;
      if (self->paused_since_) {
        self->shared_.metrics.backpressure_seconds.Inc(ToUnixSeconds(SystemClock::Get().Now()) -
                                                       ToUnixSeconds(*self->paused_since_));
        self->paused_since_.reset();
      }
      if (self->stopped_ && self->batch_.empty()) return self->Close();
      if (!self->batch_.empty()) return self->HandleBatch();
      self->Read();
    });
  }

  void Write(std::string data, bool then_close) {
    out_ = std::move(data);
    busy_ = Busy::kWriting;
    asio::async_write(stream_, asio::buffer(out_),
                      [self = Self(), then_close](boost::system::error_code ec, size_t) {
                        self->busy_ = Busy::kIdle;
                        if (ec || then_close) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    if (busy_ == Busy::kClosed) return;
    busy_ = Busy::kClosed;
    timer_.cancel();
    boost::system::error_code ec;
    auto& sock = stream_.lowest_layer();
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    std::lock_guard lock(shared_.mu);
    shared_.paused.erase(shared_from_this());
    shared_.sessions.erase(shared_from_this());
  }

  Stream stream_;
  std::string peer_;
  Shared& shared_;
  asio::steady_timer timer_;
  std::unique_ptr<ForwardConnectionState> state_;
  std::vector<char> buf_;
  size_t end_ = 0, consumed_ = 0, need_ = 0;
  std::vector<ForwardMessage> batch_;
  bool durable_ = false;
  Status parse_error_;
  std::string acks_, out_;
  HeloParams helo_;
  bool authenticated_ = false;
  bool stopped_ = false;
  bool backpressure_logged_ = false;
  std::optional<Time> paused_since_;
  Busy busy_ = Busy::kIdle;
};

}  // namespace

struct ForwardServer::Impl {
  Impl(ForwardServerOptions o, ForwardHandler& h, MetricsRegistry& m)
      : shared(std::move(o), h, m), acceptor(ioc), udp_socket(ioc), tls(ssl::context::tls_server) {}

  Shared shared;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  udp::socket udp_socket;
  udp::endpoint udp_peer;
  std::array<char, 1024> udp_buf;
  ssl::context tls;
  bool use_tls = false;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> accepted{0};
  int port = 0;
  bool started = false;

  void Accept() {
    acceptor.async_accept(
        asio::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket sock) {
          if (ec) {
            if (ec == asio::error::operation_aborted || shared.stopping) return;
            LogWarn("aggregator: accept failed", {{"error", ec.message()}});
            return Accept();
          }
          boost::system::error_code pec;
          auto ep = sock.remote_endpoint(pec);
          std::string peer = pec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
          sock.set_option(tcp::no_delay(true), pec);
          std::shared_ptr<SessionBase> s;
          if (use_tls) {
            s = std::make_shared<Session<ssl::stream<tcp::socket>>>(
                ssl::stream<tcp::socket>(std::move(sock), tls), peer, shared);
          } else {
            s = std::make_shared<Session<tcp::socket>>(std::move(sock), peer, shared);
          }
          shared.metrics.accepted.Inc();
          accepted++;
          {
            std::lock_guard lock(shared.mu);
            shared.sessions.insert(s);
          }
          asio::dispatch(s->executor(), [s] { s->Start(); });
          Accept();
        });
  }

  // Heartbeat: any datagram is answered with one NUL byte, as fluentd's in_forward does.
  void ReceiveHeartbeat() {
    udp_socket.async_receive_from(asio::buffer(udp_buf), udp_peer,
                                  [this](boost::system::error_code ec, size_t) {
                                    if (ec == asio::error::operation_aborted || shared.stopping)
                                      return;
                                    if (!ec) {
                                      static const char kNul[1] = {0};
                                      boost::system::error_code sec;
                                      udp_socket.send_to(asio::buffer(kNul, 1), udp_peer, 0, sec);
                                      shared.metrics.heartbeats.Inc();
                                    }
                                    ReceiveHeartbeat();
                                  });
  }
};

ForwardServer::ForwardServer(ForwardServerOptions options, ForwardHandler& handler,
                             MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), handler, metrics)) {}

ForwardServer::~ForwardServer() { Stop(); }

Status ForwardServer::Start() {
  Impl& im = *impl_;
  const ForwardServerOptions& o = im.shared.options;
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(net::SplitHostPort(o.listen, host, port));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgumentError("bad listen address '" + o.listen + "'");

  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    im.tls.use_certificate_chain_file(o.tls_cert_file, ec);
    if (!ec) im.tls.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return InvalidArgumentError("TLS certificate or key: " + ec.message());
    im.use_tls = true;
  }

  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  im.acceptor.open(ep.protocol(), ec);
  if (!ec) im.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) im.acceptor.bind(ep, ec);
  if (!ec) im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("listen on " + o.listen + ": " + ec.message());
  im.port = im.acceptor.local_endpoint().port();

  if (o.heartbeat_udp) {
    udp::endpoint uep(addr, static_cast<unsigned short>(im.port));
    im.udp_socket.open(uep.protocol(), ec);
    if (!ec) im.udp_socket.bind(uep, ec);
    if (ec)
      return UnavailableError("UDP heartbeat on port " + std::to_string(im.port) + ": " +
                              ec.message());
    im.ReceiveHeartbeat();
  }

  im.work.emplace(im.ioc.get_executor());
  im.Accept();
  int n = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.ioc.run(); });
  im.started = true;
  return Status::Ok();
}

void ForwardServer::Stop() {
  Impl& im = *impl_;
  if (!im.started) return;
  im.started = false;
  im.shared.stopping = true;
  asio::post(im.ioc, [&im] {
    boost::system::error_code ec;
    im.acceptor.close(ec);
    im.udp_socket.close(ec);
  });
  std::vector<std::shared_ptr<SessionBase>> sessions;
  {
    std::lock_guard lock(im.shared.mu);
    sessions.assign(im.shared.sessions.begin(), im.shared.sessions.end());
  }
  for (auto& s : sessions) asio::post(s->executor(), [s] { s->OnStop(); });
  im.work.reset();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
}

void ForwardServer::ResumeReading() {
  std::vector<std::shared_ptr<SessionBase>> paused;
  {
    std::lock_guard lock(impl_->shared.mu);
    paused.assign(impl_->shared.paused.begin(), impl_->shared.paused.end());
  }
  for (auto& s : paused) asio::post(s->executor(), [s] { s->OnResume(); });
}

int ForwardServer::port() const { return impl_->port; }
uint64_t ForwardServer::connections() const { return impl_->accepted.load(); }

}  // namespace steady::logs
