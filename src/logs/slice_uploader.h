// Uploads sealed slices from a SliceBuffer to an ObjectStore, with retries, and removes each
// file once its object is stored. Objects up to `multipart_threshold` go up with one Put; larger
// ones stream through ObjectStore::PutFile (a multipart upload on S3).
//
// Failures: a retryable error (store down, throttled, timed out) is retried with exponential
// backoff and jitter (base..max, on the injected clock) for as long as it takes: the data stays
// on disk meanwhile and the buffer's flow control holds the senders back. A non-retryable error
// (permission denied, invalid key) is logged and counted and retried at max backoff too, so an
// operator can fix the bucket policy without losing data.
//
// Threads: `workers` threads upload in parallel; a ticker thread seals due slices every
// `tick` (SliceBuffer::SealDue). Stop() seals everything (if `flush`), uploads what is sealed
// until done or `deadline` passes, and joins. Thread safety: Start/Stop from one thread.
#pragma once

#include <memory>

#include "aws/object_store.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "logs/slice_buffer.h"

namespace steady::logs {

struct SliceUploaderOptions {
  int workers = 4;
  uint64_t multipart_threshold = 8ull << 20;  // bounds memory: workers x threshold
  Duration tick = std::chrono::seconds(1);
  Duration backoff_base = std::chrono::milliseconds(200);
  Duration backoff_max = std::chrono::seconds(30);
};

class SliceUploader {
 public:
  SliceUploader(SliceBuffer& buffer, aws::ObjectStore& store, Clock& clock,
                MetricsRegistry& metrics, SliceUploaderOptions options = {});
  ~SliceUploader();  // Stop(false, now)

  void Start();
  // Stops sealing and uploading. With `flush`, first seals every open slice and uploads every
  // sealed slice, retrying until `deadline`; returns kDeadlineExceeded if some were left (they
  // stay on disk for the next start).
  Status Stop(bool flush, Time deadline);

  // Uploads everything sealed now, synchronously, once each (tests and `steady aggregator
  // flush`); returns the first error.
  Status UploadSealedOnce();

  uint64_t uploaded_objects() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::logs
