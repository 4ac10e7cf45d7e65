// A ContainerSource fed by the Docker Engine API over its unix socket:
//   GET /containers/json              the running containers
//   GET /containers/{id}/json         State.Pid, Config.Labels, HostConfig.CgroupParent
//   GET /events?filters=...           start/die events of containers, streamed
// A background thread connects to /events, then does a full list + inspect (so no event is
// missed between the two), applies events as they come, and reconnects and resyncs every
// `resync_interval` (or after an error, after `retry_backoff`). Never the stats API.
//
// While docker is unreachable, Snapshot() serves the last good list with a kUnavailable status.
//
// Thread safety: Snapshot, SyncOnce and HandleEvent may be called from any thread. Start/Stop
// from one thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "metrics/container.h"

namespace steady::metrics {

struct DockerSourceOptions {
  std::string socket = "/var/run/docker.sock";
  Duration resync_interval = std::chrono::seconds(60);
  Duration request_timeout = std::chrono::seconds(10);
  Duration retry_backoff = std::chrono::seconds(5);
  // Called after every change of the container list (tests wait on it). May be empty.
  std::function<void()> on_change;
};

class DockerSource final : public ContainerSource {
 public:
  DockerSource(DockerSourceOptions options, Clock& clock);
  ~DockerSource() override;  // stops

  const char* kind() const override { return "docker"; }
  ContainerSnapshot Snapshot() override;

  // Starts the watch thread. Returns at once; the first sync happens in the background.
  void Start();
  // Stops the thread (closes the events stream). Idempotent.
  void Stop();

  // One full list + inspect, replacing the snapshot. kUnavailable if docker cannot be reached,
  // kInternal on an answer that is not what the API documents.
  Status SyncOnce();
  // Applies one line of the /events stream (a JSON object). kInvalidArgument if malformed.
  Status HandleEvent(std::string_view json_line);

 private:
  struct Stream;
  void Run(std::stop_token stop);
  Status StreamEvents(std::stop_token stop);
  // GET path on the socket; the body of a 200, or an error.
  Result<std::string> Get(const std::string& path);
  Result<Container> Inspect(const std::string& id);
  void Publish(std::shared_ptr<const ContainerList> list, Status status);
  void SetStatus(Status status);

  const DockerSourceOptions options_;
  Clock& clock_;
  std::mutex mu_;
  ContainerSnapshot current_;
  std::jthread thread_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace steady::metrics
