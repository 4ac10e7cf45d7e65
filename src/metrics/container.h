// What the exporter knows about a container, and the seam through which it learns it.
//
// A ContainerSource (docker over its unix socket, or a file) hands out immutable snapshots of
// the containers running on this host. The exporter reads each snapshot's cgroups once per
// scrape; a source never blocks a scrape.
//
// Thread safety: Snapshot() may be called from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace steady::metrics {

// Where a container's cgroups are, relative to the cgroup root (e.g. "/ecs/<task>/<id>").
// With cgroup v1 each controller may have its own path; with v2 there is one (`unified`).
// Empty means unknown: the exporter then resolves it from /proc/<pid>/cgroup.
struct CgroupPaths {
  std::string unified;                            // v2 ("0::/path" in /proc/<pid>/cgroup)
  std::string cpu, cpuacct, memory, blkio, pids;  // v1

  bool empty() const {
    return unified.empty() && cpu.empty() && cpuacct.empty() && memory.empty() && blkio.empty() &&
           pids.empty();
  }
  friend bool operator==(const CgroupPaths&, const CgroupPaths&) = default;
};

struct Container {
  std::string id;                             // docker id (64 hex) or any unique string
  std::string name;                           // docker name without the leading '/'
  std::string image;                          // image reference as docker reports it
  std::map<std::string, std::string> labels;  // docker labels (the ECS agent sets the ecs ones)
  int pid = 0;  // init process in the host's pid namespace; 0 if unknown
  CgroupPaths cgroup;
  // The docker cgroup parent (HostConfig.CgroupParent), used with the id when neither `pid`
  // nor `cgroup` says where the cgroup is.
  std::string cgroup_parent;

  friend bool operator==(const Container&, const Container&) = default;
};

using ContainerList = std::vector<Container>;

struct ContainerSnapshot {
  std::shared_ptr<const ContainerList> containers;  // never null
  // The last refresh's outcome. On an error `containers` is the last good list (empty if there
  // never was one): the exporter keeps serving it and counts the error.
  Status status;
  // Bumped whenever `containers` changes, so a consumer can cache what it derives from it.
  uint64_t generation = 0;
};

class ContainerSource {
 public:
  virtual ~ContainerSource() = default;
  // Source name for metrics and logs ("docker", "file").
  virtual const char* kind() const = 0;
  // The current containers. Cheap: at most a stat() (file) or a mutex (docker).
  virtual ContainerSnapshot Snapshot() = 0;
};

}  // namespace steady::metrics
