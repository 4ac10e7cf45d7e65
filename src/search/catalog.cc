#include "search/catalog.h"

#include <chrono>
#include <cstdio>

#include "logs/layout.h"
#include "search/sql.h"

namespace steady::search {

namespace {

// A Hive string literal.
std::string HiveString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string StreamLocation(const Stream& s, const CatalogOptions& o) {
  return o.location + s.family + "/" + s.container + "/";
}

std::string Qualified(const Stream& s, const CatalogOptions& o) {
  return "`" + o.database + "`.`" + logs::TableName(s.family, s.container) + "`";
}

std::string TwoDigits(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v);
  return buf;
}

}  // namespace

std::string CreateTableDdl(const Stream& stream, const CatalogOptions& o) {
  std::string ddl = "CREATE EXTERNAL TABLE IF NOT EXISTS " + Qualified(stream, o) + " (\n";
  const auto& cols = LogColumns();
  for (size_t i = 0; i < cols.size(); ++i) {
    ddl += "  `" + cols[i] + "` string" + (i + 1 < cols.size() ? ",\n" : "\n");
  }
  ddl +=
      ")\n"
      "PARTITIONED BY (`year` int, `month` int, `day` int)\n"
      "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
      "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n"
      "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n"
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
      "LOCATION " +
      HiveString(StreamLocation(stream, o)) + "\n";
  if (o.mode == CatalogMode::kProjection) {
    ddl +=
        "TBLPROPERTIES (\n"
        "  'projection.enabled' = 'true',\n"
        "  'projection.year.type' = 'integer',\n"
        "  'projection.year.range' = '" +
        std::to_string(o.first_year) + "," + std::to_string(o.last_year) +
        "',\n"
        "  'projection.month.type' = 'integer',\n"
        "  'projection.month.range' = '1,12',\n"
        "  'projection.month.digits' = '2',\n"
        "  'projection.day.type' = 'integer',\n"
        "  'projection.day.range' = '1,31',\n"
        "  'projection.day.digits' = '2',\n"
        "  'storage.location.template' = " +
        HiveString(StreamLocation(stream, o) + "${year}/${month}/${day}/") + "\n)";
  } else {
    ddl += "TBLPROPERTIES ('classification' = 'json')";
  }
  ddl += ";\n";
  return ddl;
}

Result<std::string> CatalogDdl(const std::vector<Stream>& streams, const CatalogOptions& options) {
  CatalogOptions o = options;
  if (o.location.rfind("s3://", 0) != 0 || o.location.size() <= 5 || o.location[5] == '/') {
    return InvalidArgumentError("--location: expected s3://BUCKET/PREFIX/, got '" + o.location +
                                "'");
  }
  if (o.location.find('\'') != std::string::npos) {
    return InvalidArgumentError("--location: a quote is not allowed");
  }
  if (o.location.back() != '/') o.location += '/';
  if (o.database.empty()) return InvalidArgumentError("--database: empty");
  for (char c : o.database) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgumentError("--database: Athena database names use a-z, 0-9 and _, got '" +
                                  o.database + "'");
    }
  }
  if (o.first_year > o.last_year) {
    return InvalidArgumentError("projection year range " + std::to_string(o.first_year) + "," +
                                std::to_string(o.last_year) + " is empty");
  }
  using namespace std::chrono;
  sys_days first{}, last{};
  if (o.mode == CatalogMode::kPartitions) {
    if (o.since == Time{} || o.until == Time{}) {
      return InvalidArgumentError("--mode partitions needs --since and --until");
    }
    first = floor<days>(o.since);
    last = floor<days>(o.until);
    if (last < first) return InvalidArgumentError("--until is before --since");
    if ((last - first).count() > 3660) {
      return InvalidArgumentError("--since/--until span more than 3660 days");
    }
  }
  std::string out = "CREATE DATABASE IF NOT EXISTS `" + o.database + "`;\n";
  for (const Stream& s : streams) {
    out += "\n" + CreateTableDdl(s, o);
  }
  if (o.mode == CatalogMode::kPartitions) {
    for (const Stream& s : streams) {
      out += "\n";
      for (sys_days d = first; d <= last; d += days{1}) {
        year_month_day ymd{d};
        int y = static_cast<int>(ymd.year());
        unsigned m = static_cast<unsigned>(ymd.month()), dd = static_cast<unsigned>(ymd.day());
        out += "ALTER TABLE " + Qualified(s, o) +
               " ADD IF NOT EXISTS PARTITION (year = " + std::to_string(y) +
               ", month = " + std::to_string(m) + ", day = " + std::to_string(dd) + ") LOCATION " +
               HiveString(StreamLocation(s, o) + std::to_string(y) + "/" + TwoDigits(m) + "/" +
                          TwoDigits(dd) + "/") +
               ";\n";
      }
    }
  }
  return out;
}

}  // namespace steady::search
