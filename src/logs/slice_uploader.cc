#include "logs/slice_uploader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "base/ids.h"
#include "base/log.h"

namespace steady::logs {

// Scheduling. Every wait (the ticker between ticks, a worker with nothing ready, Stop waiting
// for the backlog) is a Clock::SleepUntil, woken early through a per-wait std::stop_source when
// something changes: so on a ManualClock, "every thread of the uploader sleeps" (sleepers() ==
// workers + 1) means it is idle or backing off, and a test can advance time exactly then.
//
// An item is a sealed slice known to the uploader: ready (queue), delayed (backoff until
// not_before) or in flight; `known_` holds the paths of all three so a slice is never uploaded
// twice at a time, whoever reports it.
namespace {

// Idle waits are bounded so that a SystemClock never computes a far-future deadline.
constexpr Duration kIdleWait = std::chrono::hours(1);
constexpr uint64_t kRescanTicks = 60;

struct Item {
  SealedSlice slice;
  Time not_before{};
  int failures = 0;
};

}  // namespace

struct SliceUploader::Impl {
  Impl(SliceBuffer& buffer, aws::ObjectStore& store, Clock& clock, MetricsRegistry& metrics,
       SliceUploaderOptions options)
      : buffer(buffer),
        store(store),
        clock(clock),
        options(options),
        uploads(metrics.AddCounter("steady_aggregator_uploads_total",
                                   "Slice uploads to the object store, by result.", {"result"})),
        upload_seconds(metrics
                           .AddHistogram("steady_aggregator_upload_seconds",
                                         "Duration of one slice upload attempt.")
                           .Get()),
        upload_retries(metrics
                           .AddCounter("steady_aggregator_upload_retries_total",
                                       "Slice upload attempts after a failed one.")
                           .Get()),
        uploaded_bytes(metrics
                           .AddCounter("steady_aggregator_uploaded_bytes_total",
                                       "Bytes of slices stored in the object store.")
                           .Get()),
        backlog(metrics
                    .AddGauge("steady_aggregator_upload_backlog",
                              "Sealed slices waiting for (or in) upload.")
                    .Get()),
        rng(std::hash<std::string>{}(NewUuid())) {}

  SliceBuffer& buffer;
  aws::ObjectStore& store;
  Clock& clock;
  const SliceUploaderOptions options;
  MetricFamily<Counter>& uploads;
  Histogram& upload_seconds;
  Counter& upload_retries;
  Counter& uploaded_bytes;
  Gauge& backlog;

  std::mutex mu;
  std::deque<Item> ready;
  std::vector<Item> delayed;
  std::set<std::string> known;
  std::list<std::stop_source*> waiters;  // sleeping threads, to wake on a change
  Random rng;                            // jitter; under mu
  bool stopping = false;                 // workers exit
  std::atomic<uint64_t> uploaded{0};

  std::vector<std::jthread> workers;
  std::jthread ticker;
  bool started = false;

  void WakeAllLocked() {
    for (auto* w : waiters) w->request_stop();
  }

  // Sleeps until `deadline`, a WakeAllLocked, or `outer` stop. Called and returns with `lock`
  // held.
  void WaitLocked(std::unique_lock<std::mutex>& lock, Time deadline, std::stop_token outer = {}) {
    std::stop_source wake;
    std::stop_callback forward(outer, [&wake] { wake.request_stop(); });
    auto it = waiters.insert(waiters.end(), &wake);
    lock.unlock();
    clock.SleepUntil(deadline, wake.get_token());
    lock.lock();
    waiters.erase(it);
  }

  void EnqueueLocked(std::vector<SealedSlice> slices) {
    bool added = false;
    for (auto& s : slices) {
      if (!known.insert(s.path).second) continue;
      ready.push_back(Item{std::move(s), {}, 0});
      added = true;
    }
    backlog.Set(static_cast<double>(known.size()));
    if (added) WakeAllLocked();
  }

  void Enqueue(std::vector<SealedSlice> slices) {
    std::lock_guard lock(mu);
    EnqueueLocked(std::move(slices));
  }

  void PromoteDueLocked(Time now) {
    for (auto it = delayed.begin(); it != delayed.end();) {
      if (it->not_before <= now) {
        ready.push_back(std::move(*it));
        it = delayed.erase(it);
      } else {
        ++it;
      }
    }
  }

  Time NextWakeLocked(Time now) const {
    Time wake = now + kIdleWait;
    for (const auto& d : delayed) wake = std::min(wake, d.not_before);
    return wake;
  }

  Duration BackoffLocked(int failures, bool retryable) {
    if (!retryable) return options.backoff_max;
    Duration d = options.backoff_base;
    for (int i = 1; i < failures && d < options.backoff_max; ++i) d *= 2;
    d = std::min(d, options.backoff_max);
    // "Equal jitter": half fixed, half random, so retries spread without ever coming early.
    Duration half = d / 2;
    return half + Duration(rng.Uniform(0, half.count()));
  }

  // One upload attempt of `slice`; on success the file is removed from the buffer.
  Status UploadOnce(const SealedSlice& slice) {
    Time start = clock.Now();
    Status st;
    if (slice.bytes > options.multipart_threshold) {
      st = store.PutFile(slice.key, slice.path);
    } else {
      int fd = ::open(slice.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        st = errno == ENOENT ? NotFoundError("open " + slice.path + ": gone")
                             : UnavailableError("open " + slice.path + ": " + std::strerror(errno));
      } else {
        std::string data;
        data.resize(slice.bytes);
        size_t done = 0;
        while (true) {
          if (done == data.size()) data.resize(data.size() + 65536);
          ssize_t n = ::read(fd, data.data() + done, data.size() - done);
          if (n < 0) {
            if (errno == EINTR) continue;
            st = UnavailableError("read " + slice.path + ": " + std::strerror(errno));
            break;
          }
          if (n == 0) break;
          done += static_cast<size_t>(n);
        }
        ::close(fd);
        data.resize(done);
        if (st.ok()) st = store.Put(slice.key, data);
      }
    }
    upload_seconds.Observe(std::chrono::duration<double>(clock.Now() - start).count());
    if (!st.ok() && st.code() == StatusCode::kNotFound && ::access(slice.path.c_str(), F_OK) != 0 &&
        errno == ENOENT) {
      // The file itself is gone (uploaded and removed through another path): drop the entry.
      // A kNotFound from the store (missing bucket) leaves the file and is retried.
      LogWarn("slice uploader: sealed slice file is gone", {{"path", slice.path}});
      (void)buffer.Remove(slice);
      return Status::Ok();
    }
    if (!st.ok()) {
      uploads.With({st.retryable() ? "retryable_error" : "error"}).Inc();
      return st;
    }
    uploads.With({"ok"}).Inc();
    uploaded_bytes.Inc(static_cast<double>(slice.bytes));
    uploaded.fetch_add(1);
    Status rm = buffer.Remove(slice);
    if (!rm.ok()) {
      // Stored; the file stays and is uploaded again (to the same key) after a restart.
      LogWarn("slice uploader: remove after upload failed",
              {{"path", slice.path}, {"error", rm.ToString()}});
    }
    return Status::Ok();
  }

  // Runs one attempt for `item` (taken from the queue, so in flight) and files the outcome.
  void Process(Item item) {
    if (item.failures > 0) upload_retries.Inc();
    Status st = UploadOnce(item.slice);
    std::lock_guard lock(mu);
    if (st.ok()) {
      known.erase(item.slice.path);
      backlog.Set(static_cast<double>(known.size()));
      WakeAllLocked();  // Stop may be waiting for the backlog to drain
      return;
    }
    ++item.failures;
    Duration delay = BackoffLocked(item.failures, st.retryable());
    // While a store is down every slice fails on each retry: log the first failure and then
    // every tenth, so an outage does not flood the log (the counters have the rest).
    if (!st.retryable() || item.failures == 1 || item.failures % 10 == 0) {
      Log(st.retryable() ? LogLevel::kWarn : LogLevel::kError,
          "slice uploader: upload failed; will retry",
          {{"key", item.slice.key},
           {"error", st.ToString()},
           {"failures", item.failures},
           {"retry_in_seconds", std::chrono::duration<double>(delay).count()}});
    }
    item.not_before = clock.Now() + delay;
    delayed.push_back(std::move(item));
  }

  void WorkerLoop() {
    std::unique_lock lock(mu);
    while (!stopping) {
      Time now = clock.Now();
      PromoteDueLocked(now);
      if (!ready.empty()) {
        Item item = std::move(ready.front());
        ready.pop_front();
        lock.unlock();
        Process(std::move(item));
        lock.lock();
        continue;
      }
      WaitLocked(lock, NextWakeLocked(now));
    }
  }

  void TickerLoop(std::stop_token stop) {
    Time next = clock.Now();
    for (uint64_t ticks = 1; !stop.stop_requested(); ++ticks) {
      Enqueue(buffer.SealDue());
      // Now and then, pick up whatever else is sealed (slices sealed by another caller of
      // SealDue, a file whose Remove failed after its upload): `known` skips what we have.
      if (ticks % kRescanTicks == 0) Enqueue(buffer.Sealed());
      next += options.tick;
      Time now = clock.Now();
      if (next <= now) next = now + options.tick;  // fell behind: do not burst
      if (!clock.SleepUntil(next, stop)) break;
    }
  }
};

SliceUploader::SliceUploader(SliceBuffer& buffer, aws::ObjectStore& store, Clock& clock,
                             MetricsRegistry& metrics, SliceUploaderOptions options)
    : impl_(std::make_unique<Impl>(buffer, store, clock, metrics, options)) {}

SliceUploader::~SliceUploader() {
  if (impl_->started) (void)Stop(false, impl_->clock.Now());
}

void SliceUploader::Start() {
  Impl& m = *impl_;
  if (m.started) return;
  m.started = true;
  {
    std::lock_guard lock(m.mu);
    m.stopping = false;
  }
  m.Enqueue(m.buffer.Sealed());
  int n = std::max(1, m.options.workers);
  for (int i = 0; i < n; ++i) m.workers.emplace_back([&m] { m.WorkerLoop(); });
  m.ticker = std::jthread([&m](std::stop_token stop) { m.TickerLoop(stop); });
}

Status SliceUploader::Stop(bool flush, Time deadline) {
  Impl& m = *impl_;
  if (flush && !m.started) Start();
  if (!m.started) return Status::Ok();
  if (m.ticker.joinable()) {
    m.ticker.request_stop();
    m.ticker.join();
  }
  Status result;
  if (flush) {
    m.Enqueue(m.buffer.SealAll());
    m.Enqueue(m.buffer.Sealed());
    std::unique_lock lock(m.mu);
    while (!m.known.empty() && m.clock.Now() < deadline) m.WaitLocked(lock, deadline);
    if (!m.known.empty()) {
      result = DeadlineExceededError("slice uploader: " + std::to_string(m.known.size()) +
                                     " slices not uploaded by the deadline; they stay buffered");
    }
  }
  {
    std::lock_guard lock(m.mu);
    m.stopping = true;
    m.WakeAllLocked();
  }
  for (auto& w : m.workers) w.join();
  m.workers.clear();
  {
    std::lock_guard lock(m.mu);
    // What is left stays on disk; the next Start (or process) picks it up from Sealed().
    m.ready.clear();
    m.delayed.clear();
    m.known.clear();
    m.backlog.Set(0);
  }
  m.started = false;
  return result;
}

Status SliceUploader::UploadSealedOnce() {
  Impl& m = *impl_;
  Status first;
  for (auto& slice : m.buffer.Sealed()) {
    {
      std::lock_guard lock(m.mu);
      if (!m.known.insert(slice.path).second) continue;  // the workers have it
    }
    Status st = m.UploadOnce(slice);
    if (!st.ok() && first.ok()) first = st.WithContext("upload " + slice.key);
    std::lock_guard lock(m.mu);
    m.known.erase(slice.path);
    if (!st.ok() && m.started) {
      // Let the workers retry it.
      m.EnqueueLocked({slice});
    }
    m.WakeAllLocked();
  }
  return first;
}

uint64_t SliceUploader::uploaded_objects() const { return impl_->uploaded.load(); }

}  // namespace steady::logs
