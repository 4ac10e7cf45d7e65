#include "search/progress.h"

namespace steady::search {

ProgressBar::ProgressBar(std::FILE* out, bool enabled, std::chrono::milliseconds delay)
    : out_(out), enabled_(enabled), delay_(delay), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Update(const ScanCounters& counters, size_t objects_total) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_) return;
  if (drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double in_mb = static_cast<double>(counters.bytes_compressed.load()) / 1e6;
  double out_mb = static_cast<double>(counters.bytes_inflated.load()) / 1e6;
  std::fprintf(out_, "\r\033[K%llu/%zu objects  %.1f MB read  %.0f MB/s inflated  %llu lines",
               static_cast<unsigned long long>(counters.objects_done.load()), objects_total, in_mb,
               secs > 0 ? out_mb / secs : 0.0,
               static_cast<unsigned long long>(counters.lines_selected.load()));
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace steady::search
