// The filters of Glue's catalog reads, as Glue documents them.
//
// GluePartitionFilter: GetPartitions' Expression, a SQL WHERE fragment over the table's
// partition keys:
//
//   year = 2018 AND month IN (11, 12) AND NOT day BETWEEN 1 AND 9
//   dt >= '2026-12-01' OR (region LIKE 'eu-%' AND hour <> '00') OR zone IS NOT NULL
//
// Operators =, <>, !=, <, <=, >, >=, [NOT] IN (...), [NOT] BETWEEN a AND b, [NOT] LIKE 'p%_',
// IS [NOT] NULL, NOT, AND, OR and parentheses (NOT binds tighter than AND, AND than OR).
// Key names are case-insensitive and may be quoted with "" or ``; literals are 'strings' (''
// inside is one quote) or numbers. A key of a numeric Hive type (tinyint, smallint, int,
// integer, bigint, long, float, double, decimal...) compares numerically, so month < 10 holds
// for '9'; any other type (string, date, timestamp, char, varchar) compares as text, which for
// ISO dates and timestamps is their order. A partition value is never NULL.
//
// GlueTableNameFilter: GetTables' Expression, a table-name pattern in the Hive metastore's
// sense: a regular expression matched against the whole name, case-insensitively, in which a
// `*` not after `.` means any run of characters (so "web*", "*_app" and "test_.*" all work).
//
// Both are written by hand: the predicate language is a dozen productions, and the libraries
// that parse SQL (DuckDB's parser) would pull a database engine into the region for them.
// Pattern matching uses RE2, linear in the name, because patterns come off the network.
//
// Thread safety: a built filter is immutable; Matches may run on any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/glue.h"
#include "base/status.h"

namespace re2 {
class RE2;
}

namespace steady::region {

class GluePartitionFilter {
 public:
  // Glue's PredicateString limit.
  static constexpr size_t kMaxLength = 2048;

  // Parses `expression` against the table's partition keys. kInvalidArgument, naming what is
  // wrong and where, for a syntax error, an unknown key or a literal the key's type can't hold.
  static Result<GluePartitionFilter> Parse(std::string_view expression,
                                           const std::vector<aws::GlueColumn>& keys);

  // Whether a partition whose values are `values` (one per key, in order) passes.
  bool Matches(const std::vector<std::string>& values) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

class GlueTableNameFilter {
 public:
  static Result<GlueTableNameFilter> Parse(std::string_view pattern);
  bool Matches(std::string_view table_name) const;

 private:
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace steady::region
