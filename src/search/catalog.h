// `steady logs catalog`: the Glue/Athena tables over the service logs, as DDL that Athena runs
// as is. One table per family/container (logs::TableName), with the columns of the line format
// (logs/log_record.h, all `string`; see search/sql.h for why `time` is a string too), the OpenX
// JSON SerDe (malformed lines ignored), text input (Athena reads the .gz objects as gzip by
// their suffix), and the partition columns year, month, day:
//
//   projection mode (default): partition projection over year/month/day with
//     storage.location.template '<location><family>/<container>/${year}/${month}/${day}/'
//     (months and days with 2 digits, as the keys have them); no partitions to maintain.
//   partitions mode (the classic daily way): the same table without projection, plus one
//     ALTER TABLE ... ADD IF NOT EXISTS PARTITION per table and UTC day in [since, until], which
//     is what a daily BatchCreatePartition job would register.
//
// The same query then runs in Athena and in `steady logs sql`.
#pragma once

#include <string>
#include <vector>

#include "aws/glue.h"
#include "base/clock.h"
#include "base/status.h"
#include "search/log_store.h"

namespace steady::search {

enum class CatalogMode { kProjection, kPartitions };

struct CatalogOptions {
  std::string database = "steady_logs";
  // s3://BUCKET/PREFIX/ under which <family>/<container>/YYYY/MM/DD/ live (a trailing '/' is
  // added if missing).
  std::string location;
  CatalogMode mode = CatalogMode::kProjection;
  int first_year = 2015;  // projection.year.range
  int last_year = 2099;
  // Partitions mode: the UTC days [since's day, until's day] (both required there).
  Time since{};
  Time until{};
};

// kInvalidArgument for a location that is not s3://..., a bad database name, a year range
// that is empty, or a partitions range that is missing, reversed or longer than 3660 days.
Result<std::string> CatalogDdl(const std::vector<Stream>& streams, const CatalogOptions& options);

// The CREATE EXTERNAL TABLE statement of one stream (ends in ";\n").
std::string CreateTableDdl(const Stream& stream, const CatalogOptions& options);

// The same table as a Glue TableInput (options validated, location ending in '/').
aws::GlueTable GlueTableFor(const Stream& stream, const CatalogOptions& options);

struct CatalogApplied {
  bool database_created = false;
  int tables_created = 0, tables_updated = 0, tables_unchanged = 0;
  int partitions_created = 0, partitions_existing = 0;
};

// What CatalogDdl prints, applied through the Glue API (`steady logs catalog --apply`): the
// database if missing; each table created, or updated when it differs, or left alone; in
// partitions mode every day's partition by BatchCreatePartition (100 per call; ones that exist
// are counted, not errors). Idempotent. Errors: CatalogDdl's, and Glue's with the table named.
Result<CatalogApplied> ApplyCatalog(aws::Glue& glue, const std::vector<Stream>& streams,
                                    const CatalogOptions& options);

}  // namespace steady::search
