// Real S3-compatible servers for end-to-end tests and benchmarks, started on a free loopback
// port and stopped on destruction:
//
//   - s3rver (npm, installed by scripts/install-deps into tools/node_modules): checks SigV4
//     with the credentials S3RVER/S3RVER. Run with NODE_OPTIONS=--openssl-legacy-provider: it
//     encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 disables, and
//     answers InternalError to every truncated page without it (/work/shared/NOTES.md).
//   - moto_server (Python moto, in the image): any credentials; closer to S3 on the edges
//     s3rver gets wrong (delimiter roll-ups of deep keys, AbortMultipartUpload, Content-MD5).
//
//   auto peer = e2e::S3Peer::StartS3rver();   // Result<std::unique_ptr<S3Peer>>
//   ... (*peer)->endpoint() → "http://127.0.0.1:PORT"
//
// A child gets SIGKILL if the test process dies first (PR_SET_PDEATHSIG), so a crashed test
// leaves no server behind. Header-only: tests/e2e has no library of its own.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace steady::e2e {

class S3Peer {
 public:
  static constexpr const char* kS3rverAccessKey = "S3RVER";
  static constexpr const char* kS3rverSecretKey = "S3RVER";

  // Where the s3rver script is ($STEADY_S3RVER, else
  // <STEADY_SOURCE_DIR>/tools/node_modules/.bin/s3rver), or "" if it cannot be found.
  static std::string S3rverBinary() {
    if (const char* env = std::getenv("STEADY_S3RVER"); env && *env) return env;
    std::string source;
    if (const char* env = std::getenv("STEADY_SOURCE_DIR"); env && *env) source = env;
#ifdef STEADY_SOURCE_DIR
    if (source.empty()) source = STEADY_SOURCE_DIR;
#endif
    if (source.empty()) return "";
    std::string path = source + "/tools/node_modules/.bin/s3rver";
    return ::access(path.c_str(), X_OK) == 0 ? path : "";
  }

  // Starts s3rver over a fresh temporary directory; waits until it listens. s3rver picks its
  // port (-p 0) and prints it. kFailedPrecondition when it is not installed.
  static Result<std::unique_ptr<S3Peer>> StartS3rver(Duration timeout = std::chrono::seconds(30)) {
    std::string binary = S3rverBinary();
    if (binary.empty()) {
      return FailedPreconditionError(
          "s3rver not found: run scripts/install-deps (or set "
          "STEADY_S3RVER)");
    }
    ASSIGN_OR_RETURN(std::unique_ptr<S3Peer> peer, Prepare());
    std::string data_dir = peer->dir_ + "/data";
    std::filesystem::create_directories(data_dir);
    RETURN_IF_ERROR(peer->Spawn({binary, "-d", data_dir, "-a", "127.0.0.1", "-p", "0", "--silent"},
                                {{"NODE_OPTIONS", "--openssl-legacy-provider"}}));
    // "S3rver listening on 127.0.0.1:PORT" once it accepts connections.
    RETURN_IF_ERROR(peer->AwaitLog("listening on 127.0.0.1:", timeout));
    return peer;
  }

  // Starts moto_server (found on PATH, or $STEADY_MOTO_SERVER) on a free port; waits until
  // the port accepts connections.
  static Result<std::unique_ptr<S3Peer>> StartMoto(Duration timeout = std::chrono::seconds(60)) {
    std::string binary = "moto_server";
    if (const char* env = std::getenv("STEADY_MOTO_SERVER"); env && *env) binary = env;
    ASSIGN_OR_RETURN(int port, FreeLoopbackPort());
    ASSIGN_OR_RETURN(std::unique_ptr<S3Peer> peer, Prepare());
    peer->port_ = port;
    RETURN_IF_ERROR(peer->Spawn({binary, "-H", "127.0.0.1", "-p", std::to_string(port)}, {}));
    RETURN_IF_ERROR(peer->AwaitConnect(timeout));
    return peer;
  }

  ~S3Peer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int wstatus = 0;
      // Both servers end at once on SIGTERM; SIGKILL if not within a few seconds.
      Clock& clock = SystemClock::Get();
      Time deadline = clock.Now() + std::chrono::seconds(5);
      while (::waitpid(pid_, &wstatus, WNOHANG) == 0) {
        if (clock.Now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &wstatus, 0);
          break;
        }
        clock.SleepFor(std::chrono::milliseconds(10));
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  S3Peer(const S3Peer&) = delete;
  S3Peer& operator=(const S3Peer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The server's output so far (for failure messages).
  std::string log() const {
    std::ifstream in(dir_ + "/server.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  S3Peer() = default;

  static Result<std::unique_ptr<S3Peer>> Prepare() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "steady-s3peer-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return InternalError("mkdtemp failed");
    std::unique_ptr<S3Peer> peer(new S3Peer());
    peer->dir_ = tmpl;
    return peer;
  }

  // A port that was free a moment ago (bind to 0, read it, close). Another process could take
  // it before the server binds; on loopback in a test that race is rare and fails loudly.
  static Result<int> FreeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return InternalError("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      return InternalError("bind to 127.0.0.1:0 failed");
    }
    ::close(fd);
    return static_cast<int>(ntohs(addr.sin_port));
  }

  Status Spawn(const std::vector<std::string>& argv,
               const std::vector<std::pair<std::string, std::string>>& env) {
    std::string log_path = dir_ + "/server.log";
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return InternalError("fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    pid_ = pid;
    return Status::Ok();
  }

  bool Exited() {
    int wstatus = 0;
    if (pid_ > 0 && ::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }

  // Waits for `marker` followed by the port number in the server's output.
  Status AwaitLog(std::string_view marker, Duration timeout) {
    Clock& clock = SystemClock::Get();
    Time deadline = clock.Now() + timeout;
    while (clock.Now() < deadline) {
      std::string out = log();
      size_t at = out.find(marker);
      if (at != std::string::npos) {
        size_t start = at + marker.size();
        size_t end = out.find_first_not_of("0123456789", start);
        if (end != std::string::npos && end > start) {
          port_ = std::atoi(out.substr(start, end - start).c_str());
          return Status::Ok();
        }
      }
      if (Exited()) return UnavailableError("server exited before listening: " + out);
      clock.SleepFor(std::chrono::milliseconds(20));
    }
    return DeadlineExceededError("server did not start listening: " + log());
  }

  Status AwaitConnect(Duration timeout) {
    Clock& clock = SystemClock::Get();
    Time deadline = clock.Now() + timeout;
    while (clock.Now() < deadline) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
      ::close(fd);
      if (ok) return Status::Ok();
      if (Exited()) return UnavailableError("server exited before listening: " + log());
      clock.SleepFor(std::chrono::milliseconds(50));
    }
    return DeadlineExceededError("server did not accept connections: " + log());
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace steady::e2e
