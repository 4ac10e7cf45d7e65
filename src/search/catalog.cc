#include "search/catalog.h"

#include <chrono>
#include <cstdio>
#include <utility>
#include <vector>

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

// What the DDL and the Glue table share, so that both say the same thing.
constexpr char kSerde[] = "org.openx.data.jsonserde.JsonSerDe";
constexpr char kInputFormat[] = "org.apache.hadoop.mapred.TextInputFormat";
constexpr char kOutputFormat[] = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kPartitionKeys[] = {"year", "month", "day"};

// The table properties in DDL order.
std::vector<std::pair<std::string, std::string>> TableProperties(const Stream& stream,
                                                                 const CatalogOptions& o) {
  if (o.mode != CatalogMode::kProjection) return {{"classification", "json"}};
  return {
      {"projection.enabled", "true"},
      {"projection.year.type", "integer"},
      {"projection.year.range", std::to_string(o.first_year) + "," + std::to_string(o.last_year)},
      {"projection.month.type", "integer"},
      {"projection.month.range", "1,12"},
      {"projection.month.digits", "2"},
      {"projection.day.type", "integer"},
      {"projection.day.range", "1,31"},
      {"projection.day.digits", "2"},
      {"storage.location.template", StreamLocation(stream, o) + "${year}/${month}/${day}/"}};
}

struct Day {
  int year;
  unsigned month, day;
};

// Checks `options` (see CatalogDdl) and fills in the location's trailing '/'; `out_days` gets the
// partitions mode's UTC days.
Result<CatalogOptions> Validate(const CatalogOptions& options, std::vector<Day>* out_days) {
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
  if (o.mode == CatalogMode::kPartitions) {
    using namespace std::chrono;
    if (o.since == Time{} || o.until == Time{}) {
      return InvalidArgumentError("--mode partitions needs --since and --until");
    }
    sys_days first = floor<days>(o.since), last = floor<days>(o.until);
    if (last < first) return InvalidArgumentError("--until is before --since");
    if ((last - first).count() > 3660) {
      return InvalidArgumentError("--since/--until span more than 3660 days");
    }
    for (sys_days d = first; d <= last; d += std::chrono::days{1}) {
      year_month_day ymd{d};
      out_days->push_back({static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                           static_cast<unsigned>(ymd.day())});
    }
  }
  return o;
}

std::string DayLocation(const Stream& s, const CatalogOptions& o, const Day& d) {
  return StreamLocation(s, o) + std::to_string(d.year) + "/" + TwoDigits(d.month) + "/" +
         TwoDigits(d.day) + "/";
}

}  // namespace

std::string CreateTableDdl(const Stream& stream, const CatalogOptions& o) {
  std::string ddl = "CREATE EXTERNAL TABLE IF NOT EXISTS " + Qualified(stream, o) + " (\n";
  const auto& cols = LogColumns();
  for (size_t i = 0; i < cols.size(); ++i) {
    ddl += "  `" + cols[i] + "` string" + (i + 1 < cols.size() ? ",\n" : "\n");
  }
  ddl += std::string(")\n") +
         "PARTITIONED BY (`year` int, `month` int, `day` int)\n"
         "ROW FORMAT SERDE '" +
         kSerde +
         "'\n"
         "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n"
         "STORED AS INPUTFORMAT '" +
         kInputFormat +
         "'\n"
         "OUTPUTFORMAT '" +
         kOutputFormat +
         "'\n"
         "LOCATION " +
         HiveString(StreamLocation(stream, o)) + "\n";
  auto props = TableProperties(stream, o);
  if (props.size() == 1) {
    ddl +=
        "TBLPROPERTIES (" + HiveString(props[0].first) + " = " + HiveString(props[0].second) + ")";
  } else {
    ddl += "TBLPROPERTIES (\n";
    for (size_t i = 0; i < props.size(); ++i)
      ddl += "  " + HiveString(props[i].first) + " = " + HiveString(props[i].second) +
             (i + 1 < props.size() ? ",\n" : "\n");
    ddl += ")";
  }
  ddl += ";\n";
  return ddl;
}

aws::GlueTable GlueTableFor(const Stream& stream, const CatalogOptions& o) {
  aws::GlueTable t;
  t.name = logs::TableName(stream.family, stream.container);
  t.description = "steady service logs of " + stream.family + "/" + stream.container;
  t.table_type = "EXTERNAL_TABLE";
  t.parameters["EXTERNAL"] = "TRUE";
  for (auto& [k, v] : TableProperties(stream, o)) t.parameters[k] = v;
  for (const char* k : kPartitionKeys) t.partition_keys.push_back({k, "int", ""});
  aws::GlueStorageDescriptor& sd = t.storage_descriptor;
  for (const auto& c : LogColumns()) sd.columns.push_back({c, "string", ""});
  sd.location = StreamLocation(stream, o);
  sd.input_format = kInputFormat;
  sd.output_format = kOutputFormat;
  sd.serde_info.serialization_library = kSerde;
  sd.serde_info.parameters["ignore.malformed.json"] = "true";
  return t;
}

Result<std::string> CatalogDdl(const std::vector<Stream>& streams, const CatalogOptions& options) {
  std::vector<Day> days;
  ASSIGN_OR_RETURN(CatalogOptions o, Validate(options, &days));
  std::string out = "CREATE DATABASE IF NOT EXISTS `" + o.database + "`;\n";
  for (const Stream& s : streams) out += "\n" + CreateTableDdl(s, o);
  if (o.mode == CatalogMode::kPartitions) {
    for (const Stream& s : streams) {
      out += "\n";
      for (const Day& d : days) {
        out += "ALTER TABLE " + Qualified(s, o) +
               " ADD IF NOT EXISTS PARTITION (year = " + std::to_string(d.year) +
               ", month = " + std::to_string(d.month) + ", day = " + std::to_string(d.day) +
               ") LOCATION " + HiveString(DayLocation(s, o, d)) + ";\n";
      }
    }
  }
  return out;
}

Result<CatalogApplied> ApplyCatalog(aws::Glue& glue, const std::vector<Stream>& streams,
                                    const CatalogOptions& options) {
  std::vector<Day> days;
  ASSIGN_OR_RETURN(CatalogOptions o, Validate(options, &days));
  CatalogApplied applied;
  if (Status s = glue.GetDatabase(o.database); s.code() == StatusCode::kNotFound) {
    Status created = glue.CreateDatabase(o.database, "steady logs (steady logs catalog)");
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists)
      return created.WithContext("creating database " + o.database);
    applied.database_created = created.ok();
  } else if (!s.ok()) {
    return s.WithContext("database " + o.database);
  }
  for (const Stream& stream : streams) {
    aws::GlueTable want = GlueTableFor(stream, o);
    auto have = glue.GetTable(o.database, want.name);
    if (!have.ok() && have.status().code() != StatusCode::kNotFound)
      return have.status().WithContext("table " + want.name);
    if (!have.ok()) {
      Status s = glue.CreateTable(o.database, want);
      if (!s.ok()) return s.WithContext("creating table " + want.name);
      ++applied.tables_created;
    } else if (have->parameters != want.parameters || have->partition_keys != want.partition_keys ||
               !(have->storage_descriptor == want.storage_descriptor) ||
               have->table_type != want.table_type) {
      Status s = glue.UpdateTable(o.database, want);
      if (!s.ok()) return s.WithContext("updating table " + want.name);
      ++applied.tables_updated;
    } else {
      ++applied.tables_unchanged;
    }
    if (o.mode != CatalogMode::kPartitions) continue;
    std::vector<aws::GluePartition> batch;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::Ok();
      ASSIGN_OR_RETURN(auto errors, glue.BatchCreatePartition(o.database, want.name, batch));
      int existing = 0;
      for (const auto& e : errors) {
        if (e.error_code != "AlreadyExistsException")
          return InternalError("partition " + want.name + " " +
                               (e.values.empty() ? "" : e.values[0]) + ": " + e.error_code + ": " +
                               e.error_message);
        ++existing;
      }
      applied.partitions_existing += existing;
      applied.partitions_created += static_cast<int>(batch.size()) - existing;
      batch.clear();
      return Status::Ok();
    };
    for (const Day& d : days) {
      aws::GluePartition p;
      p.values = {std::to_string(d.year), std::to_string(d.month), std::to_string(d.day)};
      p.storage_descriptor = want.storage_descriptor;
      p.storage_descriptor.location = DayLocation(stream, o, d);
      batch.push_back(std::move(p));
      if (batch.size() == 100) RETURN_IF_ERROR(flush());
    }
    RETURN_IF_ERROR(flush());
  }
  return applied;
}

}  // namespace steady::search
