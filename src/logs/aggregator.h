// `steady aggregator`: Forward protocol in, one gzip object per minute per service out.
//
//   ForwardServer ──batches──▶ LogPipeline ──gzip members──▶ SliceBuffer (disk) ──▶ SliceUploader
//   ──▶ ObjectStore (I/O threads)              decode, route, JSON lines,     ack after Sync() seal
//   per minute
//                              compress (same thread)                                 + grace,
//                              retry
//
// Decoding, encoding and compressing run on the I/O thread that read the bytes, so they spread
// over all cores with the connections; no record crosses a thread before it is on disk.
//
// Thread safety: Start/Stop from one thread.
#pragma once

#include <memory>

#include "aws/object_store.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "base/status.h"
#include "logs/forward_server.h"
#include "logs/gzip.h"
#include "logs/log_record.h"
#include "logs/slice_buffer.h"
#include "logs/slice_uploader.h"

namespace steady::logs {

struct AggregatorOptions {
  ForwardServerOptions server;
  SliceBufferOptions buffer;  // buffer.dir is required
  SliceUploaderOptions uploader;
  RecordEncoderOptions records;
  GzipCodec codec = GzipCodec::kIsal;
  // On Stop, how long to keep trying to upload before leaving the rest on disk.
  Duration shutdown_timeout = std::chrono::seconds(60);
};

class Aggregator {
 public:
  // Opens the disk buffer (recovering what a previous process left) and prepares the server.
  static Result<std::unique_ptr<Aggregator>> Open(AggregatorOptions options,
                                                  aws::ObjectStore& store, Clock& clock,
                                                  MetricsRegistry& metrics);
  ~Aggregator();

  // Starts the uploader (recovered slices go up first) and the server.
  Status Start();
  // Stops reading, seals every open slice and uploads everything; kDeadlineExceeded if some
  // slices are still on disk after shutdown_timeout (the next start uploads them).
  Status Stop();

  int port() const;
  SliceBuffer& buffer();

 private:
  struct Impl;
  explicit Aggregator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace steady::logs
