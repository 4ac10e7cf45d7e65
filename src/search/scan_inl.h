// Template part of scan.h; include scan.h instead.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace steady::search {

template <typename R>
void RunOrdered(size_t count, const ScanOptions& options,
                const std::function<void(size_t, R*)>& process,
                const std::function<bool(size_t, R&&)>& deliver,
                const std::function<void()>& tick) {
  if (count == 0) return;
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), count));
  size_t window = options.window > 0 ? options.window : 2 * static_cast<size_t>(threads);

  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::vector<std::optional<R>> slots(count);
  size_t next_start = 0;    // next object a worker takes
  size_t next_deliver = 0;  // next object the caller hands to `deliver`
  bool stop = false;

  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] {
          return stop || next_start >= count || next_start < next_deliver + window;
        });
        if (stop || next_start >= count) return;
        i = next_start++;
      }
      R result{};
      process(i, &result);
      {
        std::lock_guard lock(mu);
        slots[i].emplace(std::move(result));
      }
      done_cv.notify_all();
    }
  };
  std::vector<std::jthread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  while (next_deliver < count) {
    R result;
    {
      std::unique_lock lock(mu);
      while (!slots[next_deliver].has_value()) {
        done_cv.wait_for(lock, options.tick_every);
        if (!slots[next_deliver].has_value() && tick) {
          lock.unlock();
          tick();
          lock.lock();
        }
      }
      result = std::move(*slots[next_deliver]);
      slots[next_deliver].reset();
    }
    size_t i = next_deliver;
    bool go_on = deliver(i, std::move(result));
    {
      std::lock_guard lock(mu);
      ++next_deliver;
      if (!go_on) stop = true;
    }
    work_cv.notify_all();
    if (!go_on) break;
    if (tick) tick();
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  work_cv.notify_all();
  pool.clear();  // joins
}

}  // namespace steady::search
