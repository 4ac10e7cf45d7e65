#include "search/scan.h"

#include "search/inflate.h"

namespace steady::search {

TextBuffer BufferPool::Get() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return {};
  TextBuffer b = std::move(free_.back());
  free_.pop_back();
  return b;
}

void BufferPool::Put(TextBuffer&& buffer) {
  if (buffer.capacity() == 0) return;
  buffer.clear();
  std::lock_guard lock(mu_);
  if (free_.size() < max_) free_.push_back(std::move(buffer));
}

Status ReadObjectText(LogStore& store, const SelectedObject& object, TextBuffer* text,
                      size_t max_bytes) {
  Result<std::string> bytes = store.Read(object);
  if (!bytes.ok()) {
    text->clear();
    return bytes.status().WithContext(object.key);
  }
  // Objects are one minute of one stream: a few MB inflated, so one buffer per object is
  // cheaper than streaming (and the matcher wants whole lines in one piece).
  Status s = InflateMembers(*bytes, text, max_bytes);
  if (!text->empty() && text->view().back() != '\n') {
    size_t last = text->view().rfind('\n');
    text->set_size(last == std::string_view::npos ? 0 : last + 1);
    if (s.ok()) s = DataLossError("last line has no newline (object cut short)");
  }
  return s.ok() ? s : s.WithContext(object.key);
}

}  // namespace steady::search
