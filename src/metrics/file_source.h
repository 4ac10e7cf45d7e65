// A ContainerSource read from a YAML or JSON file (JSON is YAML), for hosts without docker,
// for `steady up` (steady's own processes) and for tests:
//
//   containers:
//     - id: 3f2a...                 # required, unique
//       name: web                   # docker name
//       image: nginx:1.25
//       pid: 4242                   # cgroups found from /proc/<pid>/cgroup, network from
//                                   # /proc/<pid>/net/dev
//       cgroup: /ecs/task/3f2a      # or: one path for every hierarchy (v1 and v2) ...
//       cgroup_v1: {cpu: /a, cpuacct: /a, memory: /b, blkio: /a, pids: /a}  # ... or per controller
//       labels:
//         com.amazonaws.ecs.cluster: prod
//         com.amazonaws.ecs.task-arn: arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e
//         ...
//
// The file is read again when its mtime or size changes (one stat() per Snapshot). A file that
// cannot be read or parsed leaves the last good list in place and reports the error.
//
// Thread safety: Snapshot may be called from any thread.
#pragma once

#include <mutex>
#include <string>

#include "metrics/container.h"

namespace steady::metrics {

// Parses the document above. kInvalidArgument naming file:line:col and key on bad input.
Result<ContainerList> ParseContainersFile(std::string_view text, const std::string& source_name);

class FileSource final : public ContainerSource {
 public:
  explicit FileSource(std::string path);
  const char* kind() const override { return "file"; }
  ContainerSnapshot Snapshot() override;

 private:
  const std::string path_;
  std::mutex mu_;
  ContainerSnapshot current_;
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
};

}  // namespace steady::metrics
