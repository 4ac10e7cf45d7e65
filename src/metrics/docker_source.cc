#include "metrics/docker_source.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace steady::metrics {
namespace {

using nlohmann::json;

// URL-encoded {"type":["container"],"event":["start","die"]}
constexpr const char* kEventsPath =
    "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%2C%"
    "22die%22%5D%7D";

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void Labels(const json& j, std::map<std::string, std::string>& out) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
}

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

}  // namespace

// The events stream's curl state, shared with Stop() so it can shut the socket down.
struct DockerSource::Stream {
  std::mutex mu;
  curl_socket_t fd = CURL_SOCKET_BAD;
  std::atomic<bool> stopping{false};

  void Shutdown() {
    stopping = true;
    std::lock_guard lock(mu);
    if (fd != CURL_SOCKET_BAD) ::shutdown(fd, SHUT_RDWR);
  }
};

DockerSource::DockerSource(DockerSourceOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock), stream_(std::make_unique<Stream>()) {
  current_.containers = std::make_shared<const ContainerList>();
  current_.status = UnavailableError("docker not synced yet");
}

DockerSource::~DockerSource() { Stop(); }

ContainerSnapshot DockerSource::Snapshot() {
  std::lock_guard lock(mu_);
  return current_;
}

void DockerSource::Publish(std::shared_ptr<const ContainerList> list, Status status) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = *list != *current_.containers;
    if (changed) {
      current_.containers = std::move(list);
      ++current_.generation;
    }
    current_.status = std::move(status);
  }
  if (changed && options_.on_change) options_.on_change();
}

void DockerSource::SetStatus(Status status) {
  std::lock_guard lock(mu_);
  current_.status = std::move(status);
}

Result<std::string> DockerSource::Get(const std::string& path) {
  CURL* curl = curl_easy_init();
  if (!curl) return InternalError("curl_easy_init failed");
  std::string body;
  std::string url = "http://docker" + path;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options_.socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.request_timeout / std::chrono::milliseconds(1)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return UnavailableError("docker " + options_.socket + " GET " + path + ": " +
                            curl_easy_strerror(rc));
  if (status == 404) return NotFoundError("docker GET " + path + ": 404");
  if (status != 200)
    return UnavailableError("docker GET " + path + ": HTTP " + std::to_string(status));
  return body;
}

Result<Container> DockerSource::Inspect(const std::string& id) {
  if (!ValidId(id)) return InvalidArgumentError("bad container id '" + id + "'");
  ASSIGN_OR_RETURN(std::string body, Get("/containers/" + id + "/json"));
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return InternalError("docker inspect " + id + ": not a JSON object");
  Container c;
  c.id = Str(j, "Id");
  if (c.id.empty()) c.id = id;
  c.name = Str(j, "Name");
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
  if (auto cfg = j.find("Config"); cfg != j.end() && cfg->is_object()) {
    c.image = Str(*cfg, "Image");
    if (auto l = cfg->find("Labels"); l != cfg->end()) Labels(*l, c.labels);
  }
  if (auto st = j.find("State"); st != j.end() && st->is_object()) {
    auto pid = st->find("Pid");
    if (pid != st->end() && pid->is_number_integer()) c.pid = pid->get<int>();
    auto running = st->find("Running");
    if (running != st->end() && running->is_boolean() && !running->get<bool>())
      return NotFoundError("container " + id + " is not running");
  }
  if (auto hc = j.find("HostConfig"); hc != j.end() && hc->is_object())
    c.cgroup_parent = Str(*hc, "CgroupParent");
  return c;
}

Status DockerSource::SyncOnce() {
  Result<std::string> body = Get("/containers/json");
  if (!body.ok()) {
    SetStatus(body.status());
    return body.status();
  }
  json list = json::parse(*body, nullptr, false);
  if (!list.is_array()) {
    Status s = InternalError("docker /containers/json: not a JSON array");
    SetStatus(s);
    return s;
  }
  auto out = std::make_shared<ContainerList>();
  Status status;
  for (const json& item : list) {
    if (!item.is_object()) continue;
    std::string id = Str(item, "Id");
    Result<Container> c = Inspect(id);
    if (c.ok()) {
      out->push_back(std::move(c).value());
    } else if (c.status().code() != StatusCode::kNotFound) {  // gone since the list: fine
      status = c.status();
    }
  }
  std::sort(out->begin(), out->end(),
            [](const Container& a, const Container& b) { return a.id < b.id; });
  Publish(std::move(out), status);
  return status;
}

Status DockerSource::HandleEvent(std::string_view line) {
  json e = json::parse(line, nullptr, false);
  if (!e.is_object()) return InvalidArgumentError("docker event: not a JSON object");
  std::string type = Str(e, "Type");
  std::string action = Str(e, "Action");
  if (action.empty()) action = Str(e, "status");  // API < 1.22
  std::string id;
  if (auto actor = e.find("Actor"); actor != e.end() && actor->is_object()) id = Str(*actor, "ID");
  if (id.empty()) id = Str(e, "id");
  if ((!type.empty() && type != "container") || id.empty()) return Status::Ok();
  if (action != "start" && action != "die") return Status::Ok();
  std::shared_ptr<const ContainerList> base = Snapshot().containers;
  auto next = std::make_shared<ContainerList>();
  for (const Container& c : *base)
    if (c.id != id) next->push_back(c);
  if (action == "start") {
    Result<Container> c = Inspect(id);
    if (!c.ok() && c.status().code() != StatusCode::kNotFound) return c.status();
    if (c.ok()) next->push_back(std::move(c).value());
    std::sort(next->begin(), next->end(),
              [](const Container& a, const Container& b) { return a.id < b.id; });
  }
  Publish(std::move(next), Status::Ok());
  return Status::Ok();
}

Status DockerSource::StreamEvents(std::stop_token stop) {
  struct Ctx {
    DockerSource* self;
    std::string pending;
    bool synced = false;
    Status sync_status;
  } ctx{this, {}, false, {}};
  CURL* curl = curl_easy_init();
  if (!curl) return InternalError("curl_easy_init failed");
  std::string url = std::string("http://docker") + kEventsPath;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options_.socket.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.resync_interval / std::chrono::milliseconds(1)));
  // Once the stream's headers are in, every later event reaches us: list now.
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(
      curl, CURLOPT_HEADERFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
        auto* c = static_cast<Ctx*>(user);
        std::string_view line(data, size * n);
        if ((line == "\r\n" || line == "\n") && !c->synced) {
          c->synced = true;
          c->sync_status = c->self->SyncOnce();
        }
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* user) -> size_t {
        auto* c = static_cast<Ctx*>(user);
        if (c->self->stream_->stopping) return 0;
        c->pending.append(data, size * n);
        size_t nl;
        while ((nl = c->pending.find('\n')) != std::string::npos) {
          std::string line = c->pending.substr(0, nl);
          c->pending.erase(0, nl + 1);
          if (line.empty() || line == "\r") continue;
          if (Status s = c->self->HandleEvent(line); !s.ok())
            LogWarn("exporter: docker event", {{"error", s.ToString()}});
        }
        if (c->pending.size() > (1 << 20)) c->pending.clear();  // no newline: junk
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, stream_.get());
  curl_easy_setopt(
      curl, CURLOPT_OPENSOCKETFUNCTION,
      +[](void* user, curlsocktype, curl_sockaddr* addr) -> curl_socket_t {
        auto* s = static_cast<Stream*>(user);
        curl_socket_t fd = ::socket(addr->family, addr->socktype, addr->protocol);
        std::lock_guard lock(s->mu);
        s->fd = fd;
        if (s->stopping && fd != CURL_SOCKET_BAD) ::shutdown(fd, SHUT_RDWR);
        return fd;
      });
  curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, stream_.get());
  curl_easy_setopt(
      curl, CURLOPT_CLOSESOCKETFUNCTION, +[](void* user, curl_socket_t fd) -> int {
        auto* s = static_cast<Stream*>(user);
        std::lock_guard lock(s->mu);
        if (s->fd == fd) s->fd = CURL_SOCKET_BAD;
        return ::close(fd);
      });
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (stop.stop_requested() || stream_->stopping) return CancelledError("stopped");
  if (rc == CURLE_OPERATION_TIMEDOUT && ctx.synced) return Status::Ok();  // time to resync
  if (rc != CURLE_OK)
    return UnavailableError("docker " + options_.socket + " events: " + curl_easy_strerror(rc));
  if (status != 200) return UnavailableError("docker events: HTTP " + std::to_string(status));
  return ctx.sync_status.ok() ? UnavailableError("docker closed the events stream")
                              : ctx.sync_status;
}

void DockerSource::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    Status s = StreamEvents(stop);
    if (s.code() == StatusCode::kCancelled) return;
    if (!s.ok()) {
      SetStatus(s);
      LogWarn("exporter: docker unreachable; serving the last container list",
              {{"error", s.ToString()}});
      clock_.SleepFor(options_.retry_backoff, stop);
    }
  }
}

void DockerSource::Start() {
  stream_->stopping = false;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void DockerSource::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  stream_->Shutdown();
  thread_.join();
}

}  // namespace steady::metrics
