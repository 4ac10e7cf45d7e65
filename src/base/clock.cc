#include "base/clock.h"

#include <cassert>
#include <cmath>
#include <iterator>
#include <map>
#include <set>
#include <thread>

namespace steady {

double ToUnixSeconds(Time t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }
Time FromUnixSeconds(double s) {
  return Time(std::chrono::nanoseconds(static_cast<int64_t>(std::llround(s * 1e9))));
}
Time FromUnixNanos(int64_t ns) { return Time(std::chrono::nanoseconds(ns)); }
int64_t ToUnixNanos(Time t) { return t.time_since_epoch().count(); }

Time SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

bool SystemClock::SleepUntil(Time deadline, std::stop_token stop) {
  // Wait on a condition variable tied to the stop token, so a stop request wakes us at once.
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  while (Now() < deadline) {
    if (stop.stop_requested()) return false;
    auto remaining = deadline - Now();
    cv.wait_for(lock, stop, remaining, [] { return false; });
  }
  return true;
}

SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(Time start) : now_(start) {}

Time ManualClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

namespace {
// The deadlines of the threads sleeping on each ManualClock, so that sleepers() counts only
// those still waiting for a time ahead: a sleeper whose deadline has passed but that has not run
// yet is not waiting, and a test must not move time again before it has. Guarded by the
// clock's own mutex. (Kept here rather than as a member so that clock.h, which nearly every
// file includes, did not change; fold it into the class when clock.h next changes.)
std::map<const ManualClock*, std::multiset<Time>>& Deadlines() {
  static auto* m = new std::map<const ManualClock*, std::multiset<Time>>;
  return *m;
}
int WaitingLocked(const ManualClock* c, Time now) {
  auto it = Deadlines().find(c);
  if (it == Deadlines().end()) return 0;
  return static_cast<int>(std::distance(it->second.upper_bound(now), it->second.end()));
}
}  // namespace

bool ManualClock::SleepUntil(Time deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  auto& mine = Deadlines()[this];
  auto pos = mine.insert(deadline);
  cv_.notify_all();  // wake AwaitSleepers
  bool reached = cv_.wait(lock, stop, [&] { return now_ >= deadline; });
  --sleepers_;
  auto& after = Deadlines()[this];
  after.erase(pos);
  if (after.empty()) Deadlines().erase(this);
  return reached;
}

void ManualClock::Advance(Duration d) {
  assert(d.count() >= 0);  // time never runs backwards
  std::lock_guard lock(mu_);
  now_ += d;
  cv_.notify_all();
}

void ManualClock::Set(Time t) {
  std::lock_guard lock(mu_);
  assert(t >= now_);  // time never runs backwards
  now_ = t;
  cv_.notify_all();
}

// Counts only the sleepers still waiting for a time ahead (see Deadlines()).
int ManualClock::sleepers() const {
  std::lock_guard lock(mu_);
  return WaitingLocked(this, now_);
}

void ManualClock::AwaitSleepers(int n) const {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return WaitingLocked(this, now_) >= n; });
}

}  // namespace steady
