#include "search/log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "aws/local_object_store.h"
#include "aws/object_store.h"
#include "base/file_util.h"
#include "base/ids.h"
#include "base/log.h"

namespace steady::search {
namespace {

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    return std::string(x) + "/steady/objects";
  }
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/steady/objects";
  return "/tmp/steady-cache/objects";
}

std::string WithSlash(std::string_view prefix) {
  std::string p(prefix);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (!p.empty()) p += '/';
  return p;
}

// A cache file name for a key and ETag: the key with '/' escaped, so the cache is one flat
// directory and a changed object (new ETag) never reads a stale copy.
std::string CacheName(std::string_view key, std::string_view etag) {
  std::string out;
  out.reserve(key.size() + etag.size() + 8);
  for (char c : key) {
    if (c == '/') {
      out += "%2F";
    } else if (c == '%') {
      out += "%25";
    } else {
      out += c;
    }
  }
  out += '~';
  for (char c : etag) out += (c == '/' || c == '"') ? '_' : c;
  if (out.size() > 240) out = out.substr(out.size() - 240);  // keep under NAME_MAX
  return out;
}

}  // namespace

// Least-recently-used files in one directory, bounded by total bytes. Files written by earlier
// runs are adopted at start (oldest access first).
struct LogStore::Cache {
  std::string dir;
  uint64_t limit = 0;
  std::mutex mu;
  std::list<std::string> lru;  // front: most recently used
  struct Entry {
    uint64_t size;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, Entry> entries;
  uint64_t total = 0;

  Status Open() {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return InternalError("cache directory " + dir + ": " + ec.message());
    std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::directory_entry>> found;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (!e.is_regular_file()) continue;
      if (e.path().filename().string().starts_with(".tmp")) {
        std::filesystem::remove(e.path(), ec);
        continue;
      }
      found.emplace_back(e.last_write_time(ec), e);
    }
    std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::lock_guard lock(mu);
    for (auto& [t, e] : found) {
      std::string name = e.path().filename().string();
      lru.push_back(name);
      entries[name] = Entry{e.file_size(ec), std::prev(lru.end())};
      total += entries[name].size;
    }
    EvictLocked();
    return Status::Ok();
  }

  // True (and marks it used) when `name` is cached.
  bool Touch(const std::string& name) {
    std::lock_guard lock(mu);
    auto it = entries.find(name);
    if (it == entries.end()) return false;
    lru.splice(lru.begin(), lru, it->second.pos);
    return true;
  }

  void Add(const std::string& name, uint64_t size) {
    std::lock_guard lock(mu);
    auto it = entries.find(name);
    if (it != entries.end()) {
      total -= it->second.size;
      lru.erase(it->second.pos);
      entries.erase(it);
    }
    lru.push_front(name);
    entries[name] = Entry{size, lru.begin()};
    total += size;
    EvictLocked();
  }

  void EvictLocked() {
    // The most recent entry always stays, even when it alone exceeds the limit.
    while (total > limit && lru.size() > 1) {
      const std::string& victim = lru.back();
      std::error_code ec;
      std::filesystem::remove(dir + "/" + victim, ec);
      total -= entries[victim].size;
      entries.erase(victim);
      lru.pop_back();
    }
  }
};

LogStore::LogStore(aws::ObjectStore* store, LogStoreOptions options)
    : store_(store), options_(std::move(options)) {
  if (auto* local = dynamic_cast<aws::LocalObjectStore*>(store_)) local_root_ = local->root();
  if (options_.parallel <= 0) {
    options_.parallel = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  }
}

LogStore::~LogStore() = default;

Status LogStore::EnsureCache() {
  std::call_once(cache_once_, [this] {
    auto cache = std::make_unique<Cache>();
    cache->dir = options_.cache_dir.empty() ? DefaultCacheDir() : options_.cache_dir;
    cache->limit = options_.cache_bytes;
    cache_status_ = cache->Open();
    if (cache_status_.ok()) cache_ = std::move(cache);
  });
  return cache_status_;
}

bool LogStore::is_local() const { return !local_root_.empty(); }

Result<std::vector<Stream>> LogStore::ListStreams() {
  std::string base = WithSlash(options_.service_prefix);
  std::vector<std::string> families;
  aws::ListOptions fam_opts;
  fam_opts.prefix = base;
  fam_opts.delimiter = "/";
  RETURN_IF_ERROR(store_->ListAll(fam_opts, [&](const aws::ListEntry& e) {
    if (e.is_prefix) families.push_back(e.object.key);
    return true;
  }));
  counters_.list_requests += 1;
  std::vector<Stream> out;
  for (const std::string& fam_prefix : families) {
    aws::ListOptions opts;
    opts.prefix = fam_prefix;
    opts.delimiter = "/";
    std::string family = fam_prefix.substr(base.size(), fam_prefix.size() - base.size() - 1);
    RETURN_IF_ERROR(store_->ListAll(opts, [&](const aws::ListEntry& e) {
      if (e.is_prefix) {
        out.push_back(Stream{
            family,
            e.object.key.substr(fam_prefix.size(), e.object.key.size() - fam_prefix.size() - 1)});
      }
      return true;
    }));
    counters_.list_requests += 1;
  }
  std::sort(out.begin(), out.end(), [](const Stream& a, const Stream& b) {
    return std::tie(a.family, a.container) < std::tie(b.family, b.container);
  });
  return out;
}

Result<std::vector<SelectedObject>> LogStore::Select(const Selection& sel) {
  if (sel.family.empty()) return InvalidArgumentError("a log selection needs a family");
  std::vector<std::string> containers;
  if (!sel.container.empty()) {
    containers.push_back(sel.container);
  } else {
    std::string fam_prefix =
        WithSlash(sel.task_id.empty() ? options_.service_prefix : options_.task_prefix) +
        sel.family + "/";
    aws::ListOptions opts;
    opts.prefix = fam_prefix;
    opts.delimiter = "/";
    RETURN_IF_ERROR(store_->ListAll(opts, [&](const aws::ListEntry& e) {
      if (e.is_prefix) {
        containers.push_back(
            e.object.key.substr(fam_prefix.size(), e.object.key.size() - fam_prefix.size() - 1));
      }
      return true;
    }));
    counters_.list_requests += 1;
  }

  std::vector<SelectedObject> out;
  auto consider = [&](const aws::ObjectInfo& info) {
    counters_.objects_listed += 1;
    SelectedObject o;
    if (sel.task_id.empty()) {
      auto key = logs::ParseServiceLogKey(info.key);
      if (!key.ok()) {
        counters_.skipped_keys += 1;
        return;
      }
      o.family = std::move(key->family);
      o.container = std::move(key->container);
      o.minute = key->name.minute;
    } else {
      auto key = logs::ParseTaskLogKey(info.key);
      if (!key.ok()) {
        counters_.skipped_keys += 1;
        return;
      }
      o.family = std::move(key->family);
      o.container = std::move(key->container);
      o.task_id = std::move(key->task_id);
      o.minute = key->name.minute;
    }
    if (!sel.range.CoversMinute(o.minute)) return;
    o.key = info.key;
    o.size = info.size;
    o.etag = info.etag;
    out.push_back(std::move(o));
  };

  for (const std::string& container : containers) {
    std::vector<std::string> prefixes;
    if (sel.task_id.empty()) {
      prefixes =
          logs::ServiceLogListPrefixes(options_.service_prefix, sel.family, container, sel.range);
    } else {
      prefixes.push_back(WithSlash(options_.task_prefix) + sel.family + "/" + container + "/" +
                         sel.task_id + "/");
    }
    for (const std::string& prefix : prefixes) {
      aws::ListOptions opts;
      opts.prefix = prefix;
      RETURN_IF_ERROR(store_->ListAll(opts, [&](const aws::ListEntry& e) {
        if (!e.is_prefix) consider(e.object);
        return true;
      }));
      counters_.list_requests += 1;
    }
  }
  std::sort(out.begin(), out.end(), [](const SelectedObject& a, const SelectedObject& b) {
    return std::tie(a.minute, a.key) < std::tie(b.minute, b.key);
  });
  counters_.objects_selected += out.size();
  return out;
}

Result<std::string> LogStore::Read(const SelectedObject& object) {
  if (!is_local() && EnsureCache().ok()) {
    std::string name = CacheName(object.key, object.etag);
    if (cache_->Touch(name)) {
      std::ifstream in(cache_->dir + "/" + name, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (in.good() || in.eof()) {
        counters_.cache_hits += 1;
        return data;
      }
    }
  }
  ASSIGN_OR_RETURN(std::string data, store_->Get(object.key));
  counters_.objects_read += 1;
  counters_.bytes_read += data.size();
  return data;
}

Result<std::string> LogStore::LocalPath(const SelectedObject& object) {
  if (is_local()) {
    counters_.objects_read += 1;
    counters_.bytes_read += object.size;
    return local_root_ + "/" + object.key;
  }
  RETURN_IF_ERROR(EnsureCache());
  std::string name = CacheName(object.key, object.etag);
  std::string path = cache_->dir + "/" + name;
  if (cache_->Touch(name)) {
    counters_.cache_hits += 1;
    return path;
  }
  ASSIGN_OR_RETURN(std::string data, store_->Get(object.key));
  counters_.objects_read += 1;
  counters_.bytes_read += data.size();
  std::string tmp = cache_->dir + "/.tmp" + NewUuid();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "open", tmp);
  Status st = WriteAll(fd, data, tmp);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoError(errno, "rename", tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  cache_->Add(name, data.size());
  return path;
}

Status LogStore::Prefetch(std::span<const SelectedObject> objects) {
  if (is_local() || objects.empty()) return Status::Ok();
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first;
  auto work = [&] {
    for (size_t i = next++; i < objects.size(); i = next++) {
      auto r = LocalPath(objects[i]);
      if (!r.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = r.status();
      }
    }
  };
  size_t n = std::min<size_t>(static_cast<size_t>(options_.parallel), objects.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return first;
}

}  // namespace steady::search
