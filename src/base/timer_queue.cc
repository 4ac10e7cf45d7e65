#include "base/timer_queue.h"

#include <vector>

namespace steady {

TimerQueue::TimerId TimerQueue::Schedule(Time at, Callback fn) {
  std::lock_guard lock(mu_);
  TimerId id = next_id_++;
  timers_.emplace(std::make_pair(at, id), std::move(fn));
  by_id_.emplace(id, at);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  timers_.erase({it->second, id});
  by_id_.erase(it);
  return true;
}

int TimerQueue::RunDue() {
  int ran = 0;
  for (;;) {
    Callback fn;
    {
      std::lock_guard lock(mu_);
      if (timers_.empty() || timers_.begin()->first.first > clock_.Now()) break;
      auto it = timers_.begin();
      fn = std::move(it->second);
      by_id_.erase(it->first.second);
      timers_.erase(it);
    }
    fn();
    ++ran;
  }
  return ran;
}

std::optional<Time> TimerQueue::NextDeadline() const {
  std::lock_guard lock(mu_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

size_t TimerQueue::size() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

void TimerQueue::RunUntil(ManualClock& clock, Time end) {
  RunDue();
  for (;;) {
    auto next = NextDeadline();
    if (!next || *next > end) break;
    if (*next > clock.Now()) clock.Set(*next);
    RunDue();
  }
  if (end > clock.Now()) clock.Set(end);
  RunDue();
}

void TimerQueue::RunLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    RunDue();
    auto next = NextDeadline();
    if (next) {
      // Sleep until the next deadline; a newly scheduled earlier timer is picked up on the
      // next pass because Schedule is rare relative to deadlines in the daemons (seconds).
      Time wake = *next;
      Time soon = clock_.Now() + std::chrono::milliseconds(100);
      clock_.SleepUntil(wake < soon ? wake : soon, stop);
    } else {
      clock_.SleepFor(std::chrono::milliseconds(100), stop);
    }
  }
}

}  // namespace steady
