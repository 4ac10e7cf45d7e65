// Scheduling against a Clock: callbacks due at points in time. The same queue is driven in
// real time by RunTimerLoop (a thread sleeping on the clock) and in virtual time by a
// simulation that jumps a ManualClock from one deadline to the next (RunUntil).
//
// Thread safety: Schedule/Cancel from any thread; callbacks run on the thread that drives the
// queue, never under the queue's lock, so they may schedule more work.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>

#include "base/clock.h"

namespace steady {

class TimerQueue {
 public:
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  explicit TimerQueue(Clock& clock) : clock_(clock) {}

  TimerId Schedule(Time at, Callback fn);
  TimerId ScheduleAfter(Duration d, Callback fn) {
    return Schedule(clock_.Now() + d, std::move(fn));
  }
  // Returns false if the timer already ran or was cancelled.
  bool Cancel(TimerId id);

  // Runs every callback due at or before Now(), in deadline order (ties in schedule order).
  // Returns how many ran.
  int RunDue();
  std::optional<Time> NextDeadline() const;
  size_t size() const;

  // Virtual time: repeatedly set `clock` to the next deadline (never past `end`) and run what
  // is due; ends with the clock at `end`. For simulations on a ManualClock.
  void RunUntil(ManualClock& clock, Time end);

  // Real time: runs due timers until `stop` is requested, sleeping on the clock in between.
  void RunLoop(std::stop_token stop);

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  // (deadline, id) keeps ties in schedule order.
  std::map<std::pair<Time, TimerId>, Callback> timers_;
  std::map<TimerId, Time> by_id_;
  TimerId next_id_ = 1;
};

}  // namespace steady
