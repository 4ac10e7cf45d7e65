#include "metrics/docker_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace steady::metrics {
namespace {

// A hand-written Docker Engine API on a unix socket: /containers/json, /containers/{id}/json
// and a chunked /events stream the test pushes lines into.
class FakeDocker {
 public:
  FakeDocker() {
    path_ = std::filesystem::temp_directory_path() /
            ("steady-docker-" + std::to_string(::getpid()) + ".sock");
    std::filesystem::remove(path_);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~FakeDocker() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : conns_) t.join();
    std::filesystem::remove(path_);
  }
  const std::string& path() const { return path_; }

  void AddContainer(const std::string& id, const std::string& name, int pid) {
    std::lock_guard lock(mu_);
    containers_[id] =
        R"({"Id":")" + id + R"(","Name":"/)" + name + R"(","State":{"Running":true,"Pid":)" +
        std::to_string(pid) +
        R"(},"Config":{"Image":"nginx","Labels":{"com.amazonaws.ecs.container-name":")" + name +
        R"("}},"HostConfig":{"CgroupParent":"/ecs/t1"}})";
  }
  void RemoveContainer(const std::string& id) {
    std::lock_guard lock(mu_);
    containers_.erase(id);
  }
  // Blocks until a client listens to /events, then sends one event line.
  void PushEvent(const std::string& line) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return events_fd_ >= 0; });
    std::string data = line + "\n";
    char head[16];
    std::snprintf(head, sizeof head, "%zx\r\n", data.size());
    Send(events_fd_, head + data + "\r\n");
  }

 private:
  static void Send(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  void Accept() {
    while (true) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      open_.push_back(fd);
      conns_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  void Serve(int fd) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    std::string path = req.substr(4, req.find(' ', 4) - 4);
    if (path.starts_with("/events")) {
      Send(fd,
           "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
      std::lock_guard lock(mu_);
      events_fd_ = fd;
      cv_.notify_all();
      return;  // kept open until the destructor shuts it down
    }
    std::string body;
    int status = 200;
    {
      std::lock_guard lock(mu_);
      if (path == "/containers/json") {
        body = "[";
        for (const auto& [id, _] : containers_)
          body += (body.size() > 1 ? "," : "") + (R"({"Id":")" + id + R"("})");
        body += "]";
      } else if (path.starts_with("/containers/") && path.ends_with("/json")) {
        std::string id = path.substr(12, path.size() - 12 - 5);
        auto it = containers_.find(id);
        if (it == containers_.end()) {
          status = 404;
          body = R"({"message":"No such container"})";
        } else {
          body = it->second;
        }
      } else {
        status = 404;
      }
    }
    Send(fd, "HTTP/1.1 " + std::to_string(status) +
                 " X\r\nContent-Type: application/json\r\n"
                 "Connection: close\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
    ::shutdown(fd, SHUT_WR);
  }

  std::string path_;
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> containers_;
  std::vector<std::thread> conns_;
  std::vector<int> open_;
  int events_fd_ = -1;
};

std::vector<std::string> Ids(const ContainerSnapshot& s) {
  std::vector<std::string> ids;
  for (const Container& c : *s.containers) ids.push_back(c.id);
  return ids;
}

TEST(DockerSource, SyncListsAndInspects) {
  FakeDocker docker;
  docker.AddContainer("c1", "app", 4242);
  docker.AddContainer("c2", "envoy", 4243);
  ManualClock clock;
  DockerSource source({.socket = docker.path()}, clock);
  ASSERT_TRUE(source.SyncOnce().ok());
  ContainerSnapshot s = source.Snapshot();
  ASSERT_EQ(Ids(s), (std::vector<std::string>{"c1", "c2"}));
  const Container& c = (*s.containers)[0];
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(c.pid, 4242);
  EXPECT_EQ(c.image, "nginx");
  EXPECT_EQ(c.cgroup_parent, "/ecs/t1");
  EXPECT_EQ(c.labels.at("com.amazonaws.ecs.container-name"), "app");
}

TEST(DockerSource, UnreachableSocketIsAnErrorWithAnEmptyList) {
  ManualClock clock;
  DockerSource source({.socket = "/nonexistent/docker.sock"}, clock);
  EXPECT_EQ(source.SyncOnce().code(), StatusCode::kUnavailable);
  ContainerSnapshot s = source.Snapshot();
  EXPECT_EQ(s.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(s.containers->empty());
}

TEST(DockerSource, MalformedEventsAreRejected) {
  ManualClock clock;
  DockerSource source({.socket = "/nonexistent/docker.sock"}, clock);
  EXPECT_EQ(source.HandleEvent("{not json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(source.HandleEvent("[1,2]").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(source.HandleEvent(R"({"Type":"network","Action":"start"})").ok());
  EXPECT_EQ(
      source.HandleEvent(R"({"Type":"container","Action":"start","Actor":{"ID":"../x"}})").code(),
      StatusCode::kInvalidArgument);
}

TEST(DockerSource, FollowsTheEventsStream) {
  FakeDocker docker;
  docker.AddContainer("c1", "app", 4242);
  std::mutex mu;
  std::condition_variable cv;
  int changes = 0;
  ManualClock clock;
  DockerSource source({.socket = docker.path(),
                       .on_change =
                           [&] {
                             std::lock_guard lock(mu);
                             ++changes;
                             cv.notify_all();
                           }},
                      clock);
  auto wait_changes = [&](int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return changes >= n; });
  };
  source.Start();
  ASSERT_TRUE(wait_changes(1));  // the sync after the stream opened
  EXPECT_EQ(Ids(source.Snapshot()), std::vector<std::string>{"c1"});
  docker.AddContainer("c2", "worker", 4243);
  docker.PushEvent(R"({"Type":"container","Action":"start","Actor":{"ID":"c2"}})");
  ASSERT_TRUE(wait_changes(2));
  EXPECT_EQ(Ids(source.Snapshot()), (std::vector<std::string>{"c1", "c2"}));
  docker.RemoveContainer("c1");
  docker.PushEvent(R"({"status":"die","id":"c1","Type":"container","Action":"die"})");
  ASSERT_TRUE(wait_changes(3));
  EXPECT_EQ(Ids(source.Snapshot()), std::vector<std::string>{"c2"});
  EXPECT_TRUE(source.Snapshot().status.ok());
  source.Stop();  // returns at once: the stream's socket is shut down
}

}  // namespace
}  // namespace steady::metrics
