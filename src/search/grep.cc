#include "search/grep.h"

#include <algorithm>
#include <deque>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "search/log_line.h"

namespace steady::search {

namespace {

struct LineOut {
  std::string_view time;    // into ObjectResult::text
  size_t off = 0, len = 0;  // into ObjectResult::out, '\n' included
};

struct ObjectResult {
  Status status;
  TextBuffer text;   // inflated object
  std::string out;   // formatted selected lines
  std::vector<LineOut> lines;
};

void ProcessObject(LogStore& store, const SelectedObject& object, const LineMatcher& matcher,
                   const OutputOptions& output, ScanCounters* counters, BufferPool* pool,
                   ObjectResult* r) {
  r->text = pool->Get();
  r->status = ReadObjectText(store, object, &r->text);
  counters->bytes_compressed += object.size;
  counters->bytes_inflated += r->text.size();
  std::vector<std::string_view> selected;
  matcher.Select(r->text.view(), &selected);
  counters->lines_selected += selected.size();
  if (output.count_only) {
    r->lines.resize(selected.size());
  } else {
    r->lines.reserve(selected.size());
    std::string scratch;
    uint64_t invalid = 0;
    for (std::string_view line : selected) {
      LineOut lo;
      lo.time = LineTime(line);
      lo.off = r->out.size();
      if (output.format == OutputFormat::kJson) {
        r->out.append(line);
      } else {
        if (output.prefix_task) {
          // Task logs: from the key; service logs: the line's own task_id.
          std::string_view task = object.task_id;
          if (task.empty()) {
            JsonField f = FindJsonField(line, "task_id");
            task = f.kind == JsonField::Kind::kString && !f.raw.empty() ? f.raw : "-";
          }
          r->out.append(task);
          r->out.push_back(' ');
        }
        if (output.prefix_container) {
          r->out.append(object.container);
          r->out.push_back(' ');
        }
        bool valid;
        r->out.append(LogText(line, &scratch, &valid));
        if (!valid) ++invalid;
      }
      r->out.push_back('\n');
      lo.len = r->out.size() - lo.off;
      r->lines.push_back(lo);
    }
    counters->invalid_lines += invalid;
  }
  if (!r->status.ok()) ++counters->objects_bad;
  ++counters->objects_done;
}

void WarnBadObject(const ObjectResult& r) {
  if (r.status.ok()) return;
  LogWarn("logs: bad object; using the lines before the damage", {{"error", r.status.ToString()}});
}

// The lines of one minute's objects (key order), merged by time; ties keep key order, then
// file order. Views into the results' `out`.
std::vector<std::string_view> MergeMinute(std::vector<ObjectResult>& group) {
  std::vector<std::string_view> lines;
  size_t total = 0;
  for (const auto& r : group) total += r.lines.size();
  lines.reserve(total);
  auto view = [&](size_t g, size_t k) {
    const LineOut& lo = group[g].lines[k];
    return std::string_view(group[g].out).substr(lo.off, lo.len);
  };
  if (group.size() == 1) {
    for (size_t k = 0; k < group[0].lines.size(); ++k) lines.push_back(view(0, k));
    return lines;
  }
  using Item = std::pair<size_t, size_t>;  // (object in group, line)
  auto later = [&](const Item& a, const Item& b) {
    std::string_view ta = group[a.first].lines[a.second].time;
    std::string_view tb = group[b.first].lines[b.second].time;
    if (ta != tb) return ta > tb;
    return a.first > b.first;
  };
  std::priority_queue<Item, std::vector<Item>, decltype(later)> heap(later);
  for (size_t g = 0; g < group.size(); ++g) {
    if (!group[g].lines.empty()) heap.push({g, 0});
  }
  while (!heap.empty()) {
    Item it = heap.top();
    heap.pop();
    lines.push_back(view(it.first, it.second));
    if (it.second + 1 < group[it.first].lines.size()) heap.push({it.first, it.second + 1});
  }
  return lines;
}

// Writes `lines` in chunks of about 1 MiB; false when `out` asked to stop.
bool Emit(const std::vector<std::string_view>& lines, size_t from, const OutputFn& out) {
  std::string buf;
  for (size_t i = from; i < lines.size(); ++i) {
    buf.append(lines[i]);
    if (buf.size() >= (size_t{1} << 20)) {
      if (!out(buf)) return false;
      buf.clear();
    }
  }
  return buf.empty() || out(buf);
}

SearchRequest ResolvePrefix(const SearchRequest& request,
                            const std::vector<SelectedObject>& objects) {
  SearchRequest r = request;
  if (r.output.auto_prefix_container) {
    for (const auto& o : objects) {
      if (o.container != objects.front().container) r.output.prefix_container = true;
    }
  }
  return r;
}

// Grep over a given object list; *stopped when `out` asked to stop.
uint64_t GrepObjects(LogStore& store, const std::vector<SelectedObject>& objects,
                     const LineMatcher& matcher, const SearchRequest& original, const OutputFn& out,
                     ScanCounters* counters, const ProgressFn& progress, bool* stopped) {
  const SearchRequest request = ResolvePrefix(original, objects);
  *stopped = false;
  uint64_t total = 0;
  std::vector<ObjectResult> group;
  BufferPool pool;
  auto flush = [&] {
    if (group.empty()) return true;
    bool ok;
    if (group.size() == 1) {
      ok = group[0].out.empty() || out(group[0].out);
    } else {
      ok = Emit(MergeMinute(group), 0, out);
    }
    for (auto& r : group) pool.Put(std::move(r.text));
    group.clear();
    return ok;
  };
  RunOrdered<ObjectResult>(
      objects.size(), request.scan,
      [&](size_t i, ObjectResult* r) {
        ProcessObject(store, objects[i], matcher, request.output, counters, &pool, r);
      },
      [&](size_t i, ObjectResult&& r) {
        WarnBadObject(r);
        total += r.lines.size();
        if (request.output.count_only) {
          pool.Put(std::move(r.text));
          return true;
        }
        group.push_back(std::move(r));
        // The minute is complete at its last object: print it and free its buffers now.
        if ((i + 1 == objects.size() || objects[i + 1].minute != objects[i].minute) && !flush()) {
          *stopped = true;
          return false;
        }
        return true;
      },
      [&] {
        if (progress) progress(*counters, objects.size());
      });
  if (!*stopped && !flush()) *stopped = true;
  if (progress) progress(*counters, objects.size());
  return total;
}

}  // namespace

Result<std::vector<SelectedObject>> SelectObjects(LogStore& store, const Selection& selection) {
  if (!selection.family.empty()) return store.Select(selection);
  if (selection.task_id.empty()) {
    return InvalidArgumentError("a family (FAMILY[/CONTAINER]) or a task id is required");
  }
  ASSIGN_OR_RETURN(std::vector<Stream> streams, store.ListStreams());
  std::vector<std::string> families;
  for (const auto& s : streams) families.push_back(s.family);
  families.erase(std::unique(families.begin(), families.end()), families.end());
  std::vector<SelectedObject> all;
  for (const auto& family : families) {
    Selection one = selection;
    one.family = family;
    ASSIGN_OR_RETURN(std::vector<SelectedObject> objects, store.Select(one));
    for (auto& o : objects) all.push_back(std::move(o));
  }
  std::sort(all.begin(), all.end(), [](const SelectedObject& a, const SelectedObject& b) {
    return a.minute != b.minute ? a.minute < b.minute : a.key < b.key;
  });
  return all;
}

Result<uint64_t> Grep(LogStore& store, const SearchRequest& request, const OutputFn& out,
                      ScanCounters* counters, const ProgressFn& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineMatcher> matcher, LineMatcher::Create(request.pattern));
  ASSIGN_OR_RETURN(std::vector<SelectedObject> objects, SelectObjects(store, request.selection));
  bool stopped;
  uint64_t total =
      GrepObjects(store, objects, *matcher, request, out, counters, progress, &stopped);
  if (request.output.count_only && !stopped) out(std::to_string(total) + "\n");
  return total;
}

namespace {

// Tail over a given object list: minutes from the newest back until enough lines are in.
uint64_t TailObjects(LogStore& store, const std::vector<SelectedObject>& objects,
                     const LineMatcher& matcher, const SearchRequest& original, const OutputFn& out,
                     ScanCounters* counters, const ProgressFn& progress) {
  const SearchRequest request = ResolvePrefix(original, objects);
  // The read order: minutes newest first, the objects of a minute in key order.
  std::vector<size_t> order;
  order.reserve(objects.size());
  for (size_t end = objects.size(); end > 0;) {
    size_t begin = end - 1;
    while (begin > 0 && objects[begin - 1].minute == objects[end - 1].minute) --begin;
    for (size_t i = begin; i < end; ++i) order.push_back(i);
    end = begin;
  }
  struct Minute {
    std::vector<ObjectResult> results;
    std::vector<std::string_view> lines;
  };
  std::deque<Minute> minutes;  // oldest first
  BufferPool pool;
  Minute current;
  size_t have = 0;
  const size_t want = request.tail_lines;
  auto finish = [&] {
    if (current.results.empty()) return;
    current.lines = MergeMinute(current.results);
    for (auto& r : current.results) pool.Put(std::move(r.text));
    have += current.lines.size();
    minutes.push_front(std::move(current));
    current = Minute();
  };
  SearchRequest req = request;
  req.output.count_only = false;
  if (want > 0) {
    RunOrdered<ObjectResult>(
        order.size(), request.scan,
        [&](size_t i, ObjectResult* r) {
          ProcessObject(store, objects[order[i]], matcher, req.output, counters, &pool, r);
        },
        [&](size_t i, ObjectResult&& r) {
          WarnBadObject(r);
          const SelectedObject& o = objects[order[i]];
          current.results.push_back(std::move(r));
          // The minute is complete at its last object: stop there if it gave enough lines.
          if (i + 1 == order.size() || objects[order[i + 1]].minute != o.minute) {
            finish();
            if (have >= want) return false;
          }
          return true;
        },
        [&] {
          if (progress) progress(*counters, objects.size());
        });
    finish();
  }
  if (progress) progress(*counters, objects.size());
  std::vector<std::string_view> lines;
  for (const auto& m : minutes) lines.insert(lines.end(), m.lines.begin(), m.lines.end());
  size_t from = lines.size() > want ? lines.size() - want : 0;
  Emit(lines, from, out);
  return lines.size() - from;
}

}  // namespace

Result<uint64_t> Tail(LogStore& store, const SearchRequest& request, const OutputFn& out,
                      ScanCounters* counters, const ProgressFn& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineMatcher> matcher, LineMatcher::Create(request.pattern));
  ASSIGN_OR_RETURN(std::vector<SelectedObject> objects, SelectObjects(store, request.selection));
  return TailObjects(store, objects, *matcher, request, out, counters, progress);
}

Status Follow(LogStore& store, const SearchRequest& request, const OutputFn& out,
              ScanCounters* counters, const std::function<bool()>& wait_next,
              int64_t lookback_minutes) {
  ASSIGN_OR_RETURN(std::unique_ptr<LineMatcher> matcher, LineMatcher::Create(request.pattern));
  ASSIGN_OR_RETURN(std::vector<SelectedObject> objects, SelectObjects(store, request.selection));
  SearchRequest req = ResolvePrefix(request, objects);
  req.output.auto_prefix_container = false;  // decided once, so that polls print alike
  req.output.count_only = false;
  TailObjects(store, objects, *matcher, req, out, counters, {});
  // Objects already printed (or passed over by the tail), by (minute, key): the oldest are
  // forgotten once they fall behind the look-back window.
  std::set<std::pair<int64_t, std::string>> seen;
  int64_t newest = 0;
  bool any = false;
  auto remember = [&](const std::vector<SelectedObject>& list) {
    for (const auto& o : list) {
      seen.emplace(o.minute, o.key);
      if (!any || o.minute > newest) newest = o.minute;
      any = true;
    }
    while (!seen.empty() && seen.begin()->first < newest - lookback_minutes) {
      seen.erase(seen.begin());
    }
  };
  remember(objects);
  while (wait_next()) {
    Selection selection = request.selection;
    if (any) {
      Time since{
          std::chrono::duration_cast<Duration>(std::chrono::minutes(newest - lookback_minutes))};
      if (!selection.range.since || *selection.range.since < since) selection.range.since = since;
    }
    Result<std::vector<SelectedObject>> listed = SelectObjects(store, selection);
    if (!listed.ok()) {
      LogWarn("logs: follow: cannot list new objects; trying again",
              {{"error", listed.status().ToString()}});
      continue;
    }
    std::vector<SelectedObject> fresh;
    for (auto& o : *listed) {
      if (!seen.contains({o.minute, o.key})) fresh.push_back(std::move(o));
    }
    if (fresh.empty()) continue;
    bool stopped;
    GrepObjects(store, fresh, *matcher, req, out, counters, {}, &stopped);
    if (stopped) return Status::Ok();
    remember(fresh);
  }
  return Status::Ok();
}

}  // namespace steady::search
