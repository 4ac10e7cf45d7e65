// A one-line progress bar on a terminal for long scans: objects done/total, compressed MB read
// and inflated MB/s. Drawn only when enabled (the CLI: stderr is a tty) and the scan has run
// for `delay`; redrawn at most every 100 ms; Finish() erases it.
//
// Thread safety: one thread (RunOrdered's `tick` runs on the calling thread).
#pragma once

#include <chrono>
#include <cstdio>

#include "search/scan.h"

namespace steady::search {

class ProgressBar {
 public:
  ProgressBar(std::FILE* out, bool enabled,
              std::chrono::milliseconds delay = std::chrono::milliseconds(500));
  ~ProgressBar() { Finish(); }

  void Update(const ScanCounters& counters, size_t objects_total);
  void Finish();

 private:
  std::FILE* out_;
  bool enabled_;
  std::chrono::milliseconds delay_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace steady::search
