#include "router/splitter.h"

#include <isa-l.h>

#include <algorithm>
#include <cstring>

#include "router/line_scan.h"

namespace steady::router {

namespace {
constexpr size_t kInflateOut = 256 * 1024;
}  // namespace

// --- GzipStream ---

GzipStream::GzipStream() : st_(std::make_unique<inflate_state>()), out_(new char[kInflateOut]) {
  isal_inflate_init(st_.get());
  st_->crc_flag = ISAL_GZIP;
}

GzipStream::~GzipStream() = default;

Status GzipStream::Feed(std::string_view in, const std::function<Status(std::string_view)>& sink) {
  if (!failed_.ok()) return failed_;
  inflate_state* st = st_.get();
  st->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
  st->avail_in = static_cast<uint32_t>(in.size());
  for (;;) {
    if (!in_member_) {
      if (st->avail_in == 0) break;
      isal_inflate_reset(st);
      st->crc_flag = ISAL_GZIP;
      in_member_ = true;
    }
    uint32_t avail_in_before = st->avail_in;
    st->next_out = reinterpret_cast<uint8_t*>(out_.get());
    st->avail_out = static_cast<uint32_t>(kInflateOut);
    int rc = isal_inflate(st);
    size_t n = kInflateOut - st->avail_out;
    if (n > 0) RETURN_IF_ERROR(sink(std::string_view(out_.get(), n)));
    if (rc < 0 || rc == ISAL_NEED_DICT) {
      failed_ = DataLossError(rc == ISAL_INCORRECT_CHECKSUM
                                  ? "gzip checksum mismatch"
                                  : "corrupt gzip data (isa-l error " + std::to_string(rc) + ")");
      return failed_;
    }
    if (st->block_state == ISAL_BLOCK_FINISH) {
      in_member_ = false;
      continue;
    }
    if (st->avail_in == 0 && st->avail_out != 0) break;  // wants more input
    if (n == 0 && st->avail_in == avail_in_before) {
      failed_ = DataLossError("gzip stream makes no progress");  // never seen; never loop
      return failed_;
    }
  }
  return Status::Ok();
}

Status GzipStream::Finish() const {
  if (!failed_.ok()) return failed_;
  if (in_member_) return DataLossError("truncated gzip member");
  return Status::Ok();
}

// --- TaskSplitter ---

struct TaskSplitter::Sink {
  std::string key;
  std::string pending;     // uncompressed lines not yet in a member
  std::string compressed;  // members not yet written
  std::unique_ptr<aws::ObjectWriter> writer;
};

TaskSplitter::TaskSplitter(const SplitOptions& options, aws::ObjectStore& store,
                           const logs::ServiceLogKey& source)
    : options_(options),
      store_(store),
      source_(source),
      compressor_(logs::NewGzipCompressor(options.codec, options.level)) {}

TaskSplitter::~TaskSplitter() = default;

TaskSplitter::Sink& TaskSplitter::SinkFor(std::string_view task_id) {
  if (last_sink_ != nullptr && task_id == last_task_) return *last_sink_;
  Sink* sink;
  if (auto it = by_task_.find(task_id); it != by_task_.end()) {
    sink = it->second;
  } else {
    // Keyed by the output key: two ids that sanitize to the same key share one object.
    std::string key = logs::TaskLogKeyFor(options_.task_prefix, source_, task_id);
    auto& slot = sinks_[key];
    if (!slot) {
      slot = std::make_unique<Sink>();
      slot->key = key;
    }
    sink = slot.get();
    by_task_.emplace(std::string(task_id), sink);
  }
  last_task_.assign(task_id);
  last_sink_ = sink;
  return *sink;
}

Status TaskSplitter::CompressPending(Sink& sink, bool keep_capacity) {
  if (sink.pending.empty()) return Status::Ok();
  size_t before = sink.compressed.size();
  compressor_->CompressMember(sink.pending, &sink.compressed);
  buffered_ = buffered_ - sink.pending.size() + (sink.compressed.size() - before);
  // A task that filled a member keeps its buffer (it is busy: reallocating and faulting in a
  // fresh one per member cost a tenth of the split); under memory pressure none is kept.
  if (keep_capacity) {
    sink.pending.clear();
  } else {
    std::string().swap(sink.pending);
  }
  if (sink.compressed.size() >= options_.spill_bytes || sink.writer) return Spill(sink);
  return Status::Ok();
}

Status TaskSplitter::Spill(Sink& sink) {
  if (sink.compressed.empty()) return Status::Ok();
  if (!sink.writer) {
    ASSIGN_OR_RETURN(sink.writer, store_.NewWriter(sink.key));
  }
  RETURN_IF_ERROR(sink.writer->Write(sink.compressed));
  stats_.bytes_written += sink.compressed.size();
  buffered_ -= sink.compressed.size();
  std::string().swap(sink.compressed);
  return Status::Ok();
}

// Past the budget, first every task's pending lines become members (compression shrinks them
// about tenfold), then, if that was not enough, every task's members go to its writer.
Status TaskSplitter::EnforceBudget() {
  for (auto& [key, sink] : sinks_) RETURN_IF_ERROR(CompressPending(*sink, false));
  if (buffered_ > options_.memory_budget / 2) {
    for (auto& [key, sink] : sinks_) RETURN_IF_ERROR(Spill(*sink));
  }
  return Status::Ok();
}

Status TaskSplitter::Append(Sink& sink, std::string_view bytes) {
  sink.pending.append(bytes);
  buffered_ += bytes.size();
  if (sink.pending.size() >= options_.member_bytes) RETURN_IF_ERROR(CompressPending(sink, true));
  if (buffered_ > options_.memory_budget) RETURN_IF_ERROR(EnforceBudget());
  return Status::Ok();
}

void TaskSplitter::Route(std::string_view line) {
  if (!failed_.ok()) return;
  Sink* sink;
  if (line.size() > options_.max_line_bytes) {
    ++stats_.lines_oversize;
    sink = &SinkFor(kInvalidLine);
  } else {
    LineClass c = ClassifyLine(line, &scratch_);
    if (!c.fast_path) ++stats_.lines_slow_path;
    switch (c.kind) {
      case LineClass::Kind::kTask:
        ++stats_.lines_task;
        sink = &SinkFor(c.task_id);
        break;
      case LineClass::Kind::kNoTaskId:
        ++stats_.lines_no_task_id;
        sink = &SinkFor(kNoTaskId);
        break;
      default:
        ++stats_.lines_invalid_json;
        sink = &SinkFor(kInvalidLine);
        break;
    }
  }
  // One append of line + '\n' (the line is followed by its newline in every caller's buffer
  // except for the unterminated last line, which Finish() handles).
  sink->pending.reserve(sink->pending.size() + line.size() + 1);
  sink->pending.append(line);
  sink->pending.push_back('\n');
  buffered_ += line.size() + 1;
  Status s;
  if (sink->pending.size() >= options_.member_bytes) s = CompressPending(*sink, true);
  if (s.ok() && buffered_ > options_.memory_budget) s = EnforceBudget();
  if (!s.ok()) failed_ = s;
}

Status TaskSplitter::Add(std::string_view data) {
  if (!failed_.ok()) return failed_;
  stats_.bytes_inflated += data.size();
  size_t pos = 0;
  if (!partial_.empty() || oversize_) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    size_t end = nl ? static_cast<const char*>(nl) - data.data() : data.size();
    if (oversize_) {
      RETURN_IF_ERROR(Append(SinkFor(kInvalidLine), data.substr(0, end)));
      if (nl) {
        RETURN_IF_ERROR(Append(SinkFor(kInvalidLine), "\n"));
        oversize_ = false;
      }
    } else {
      partial_.append(data.substr(0, end));
      if (nl) {
        Route(partial_);
        partial_.clear();
      }
    }
    if (!nl) {
      if (partial_.size() > options_.max_line_bytes) {
        ++stats_.lines_oversize;
        RETURN_IF_ERROR(Append(SinkFor(kInvalidLine), partial_));
        std::string().swap(partial_);
        oversize_ = true;
      }
      return failed_;
    }
    pos = end + 1;
  }
  const char* base = data.data();
  for (;;) {
    const void* nl = std::memchr(base + pos, '\n', data.size() - pos);
    if (nl == nullptr) break;
    size_t end = static_cast<const char*>(nl) - base;
    Route(data.substr(pos, end - pos));
    pos = end + 1;
  }
  if (!failed_.ok()) return failed_;
  std::string_view tail = data.substr(pos);
  if (tail.size() > options_.max_line_bytes) {
    ++stats_.lines_oversize;
    RETURN_IF_ERROR(Append(SinkFor(kInvalidLine), tail));
    oversize_ = true;
  } else {
    partial_.assign(tail);
  }
  return Status::Ok();
}

Status TaskSplitter::Finish() {
  if (!failed_.ok()) return failed_;
  if (oversize_) {
    RETURN_IF_ERROR(Append(SinkFor(kInvalidLine), "\n"));
    oversize_ = false;
  } else if (!partial_.empty()) {
    Route(partial_);
    partial_.clear();
    RETURN_IF_ERROR(failed_);
  }
  for (auto& [key, sink] : sinks_) {
    if (!sink->pending.empty()) {
      size_t before = sink->compressed.size();
      compressor_->CompressMember(sink->pending, &sink->compressed);
      buffered_ = buffered_ - sink->pending.size() + (sink->compressed.size() - before);
      std::string().swap(sink->pending);
    }
    if (sink->writer) {
      RETURN_IF_ERROR(Spill(*sink));
      RETURN_IF_ERROR(sink->writer->Close());
      sink->writer.reset();
    } else {
      RETURN_IF_ERROR(store_.Put(key, sink->compressed));
      stats_.bytes_written += sink->compressed.size();
      buffered_ -= sink->compressed.size();
      std::string().swap(sink->compressed);
    }
    stats_.keys.push_back(key);
  }
  return Status::Ok();
}

// --- SplitObject ---

Result<SplitStats> SplitObject(aws::ObjectStore& store, std::string_view key,
                               const logs::ServiceLogKey& source, const SplitOptions& options,
                               const std::function<bool()>& keep_going) {
  ASSIGN_OR_RETURN(aws::ObjectInfo info, store.Head(key));
  TaskSplitter splitter(options, store, source);
  GzipStream gz;
  Status sink_error;
  auto sink = [&](std::string_view data) {
    Status s = splitter.Add(data);
    if (!s.ok()) sink_error = s;
    return s;
  };
  SplitStats& stats = splitter.stats();
  uint64_t chunk = std::max<uint64_t>(options.read_chunk, 1);
  bool damaged = false;
  for (uint64_t off = 0; off < info.size && !damaged;) {
    if (keep_going && !keep_going()) return CancelledError("stopped");
    std::string data;
    if (off == 0 && info.size <= chunk) {
      ASSIGN_OR_RETURN(data, store.Get(key));
    } else {
      ASSIGN_OR_RETURN(data, store.GetRange(key, off, std::min(chunk, info.size - off)));
    }
    if (data.empty()) break;  // the object shrank under us: what we have is what there is
    off += data.size();
    stats.bytes_read += data.size();
    Status s = gz.Feed(data, sink);
    if (!sink_error.ok()) return sink_error;
    if (!s.ok()) {
      stats.gzip_corrupt = true;
      stats.gzip_error = s.message();
      damaged = true;
    }
  }
  if (!damaged) {
    if (Status s = gz.Finish(); !s.ok()) {
      stats.gzip_truncated = true;
      stats.gzip_error = s.message();
    }
  }
  if (keep_going && !keep_going()) return CancelledError("stopped");
  RETURN_IF_ERROR(splitter.Finish());
  return std::move(stats);
}

}  // namespace steady::router
