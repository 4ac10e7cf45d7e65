// `steady logs sql`: SQL over the service logs with an embedded DuckDB, one table per
// family/container, named like the Athena table (logs::TableName), with the columns of the line
// format (logs/log_record.h) plus the partition columns year, month, day, so that an Athena
// query such as
//
//   select time, log from "my_awesome_app_app"
//   where year = 2018 and month = 11 and day = 28 and log like '%ERROR%' order by time
//
// runs unchanged and reads only that day's objects.
//
// How a query runs (RunSql):
//   1. DuckDB parses the query (json_serialize_sql). Every base-table reference whose name is
//      the table of a stream (LogStore::ListStreams) is a log table. A statement DuckDB cannot
//      serialize (SHOW, DESCRIBE, PRAGMA, ...) falls back to a scan for identifiers, quoted or
//      not, without pruning.
//   2. Pruning: for each reference, the top-level AND-ed comparisons of year/month/day with
//      constants (=, IN, BETWEEN, <, <=, >, >=, either side) in the WHERE clause of the SELECT
//      whose FROM is exactly that table give the days it can read; everything else (OR, NOT,
//      functions, joins, CTEs named like a table) widens to "every day". A table referenced
//      several times reads the union. So pruning may read more than needed, never less.
//   3. The objects of those days (LogStore::Select, then LocalPath; Prefetch first for S3)
//      become a temporary view: a UNION ALL over the days of read_json(files, explicit schema,
//      gzip, newline-delimited) with the day's year/month/day as constants.
//   4. The query runs as written; the result comes back as text cells plus a kind per column,
//      collected (SqlResult) or handed row by row to a SqlRowSink (CSV and JSON lines stream).
//
// Column types: every line field is VARCHAR (time too: RFC 3339 with 9 fixed fraction digits
// and 'Z' sorts correctly as text, and Athena's table declares it `string`, so the same query
// gives the same answer in both); year, month, day are INTEGER. Lines that are not valid JSON
// are skipped (ignore_errors, like the SerDe's ignore.malformed.json).
//
// Thread safety: a SqlSession is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "search/log_store.h"

namespace steady::search {

// The line fields, in the line's order, all VARCHAR.
const std::vector<std::string>& LogColumns();

// A set of integers as sorted, disjoint closed intervals.
class IntervalSet {
 public:
  static IntervalSet All();
  static IntervalSet None() { return IntervalSet(); }
  static IntervalSet Range(int64_t lo, int64_t hi);  // [lo, hi]; empty if lo > hi
  IntervalSet Intersect(const IntervalSet& other) const;
  IntervalSet Union(const IntervalSet& other) const;
  bool Contains(int64_t v) const;
  bool empty() const { return ranges_.empty(); }
  bool is_all() const;
  std::optional<int64_t> min() const;  // nullopt if empty or unbounded below
  std::optional<int64_t> max() const;
  const std::vector<std::pair<int64_t, int64_t>>& ranges() const { return ranges_; }

 private:
  std::vector<std::pair<int64_t, int64_t>> ranges_;
};

// The days one table reference may read: year ∈ years ∧ month ∈ months ∧ day ∈ days.
struct DayFilter {
  IntervalSet years = IntervalSet::All();
  IntervalSet months = IntervalSet::All();
  IntervalSet days = IntervalSet::All();
  bool Matches(int year, int month, int day) const {
    return years.Contains(year) && months.Contains(month) && days.Contains(day);
  }
  bool is_all() const { return years.is_all() && months.is_all() && days.is_all(); }
};

// What a query reads from one log table: the union of its references' filters.
struct TableAccess {
  std::vector<DayFilter> filters;  // one per reference
  bool AllDays() const;
  bool Matches(int year, int month, int day) const;
};

struct QueryAnalysis {
  bool parsed = false;  // false: DuckDB could not serialize it; the identifier scan was used
  // Lower-cased log-table name → access, for the names in `tables` the query references.
  std::vector<std::pair<std::string, TableAccess>> tables;
  const TableAccess* Find(std::string_view table) const;
};

enum class SqlValueKind { kString, kNumber, kBool };

struct SqlResult {
  std::vector<std::string> columns;
  std::vector<SqlValueKind> kinds;                            // per column
  std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt = SQL NULL
};

// Receives a result row by row, so that an output format can stream it instead of holding it.
class SqlRowSink {
 public:
  virtual ~SqlRowSink() = default;
  virtual void Begin(const std::vector<std::string>& columns,
                     const std::vector<SqlValueKind>& kinds) = 0;
  // One row; nullopt = SQL NULL. The views are valid until Row returns.
  virtual void Row(const std::vector<std::optional<std::string_view>>& cells) = 0;
};

// CSV (RFC 4180 with a header; NULL → empty) or JSON lines (one object per row, numbers and
// booleans unquoted, NULL → null) into a buffer that is handed to `flush` each time it passes
// 64 KiB and at Finish. Without `flush`, the text stays in text().
class SqlTextWriter : public SqlRowSink {
 public:
  enum class Format { kCsv, kJsonLines };
  explicit SqlTextWriter(Format format, std::function<void(std::string_view)> flush = {});
  void Begin(const std::vector<std::string>& columns,
             const std::vector<SqlValueKind>& kinds) override;
  void Row(const std::vector<std::optional<std::string_view>>& cells) override;
  void Finish();
  std::string& text() { return buffer_; }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  Format format_;
  std::function<void(std::string_view)> flush_;
  std::vector<std::string> columns_;
  std::vector<SqlValueKind> kinds_;
  std::string buffer_;
};

struct SqlOptions {
  int threads = 0;           // DuckDB worker threads; 0 → DuckDB's default (one per core)
  std::string memory_limit;  // e.g. "4GB"; "" → DuckDB's default
};

// What RunSql did, for --stats and tests.
struct SqlRunInfo {
  QueryAnalysis analysis;
  struct Table {
    std::string name;
    bool pruned = false;  // false: every object of the table's streams
    uint64_t objects = 0;
    uint64_t bytes = 0;  // compressed
    int days = 0;
  };
  std::vector<Table> tables;
};

class SqlSession {
 public:
  // An in-memory DuckDB (no extension auto-install: nothing is downloaded).
  static Result<std::unique_ptr<SqlSession>> Open(const SqlOptions& options = {});
  ~SqlSession();

  // Which of `tables` (lower-case names) the query references, and on which days (step 1–2).
  Result<QueryAnalysis> Analyze(std::string_view sql, const std::set<std::string>& tables);

  // Steps 1–4 over `store`. kInvalidArgument for a query error (DuckDB's message) or when the
  // query references no log table (the message lists the available ones); other codes for
  // store errors.
  Result<SqlResult> Run(LogStore& store, std::string_view sql, SqlRunInfo* info = nullptr);
  // The same, the rows handed to `sink` as they are read from the result (nothing is held);
  // returns the row count. On an error after Begin, part of the rows may have been handed on.
  Result<uint64_t> Run(LogStore& store, std::string_view sql, SqlRowSink& sink,
                       SqlRunInfo* info = nullptr);

  // The statement as is, no views (used by tests and the raw-DuckDB bench).
  Result<SqlResult> Query(std::string_view sql);

 private:
  struct Impl;
  explicit SqlSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Output formats. The table is aligned (cells truncated at `max_width` display columns, 0 = no
// limit) with a row count; CSV and JSON lines as SqlTextWriter writes them.
std::string FormatSqlTable(const SqlResult& result, size_t max_width = 0);
std::string FormatSqlCsv(const SqlResult& result);
std::string FormatSqlJsonLines(const SqlResult& result);

// A single-quoted SQL string literal.
std::string SqlQuote(std::string_view text);

}  // namespace steady::search
