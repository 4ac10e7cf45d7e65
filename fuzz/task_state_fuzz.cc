// The task-state board's decoder (deploy/task_board.h) on arbitrary queue message bodies: it
// never crashes, and what it accepts reads back as a task (what Latest will do with the stored
// object) whose id is the key segment it was filed under.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "deploy/task_board.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = steady::deploy::ParseTaskStateChangeMessage(body);
  if (!parsed.ok()) {
    if (parsed.status().code() != steady::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (!parsed->has_value()) return 0;
  const steady::deploy::TaskStateChange& change = **parsed;
  if (change.last_status != "RUNNING" && change.last_status != "STOPPED") std::abort();
  if (change.task_id.empty() || change.task_id.find('/') != std::string::npos) std::abort();
  auto task = steady::deploy::ParseTaskDetail(change.detail);
  if (!task.ok()) std::abort();
  if (steady::deploy::TaskIdOf(task->task_arn) != change.task_id) std::abort();
  return 0;
}
