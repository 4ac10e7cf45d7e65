#include "logs/forward_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/http_server.h"

namespace steady::logs {

namespace {

void PackStr(std::string_view s, std::string* out) {
  if (s.size() < 32) {
    out->push_back(static_cast<char>(0xa0 | s.size()));
  } else if (s.size() <= 0xffff) {
    out->push_back(static_cast<char>(0xda));
    out->push_back(static_cast<char>(s.size() >> 8));
    out->push_back(static_cast<char>(s.size() & 0xff));
  } else {
    out->push_back(static_cast<char>(0xdb));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((s.size() >> (8 * i)) & 0xff));
  }
  out->append(s);
}

}  // namespace

std::string PackStringMap(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  if (fields.size() < 16) {
    out.push_back(static_cast<char>(0x80 | fields.size()));
  } else {
    out.push_back(static_cast<char>(0xde));
    out.push_back(static_cast<char>(fields.size() >> 8));
    out.push_back(static_cast<char>(fields.size() & 0xff));
  }
  for (const auto& [k, v] : fields) {
    PackStr(k, &out);
    PackStr(v, &out);
  }
  return out;
}

ForwardClient::~ForwardClient() { Close(); }

void ForwardClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status ForwardClient::Connect(const std::string& host_port) {
  Close();
  std::string host;
  int port = 0;
  RETURN_IF_ERROR(net::SplitHostPort(host_port, host, port));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return InvalidArgumentError("not an IPv4 address: " + host);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    ::close(fd);
    return UnavailableError("connect " + host_port + ": " + std::strerror(e));
  }
  fd_ = fd;
  return Status::Ok();
}

Status ForwardClient::Send(std::string_view tag,
                           const std::vector<std::pair<EventTime, std::string>>& events, bool ack) {
  if (fd_ < 0) return UnavailableError("not connected");
  std::string chunk = ack ? "steady-" + std::to_string(next_chunk_++) : "";
  std::string msg = EncodePackedForward(tag, events, chunk, /*compress=*/false);
  const char* p = msg.data();
  size_t n = msg.size();
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w <= 0) {
      Close();
      return UnavailableError(std::string("send: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (!ack) return Status::Ok();
  // {"ack": chunk}: fixmap(1), fixstr "ack", then the chunk as str.
  std::string want;
  want.push_back(static_cast<char>(0x81));
  PackStr("ack", &want);
  PackStr(chunk, &want);
  std::string got;
  char buf[256];
  while (got.size() < want.size()) {
    ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r <= 0) {
      Close();
      return UnavailableError("connection closed before the ack");
    }
    got.append(buf, static_cast<size_t>(r));
  }
  if (got != want) {
    Close();
    return DataLossError("unexpected ack");
  }
  return Status::Ok();
}

}  // namespace steady::logs
