// The Forward-protocol server: TCP (optionally TLS) connections, the HELO/PING/PONG handshake,
// message framing, acks, backpressure, and the UDP heartbeat on the same port. What to do with
// the messages is the ForwardHandler's business (the aggregator's pipeline, logs/aggregator.h).
// Asio stays inside the .cc.
//
// Per connection: read into a buffer, cut complete messages with ParseForwardMessage, hand the
// batch to the handler on the I/O thread, then write the acks of messages that asked for one.
// A malformed message: counted (steady_aggregator_malformed_messages_total), logged with the
// peer, the messages before it handled and acked, the connection closed. Other connections and
// the process are unaffected. Failed authentication: counted, PONG with the reason, closed.
//
// Backpressure: while handler.Paused() is true no connection reads; a handler that returns
// kResourceExhausted (disk full, buffer over its limit) keeps its batch: the server retries the
// same batch after ResumeReading() (or a 1 s retry timer) and acks only when it succeeds, so the
// clients' own buffering takes over and nothing acknowledged is ever lost.
//
// Thread safety: Start/Stop from one thread; ResumeReading from any thread. The handler is
// called concurrently from the I/O threads, never concurrently for one connection.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "base/metrics.h"
#include "base/status.h"
#include "logs/forward_protocol.h"

namespace steady::logs {

// State a handler keeps per connection (e.g. staging buffers); created by NewConnection.
class ForwardConnectionState {
 public:
  virtual ~ForwardConnectionState() = default;
};

class ForwardHandler {
 public:
  virtual ~ForwardHandler() = default;
  virtual std::unique_ptr<ForwardConnectionState> NewConnection(const std::string& peer) = 0;
  // Handles complete events messages (in order). OK: all handled (durable if `durable` is set:
  // some message asked for an ack). kResourceExhausted: retry the same batch later. Any other
  // error: the message at `*bad_index` is malformed; messages before it were handled (and are
  // durable if `durable`), the connection will be closed.
  virtual Status Handle(ForwardConnectionState& state, std::span<const ForwardMessage> batch,
                        bool durable, size_t* bad_index) = 0;
  // True while the server must not read (buffer over its limit).
  virtual bool Paused() const = 0;
};

struct ForwardServerOptions {
  std::string listen = "127.0.0.1:24224";  // TCP and UDP (heartbeat); port 0 picks a free one
  int threads = 0;                         // I/O threads; 0: one per core
  size_t read_buffer_bytes = 256 << 10;    // per read; a batch is what one read completed
  ForwardLimits limits;
  // TLS: both set → TLS only on the TCP port.
  std::string tls_cert_file, tls_key_file;
  // Authentication (HELO/PING/PONG) when shared_key is set.
  AuthConfig auth;
  bool heartbeat_udp = true;
};

class ForwardServer {
 public:
  ForwardServer(ForwardServerOptions options, ForwardHandler& handler, MetricsRegistry& metrics);
  ~ForwardServer();  // Stop()
  ForwardServer(const ForwardServer&) = delete;
  ForwardServer& operator=(const ForwardServer&) = delete;

  // Binds TCP and UDP and starts the I/O threads. kUnavailable if the port is taken,
  // kInvalidArgument for a bad listen address or unreadable TLS files.
  Status Start();
  // Stops accepting and reading: each connection finishes (and acks) the batch it is handling,
  // then closes. Joins the threads. Idempotent.
  void Stop();
  // Wakes connections paused by backpressure (call when the buffer drains).
  void ResumeReading();

  int port() const;
  uint64_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::logs
