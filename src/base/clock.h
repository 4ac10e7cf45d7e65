// Injected time. Everything that stamps, waits or times out reads a Clock&; nothing else in
// steady calls std::chrono::*::now() or sleeps. SystemClock is the real one; ManualClock is
// moved by tests and simulations, and threads blocked in SleepUntil wake when it passes their
// deadline, so the same daemon code runs in real time and in virtual time.
//
// Thread safety: all methods of both clocks may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace steady {

using Duration = std::chrono::nanoseconds;
// Wall-clock time in UTC with nanosecond resolution (AWS signs and stamps wall time).
using Time = std::chrono::sys_time<std::chrono::nanoseconds>;

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Seconds since the Unix epoch, as a double (for metrics and JSON).
double ToUnixSeconds(Time t);
Time FromUnixSeconds(double s);
Time FromUnixNanos(int64_t ns);
int64_t ToUnixNanos(Time t);

class Clock {
 public:
  virtual ~Clock() = default;

  virtual Time Now() const = 0;

  // Blocks the caller until Now() >= deadline (returns true) or `stop` is requested
  // (returns false, at once if it already was).
  virtual bool SleepUntil(Time deadline, std::stop_token stop = {}) = 0;

  bool SleepFor(Duration d, std::stop_token stop = {}) {
    return SleepUntil(Now() + d, std::move(stop));
  }
};

class SystemClock final : public Clock {
 public:
  Time Now() const override;
  bool SleepUntil(Time deadline, std::stop_token stop = {}) override;

  // The process-wide real clock, for wiring in main(). Library code takes a Clock& instead.
  static SystemClock& Get();
};

// A clock that moves only when told. Sleepers wake when Advance/Set passes their deadline.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = FromUnixSeconds(1'700'000'000));

  Time Now() const override;
  bool SleepUntil(Time deadline, std::stop_token stop = {}) override;

  void Advance(Duration d);
  // Moves to `t`; never backwards (a later t than now is required).
  void Set(Time t);

  // Number of threads blocked in SleepUntil right now.
  int sleepers() const;
  // Blocks until at least `n` threads sleep on this clock: lets a test advance time only once
  // the code under test is waiting, with no real sleeps.
  void AwaitSleepers(int n) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  Time now_;
  int sleepers_ = 0;
};

}  // namespace steady
