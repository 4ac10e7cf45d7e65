// The measurements behind the choices in search/matcher.h and search/scan.cc (figures in
// docs/logs.md): inflate (isa-l, libdeflate, zlib) and match (memmem, Boyer-Moore-Horspool,
// Hyperscan, RE2, line by line) on the objects bench/logs_gen.cc writes. One thread; files are
// read into memory first. Not a Google Benchmark: one pass per variant over ~450 MB is steadier
// than many small iterations.
//
//   grep_bench DIR_WITH_GZ_OBJECTS
#include <hs/hs.h>
#include <libdeflate.h>
#include <re2/re2.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "logs/gzip.h"
#include "search/inflate.h"
#include "search/log_line.h"
#include "search/matcher.h"

namespace {

using steady::search::GrepPattern;
using steady::search::LineMatcher;

// CPU seconds of this thread: the machine the figures come from is shared, and wall time there
// measures the neighbours.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double Seconds(const std::function<uint64_t()>& fn, uint64_t* result) {
  double t0 = ThreadCpuSeconds();
  *result = fn();
  return ThreadCpuSeconds() - t0;
}

void Report(const char* what, double secs, uint64_t bytes, uint64_t result) {
  std::printf("%-48s %8.3f cpu-s %9.1f MB/s  (result %llu)\n", what, secs,
              static_cast<double>(bytes) / 1e6 / secs, static_cast<unsigned long long>(result));
}

size_t InflateLibdeflate(libdeflate_decompressor* d, const std::string& in, std::string* out) {
  size_t pos = 0;
  out->clear();
  while (pos < in.size()) {
    // ISIZE (last 4 bytes of the member) is unknown before the member ends: guess, grow.
    size_t room = std::max<size_t>(in.size() * 12, 1 << 20);
    size_t base = out->size();
    for (;;) {
      out->resize(base + room);
      size_t in_used = 0, out_used = 0;
      auto r = libdeflate_gzip_decompress_ex(d, in.data() + pos, in.size() - pos,
                                             out->data() + base, room, &in_used, &out_used);
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        room *= 2;
        continue;
      }
      if (r != LIBDEFLATE_SUCCESS) return 0;
      out->resize(base + out_used);
      pos += in_used;
      break;
    }
  }
  return out->size();
}

size_t InflateZlib(const std::string& in, std::string* out) {
  out->clear();
  z_stream zs{};
  inflateInit2(&zs, 15 + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    size_t base = out->size();
    out->resize(base + (1 << 20));
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + base);
    zs.avail_out = 1 << 20;
    int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(base + (1 << 20) - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // next member
    } else if (rc != Z_OK) {
      break;
    }
  }
  inflateEnd(&zs);
  return out->size();
}

int CountHs(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<uint64_t*>(ctx);
  return 0;
}

// Lines holding a hit, given a function that finds the next hit at or after `pos`.
uint64_t CountLinesWithHits(const std::string& text,
                            const std::function<size_t(const std::string&, size_t)>& next) {
  uint64_t n = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t hit = next(text, pos);
    if (hit == std::string::npos) break;
    ++n;
    const void* nl = std::memchr(text.data() + hit, '\n', text.size() - hit);
    if (!nl) break;
    pos = static_cast<size_t>(static_cast<const char*>(nl) - text.data()) + 1;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: grep_bench DIR\n");
    return 2;
  }
  std::vector<std::string> gz;
  uint64_t gz_bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (!e.is_regular_file() || e.path().extension() != ".gz") continue;
    std::ifstream f(e.path(), std::ios::binary);
    gz.emplace_back((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    gz_bytes += gz.back().size();
  }
  std::printf("%zu objects, %.1f MB compressed\n", gz.size(), static_cast<double>(gz_bytes) / 1e6);

  std::vector<std::string> texts(gz.size());
  uint64_t raw = 0, r = 0;
  double s = Seconds(
      [&] {
        uint64_t total = 0;
        for (size_t i = 0; i < gz.size(); ++i) {
          texts[i].clear();
          (void)steady::logs::GunzipMembers(gz[i], &texts[i], size_t{1} << 31);
          total += texts[i].size();
        }
        return total;
      },
      &raw);
  Report("inflate isa-l (logs::GunzipMembers)", s, raw, raw);
  for (auto [name, which] :
       {std::pair{"inflate isa-l (search::InflateMembers)", steady::search::Inflater::kIsal},
        std::pair{"inflate libdeflate (search::InflateMembers)",
                  steady::search::Inflater::kLibdeflate}}) {
    steady::search::TextBuffer out;
    s = Seconds(
        [&] {
          uint64_t total = 0;
          for (const auto& g : gz) {
            (void)steady::search::InflateMembers(g, &out, size_t{1} << 31, which);
            total += out.size();
          }
          return total;
        },
        &r);
    Report(name, s, raw, r);
  }
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::string scratch;
  s = Seconds(
      [&] {
        uint64_t total = 0;
        for (const auto& g : gz) total += InflateLibdeflate(d, g, &scratch);
        return total;
      },
      &r);
  Report("inflate libdeflate (member by member)", s, raw, r);
  libdeflate_free_decompressor(d);
  s = Seconds(
      [&] {
        uint64_t total = 0;
        for (const auto& g : gz) total += InflateZlib(g, &scratch);
        return total;
      },
      &r);
  Report("inflate zlib", s, raw, r);

  const std::string needle = "ERROR";
  auto over_texts = [&](const std::function<uint64_t(const std::string&)>& fn) {
    return [&, fn] {
      uint64_t n = 0;
      for (const auto& t : texts) n += fn(t);
      return n;
    };
  };
  s = Seconds(over_texts([&](const std::string& t) {
                return CountLinesWithHits(t, [&](const std::string& x, size_t pos) -> size_t {
                  const void* h =
                      memmem(x.data() + pos, x.size() - pos, needle.data(), needle.size());
                  return h ? static_cast<size_t>(static_cast<const char*>(h) - x.data())
                           : std::string::npos;
                });
              }),
              &r);
  Report("ERROR: buffer memmem (glibc)", s, raw, r);
  std::boyer_moore_horspool_searcher bmh(needle.begin(), needle.end());
  s = Seconds(over_texts([&](const std::string& t) {
                return CountLinesWithHits(t, [&](const std::string& x, size_t pos) -> size_t {
                  auto it = std::search(x.begin() + static_cast<long>(pos), x.end(), bmh);
                  return it == x.end() ? std::string::npos : static_cast<size_t>(it - x.begin());
                });
              }),
              &r);
  Report("ERROR: buffer std::boyer_moore_horspool", s, raw, r);
  s = Seconds(over_texts([&](const std::string& t) {
                return CountLinesWithHits(t, [&](const std::string& x, size_t pos) -> size_t {
                  return x.find(needle, pos);
                });
              }),
              &r);
  Report("ERROR: buffer std::string::find", s, raw, r);
  for (unsigned flags : {0u, static_cast<unsigned>(HS_FLAG_CASELESS)}) {
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_scratch_t* hs_scratch = nullptr;
    if (hs_compile("ERROR", flags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) return 1;
    hs_alloc_scratch(db, &hs_scratch);
    s = Seconds(over_texts([&](const std::string& t) {
                  uint64_t hits = 0;
                  hs_scan(db, t.data(), static_cast<unsigned>(t.size()), 0, hs_scratch, CountHs,
                          &hits);
                  return hits;
                }),
                &r);
    Report(flags ? "error -i: buffer Hyperscan (hits)" : "ERROR: buffer Hyperscan (hits)", s, raw,
           r);
    hs_free_scratch(hs_scratch);
    hs_free_database(db);
  }
  for (const char* pat : {"ERROR", "(?i)error"}) {
    RE2 re(pat);
    s = Seconds(over_texts([&](const std::string& t) {
                  return CountLinesWithHits(t, [&](const std::string& x, size_t pos) -> size_t {
                    re2::StringPiece in(x.data() + pos, x.size() - pos), m;
                    if (!re.Match(in, 0, in.size(), RE2::UNANCHORED, &m, 1))
                      return std::string::npos;
                    return static_cast<size_t>(m.data() - x.data());
                  });
                }),
                &r);
    Report(pat[0] == '(' ? "error -i: buffer RE2" : "ERROR: buffer RE2", s, raw, r);
  }
  s = Seconds(over_texts([&](const std::string& t) {
                uint64_t n = 0;
                size_t pos = 0;
                while (pos < t.size()) {
                  const char* nl =
                      static_cast<const char*>(std::memchr(t.data() + pos, '\n', t.size() - pos));
                  size_t end = nl ? static_cast<size_t>(nl - t.data()) : t.size();
                  if (memmem(t.data() + pos, end - pos, needle.data(), needle.size())) ++n;
                  pos = end + 1;
                }
                return n;
              }),
              &r);
  Report("ERROR: line by line memmem", s, raw, r);

  struct Variant {
    const char* name;
    GrepPattern p;
  };
  for (const Variant& v : {
           Variant{"LineMatcher ERROR (log field, buffer path)", GrepPattern{"ERROR"}},
           Variant{"LineMatcher -i error (Hyperscan path)", GrepPattern{"error", false, true}},
           Variant{"LineMatcher -v ERROR (line by line)", GrepPattern{"ERROR", false, false, true}},
           Variant{"LineMatcher -E 'ERROR .* after [0-9]{4}ms'",
                   GrepPattern{"ERROR .* after [0-9]{4}ms", true}},
           Variant{"LineMatcher -E -i 'timeout|refused'",
                   GrepPattern{"timeout|refused", true, true}},
           Variant{"LineMatcher '\"GET /login' (escaped: by line)", GrepPattern{"\"GET /login"}},
       }) {
    auto m = *LineMatcher::Create(v.p);
    std::vector<std::string_view> lines;
    s = Seconds(over_texts([&](const std::string& t) {
                  lines.clear();
                  m->Select(t, &lines);
                  return static_cast<uint64_t>(lines.size());
                }),
                &r);
    Report(v.name, s, raw, r);
  }
  // Formatting cost: the decoded log field of every line (what tail prints).
  s = Seconds(over_texts([&](const std::string& t) {
                uint64_t n = 0;
                std::string sc;
                size_t pos = 0;
                while (pos < t.size()) {
                  const char* nl =
                      static_cast<const char*>(std::memchr(t.data() + pos, '\n', t.size() - pos));
                  size_t end = nl ? static_cast<size_t>(nl - t.data()) : t.size();
                  bool valid;
                  n += steady::search::LogText(std::string_view(t.data() + pos, end - pos), &sc,
                                               &valid)
                           .size();
                  pos = end + 1;
                }
                return n;
              }),
              &r);
  Report("LogText of every line", s, raw, r);
  return 0;
}
