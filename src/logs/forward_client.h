// A small blocking Forward-protocol client: PackedForward messages with an optional ack wait.
// For `steady up`'s sample workload and for tests; production senders are Docker's fluentd
// driver, fluent-bit and fluentd. No handshake support (use a real client for that).
//
// Thread safety: one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "logs/forward_protocol.h"

namespace steady::logs {

class ForwardClient {
 public:
  ForwardClient() = default;
  ~ForwardClient();
  ForwardClient(const ForwardClient&) = delete;
  ForwardClient& operator=(const ForwardClient&) = delete;

  // Connects to HOST:PORT (IPv4). kUnavailable if nobody listens.
  Status Connect(const std::string& host_port);
  // Sends the events (records are raw msgpack maps) as one PackedForward message; with `ack`,
  // waits for {"ack": chunk}. kUnavailable on a broken connection (then reconnect).
  Status Send(std::string_view tag, const std::vector<std::pair<EventTime, std::string>>& events,
              bool ack);
  void Close();
  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  uint64_t next_chunk_ = 1;
};

// A msgpack map of string keys and string values (record building for tests and samples).
std::string PackStringMap(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace steady::logs
