#include "logs/aggregator.h"

#include <deque>
#include <vector>

#include "base/log.h"

namespace steady::logs {

namespace {

// Lines of one slice collected from a batch, before they are compressed into one member.
struct Staging {
  SliceId id;
  std::string lines;
  uint64_t records = 0;
  // Size and count before the message being decoded, to drop its events if it is malformed.
  size_t mark_bytes = 0;
  uint64_t mark_records = 0;
  bool pending = false;  // compressed lines not yet accepted by the buffer (kResourceExhausted)
};

class PipelineConnection final : public ForwardConnectionState {
 public:
  explicit PipelineConnection(GzipCodec codec) : compressor(NewGzipCompressor(codec)) {}
  std::unique_ptr<GzipCompressor> compressor;
  // Few entries: a connection carries one or a few routes. A deque, so that references to
  // entries survive adding one.
  std::deque<Staging> staging;
  Staging* last = nullptr;  // where the previous event went: the next one most likely too
  std::string scratch, line, gzip;
  Route route;
  bool retrying = false;  // the batch in hand already went through decoding
  Status bad;             // its malformed message, if any, and where
  size_t bad_index = 0;

  Staging& For(const Route& r, int64_t minute) {
    for (Staging& s : staging) {
      if (s.id.minute == minute && s.id.family == r.family && s.id.container == r.container)
        return s;
    }
    Staging& s = staging.emplace_back();
    s.id = SliceId{r.family, r.container, minute};
    return s;
  }
};

int64_t MinuteOf(EventTime t) {
  return t.seconds >= 0 ? t.seconds / 60 : -((-t.seconds + 59) / 60);
}

}  // namespace

// The ForwardHandler: decode, route, encode, compress, append, sync.
class LogPipeline final : public ForwardHandler {
 public:
  LogPipeline(const AggregatorOptions& options, SliceBuffer& buffer, MetricsRegistry& m)
      : options_(options),
        encoder_(options.records),
        buffer_(buffer),
        records_in_(m.AddCounter("steady_aggregator_records_total",
                                 "Records received and written to the disk buffer.")
                        .Get()),
        route_records_(m.AddCounter("steady_aggregator_route_records_total",
                                    "Records per route (task-definition family and container).",
                                    {"family", "container"})),
        fallback_records_(m.AddCounter("steady_aggregator_fallback_records_total",
                                       "Records without ECS labels or FireLens fields, written "
                                       "under the fallback family.")
                              .Get()),
        line_bytes_(m.AddCounter("steady_aggregator_line_bytes_total",
                                 "Bytes of JSON lines produced (before compression).")
                        .Get()),
        compressed_bytes_(m.AddCounter("steady_aggregator_compressed_bytes_total",
                                       "Bytes of gzip written to the disk buffer.")
                              .Get()),
        duplicates_risk_(m.AddCounter("steady_aggregator_batch_retries_total",
                                      "Batches held and retried because the buffer refused "
                                      "them (disk full or over its limit).")
                             .Get()) {}

  std::unique_ptr<ForwardConnectionState> NewConnection(const std::string&) override {
    return std::make_unique<PipelineConnection>(options_.codec);
  }

  bool Paused() const override { return buffer_.over_limit(); }

  Status Handle(ForwardConnectionState& state, std::span<const ForwardMessage> batch, bool durable,
                size_t* bad_index) override {
    auto& c = static_cast<PipelineConnection&>(state);
    if (!c.retrying) {
      c.bad = Status::Ok();
      c.bad_index = batch.size();
      for (Staging& s : c.staging) {
        s.lines.clear();
        s.records = 0;
        s.pending = false;
      }
      if (c.staging.size() > 64) {  // a connection that wandered over many routes
        c.staging.clear();
        c.last = nullptr;
      }
      for (size_t i = 0; i < batch.size() && c.bad.ok(); ++i) {
        for (Staging& s : c.staging) {
          s.mark_bytes = s.lines.size();
          s.mark_records = s.records;
        }
        c.bad = Decode(c, batch[i]);
        if (!c.bad.ok()) {
          c.bad_index = i;
          for (Staging& s : c.staging) {
            s.lines.resize(s.mark_bytes);
            s.records = s.mark_records;
          }
        }
      }
      for (Staging& s : c.staging) s.pending = s.records > 0;
    } else {
      duplicates_risk_.Inc();
    }

    // Compress and append each slice's lines. A slice the buffer refuses stays pending: the
    // server retries the same batch and only the pending slices are appended then.
    for (Staging& s : c.staging) {
      if (!s.pending) continue;
      c.gzip.clear();
      c.compressor->CompressMember(s.lines, &c.gzip);
      Status st = buffer_.Append(s.id, c.gzip, s.records);
      if (!st.ok()) {
        if (st.code() == StatusCode::kResourceExhausted || st.retryable()) {
          c.retrying = true;
          return ResourceExhaustedError(st.message());
        }
        return st;
      }
      s.pending = false;
      records_in_.Inc(static_cast<double>(s.records));
      route_records_.With({s.id.family, s.id.container}).Inc(static_cast<double>(s.records));
      line_bytes_.Inc(static_cast<double>(s.lines.size()));
      compressed_bytes_.Inc(static_cast<double>(c.gzip.size()));
    }
    c.retrying = false;
    *bad_index = c.bad_index;
    Status bad = c.bad;
    if (durable) {
      Status st = buffer_.Sync();
      if (!st.ok()) {
        // Appended but not known durable: do not ack. The client resends; duplicates are the
        // price of at-least-once, loss is not an option.
        c.retrying = true;
        return ResourceExhaustedError("sync: " + st.message());
      }
    }
    return bad;
  }

 private:
  Status Decode(PipelineConnection& c, const ForwardMessage& msg) {
    return ForEachEvent(msg, options_.server.limits, &c.scratch,
                        [&](EventTime t, std::string_view record) -> Status {
                          // Encode straight into the previous event's slice; move the line
                          // only when this event belongs elsewhere.
                          std::string& target = c.last ? c.last->lines : c.line;
                          size_t before = target.size();
                          RETURN_IF_ERROR(encoder_.Encode(msg.tag, t, record, &c.route, &target));
                          if (c.route.fallback) fallback_records_.Inc();
                          Staging& s = c.For(c.route, MinuteOf(t));
                          if (&s != c.last) {
                            s.lines.append(target, before);
                            target.resize(before);
                            c.last = &s;
                          }
                          s.records++;
                          return Status::Ok();
                        });
  }

  const AggregatorOptions& options_;
  RecordEncoder encoder_;
  SliceBuffer& buffer_;
  Counter& records_in_;
  MetricFamily<Counter>& route_records_;
  Counter& fallback_records_;
  Counter& line_bytes_;
  Counter& compressed_bytes_;
  Counter& duplicates_risk_;
};

struct Aggregator::Impl {
  AggregatorOptions options;
  Clock& clock;
  std::unique_ptr<SliceBuffer> buffer;
  std::unique_ptr<LogPipeline> pipeline;
  std::unique_ptr<SliceUploader> uploader;
  std::unique_ptr<ForwardServer> server;
  bool started = false;

  Impl(AggregatorOptions o, Clock& c) : options(std::move(o)), clock(c) {}
};

Aggregator::Aggregator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Aggregator::~Aggregator() {
  if (impl_ && impl_->started) (void)Stop();
}

Result<std::unique_ptr<Aggregator>> Aggregator::Open(AggregatorOptions options,
                                                     aws::ObjectStore& store, Clock& clock,
                                                     MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  ASSIGN_OR_RETURN(impl->buffer, SliceBuffer::Open(impl->options.buffer, clock, metrics));
  impl->pipeline = std::make_unique<LogPipeline>(impl->options, *impl->buffer, metrics);
  impl->uploader =
      std::make_unique<SliceUploader>(*impl->buffer, store, clock, metrics, impl->options.uploader);
  impl->server = std::make_unique<ForwardServer>(impl->options.server, *impl->pipeline, metrics);
  ForwardServer* server = impl->server.get();
  impl->buffer->SetSpaceListener([server] { server->ResumeReading(); });
  return std::unique_ptr<Aggregator>(new Aggregator(std::move(impl)));
}

Status Aggregator::Start() {
  impl_->uploader->Start();
  RETURN_IF_ERROR(impl_->server->Start());
  impl_->started = true;
  LogInfo("aggregator: listening",
          {{"port", std::to_string(port())}, {"buffer", impl_->options.buffer.dir}});
  return Status::Ok();
}

Status Aggregator::Stop() {
  if (!impl_->started) return Status::Ok();
  impl_->started = false;
  impl_->server->Stop();
  Status s =
      impl_->uploader->Stop(/*flush=*/true, impl_->clock.Now() + impl_->options.shutdown_timeout);
  LogInfo("aggregator: stopped",
          {{"left_on_disk_bytes", std::to_string(impl_->buffer->buffered_bytes())}});
  return s;
}

int Aggregator::port() const { return impl_->server->port(); }
SliceBuffer& Aggregator::buffer() { return *impl_->buffer; }

}  // namespace steady::logs
