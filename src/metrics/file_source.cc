#include "metrics/file_source.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/config.h"

namespace steady::metrics {

Result<ContainerList> ParseContainersFile(std::string_view text, const std::string& source_name) {
  ASSIGN_OR_RETURN(Config config, Config::Parse(text, source_name));
  ASSIGN_OR_RETURN(std::vector<ConfigNode> nodes, config.root().List("containers"));
  ContainerList out;
  std::set<std::string> ids;
  for (const ConfigNode& n : nodes) {
    RETURN_IF_ERROR(n.CheckKeys(
        {"id", "name", "image", "pid", "cgroup", "cgroup_v1", "cgroup_parent", "labels"}));
    Container c;
    ASSIGN_OR_RETURN(c.id, n.String("id"));
    if (c.id.empty()) return InvalidArgumentError(n.Where() + ": id: must not be empty");
    if (!ids.insert(c.id).second)
      return InvalidArgumentError(n.Where() + ": id: duplicate '" + c.id + "'");
    ASSIGN_OR_RETURN(c.name, n.String("name", ""));
    if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
    ASSIGN_OR_RETURN(c.image, n.String("image", ""));
    ASSIGN_OR_RETURN(int64_t pid, n.Int("pid", 0));
    if (pid < 0 || pid > 0x7fffffff) return InvalidArgumentError(n.Where() + ": pid: out of range");
    c.pid = static_cast<int>(pid);
    ASSIGN_OR_RETURN(std::string all, n.String("cgroup", ""));
    if (!all.empty())
      c.cgroup.unified = c.cgroup.cpu = c.cgroup.cpuacct = c.cgroup.memory = c.cgroup.blkio =
          c.cgroup.pids = all;
    ConfigNode v1 = n.Child("cgroup_v1");
    RETURN_IF_ERROR(v1.CheckKeys({"cpu", "cpuacct", "memory", "blkio", "pids"}));
    for (auto [key, field] : {std::pair{"cpu", &c.cgroup.cpu},
                              {"cpuacct", &c.cgroup.cpuacct},
                              {"memory", &c.cgroup.memory},
                              {"blkio", &c.cgroup.blkio},
                              {"pids", &c.cgroup.pids}}) {
      ASSIGN_OR_RETURN(std::string p, v1.String(key, *field));
      *field = p;
    }
    ASSIGN_OR_RETURN(c.cgroup_parent, n.String("cgroup_parent", ""));
    ConfigNode labels = n.Child("labels");
    for (const std::string& k : labels.Keys()) {
      ASSIGN_OR_RETURN(std::string v, labels.String(k));
      c.labels[k] = v;
    }
    out.push_back(std::move(c));
  }
  return out;
}

FileSource::FileSource(std::string path) : path_(std::move(path)) {
  current_.containers = std::make_shared<const ContainerList>();
  current_.status = UnavailableError("not read yet: " + path_);
}

ContainerSnapshot FileSource::Snapshot() {
  std::lock_guard lock(mu_);
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    current_.status = NotFoundError("cannot stat containers file " + path_);
    mtime_ns_ = size_ = -1;
    return current_;
  }
  int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_ && st.st_size == size_) return current_;
  std::ifstream in(path_);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) {
    current_.status = UnavailableError("cannot read containers file " + path_);
    return current_;
  }
  auto parsed = ParseContainersFile(ss.str(), path_);
  // Remember the version even when it does not parse: a bad file is reported, not re-parsed
  // on every scrape; the next edit is picked up.
  mtime_ns_ = mtime;
  size_ = st.st_size;
  if (!parsed.ok()) {
    current_.status = parsed.status();
    return current_;
  }
  current_.status = Status::Ok();
  if (*parsed != *current_.containers) {
    current_.containers = std::make_shared<const ContainerList>(std::move(parsed).value());
    ++current_.generation;
  }
  return current_;
}

}  // namespace steady::metrics
