#include "region/glue_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cassert>
#include <optional>
#include <stdexcept>

#include "base/base64.h"
#include "region/glue_expression.h"
#include "region/service_error.h"

namespace steady::region {

using nlohmann::json;

namespace {

constexpr size_t kMaxNameLength = 255;

Status InvalidInput(std::string_view op, const std::string& message) {
  return ServiceError(op, "InvalidInputException", message);
}
Status NotFound(std::string_view op, const std::string& message) {
  return ServiceError(op, "EntityNotFoundException", message);
}
Status AlreadyExists(std::string_view op, const std::string& message) {
  return ServiceError(op, "AlreadyExistsException", message);
}

// Glue's NameString: 1 to 255 characters of its single-line pattern (no control characters
// other than tab). Returns the name lower-cased, as Glue stores it.
Result<std::string> CheckName(std::string_view op, std::string_view what, const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength)
    return InvalidInput(op, std::string(what) + " must be between 1 and 255 characters long.");
  for (unsigned char c : name)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return InvalidInput(op, std::string(what) + " contains invalid characters.");
  return GlueModel::StoredName(name);
}

// Page tokens: base64 of "<kind>:<key of the first item of the next page>".
std::string Token(std::string_view kind, const std::string& key) {
  return Base64Encode(std::string(kind) + ":" + key);
}
Result<std::string> TokenKey(std::string_view op, std::string_view kind, const std::string& token) {
  if (token.empty()) return std::string();
  auto decoded = Base64Decode(token);
  std::string prefix = std::string(kind) + ":";
  if (!decoded.ok() || decoded->rfind(prefix, 0) != 0)
    return InvalidInput(op, "Invalid pagination token");
  return decoded->substr(prefix.size());
}
Result<size_t> PageSize(std::string_view op, int max_results, int limit) {
  if (max_results < 0 || max_results > limit)
    return InvalidInput(op, "MaxResults must be between 1 and " + std::to_string(limit) + ".");
  return static_cast<size_t>(max_results == 0 ? limit : max_results);
}

// Why `values` can't name a partition of a table with `keys` partition keys; empty if it can.
std::string BadPartitionValues(size_t keys, const std::vector<std::string>& values) {
  if (values.size() != keys)
    return "The number of partition keys do not match the number of partition values";
  for (const std::string& v : values)
    if (v.size() > 1024) return "Partition values must be at most 1024 characters long.";
  return "";
}

std::string ValuesText(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out + "]";
}

}  // namespace

struct GlueModel::Table {
  aws::GlueTable table;  // name lower-cased; database_name, create_time, update_time set
  std::map<std::vector<std::string>, aws::GluePartition> partitions;  // by values
};

struct GlueModel::Database {
  GlueDatabase db;
  std::map<std::string, std::unique_ptr<Table>> tables;  // by lower-cased name
};

std::string GlueModel::StoredName(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

GlueModel::GlueModel(RegionContext& ctx) : ctx_(ctx) {}
GlueModel::~GlueModel() = default;

uint64_t GlueModel::RecordLocked(json record) {
  record["s"] = "glue";
  Status s = ApplyLocked(record);
  // Live records are built by this file from validated input; failing to apply one is a bug.
  assert(s.ok());
  (void)s;
  return ctx_.journal().Enqueue(record.dump());
}

Status GlueModel::Replay(const json& record) {
  std::lock_guard lock(mu_);
  return ApplyLocked(record);
}

// Records:
//   {"op":"db", "name", "description", "t"}          a new database
//   {"op":"deldb", "name"}                            a database and its tables go
//   {"op":"table", "db", "table": TableInput, "ct", "ut"}  a new table, or an update (keeps
//                                                     its partitions)
//   {"op":"deltable", "db", "name"}
//   {"op":"parts", "db", "table", "parts": [PartitionInput + "t"]}  partitions added
//   {"op":"movepart", "db", "table", "from": values, "part": PartitionInput + "t"}  a partition
//                                                     replaced, perhaps under new values
//   {"op":"delparts", "db", "table", "values": [values...]}  partitions deleted
Status GlueModel::ApplyLocked(const json& r) {
  try {
    const std::string op = r.at("op");
    if (op == "db") {
      auto d = std::make_unique<Database>();
      d->db.name = r.at("name");
      d->db.description = r.at("description");
      d->db.create_time = FromUnixNanos(r.at("t"));
      databases_[d->db.name] = std::move(d);
    } else if (op == "deldb") {
      databases_.erase(r.at("name").get<std::string>());
    } else if (op == "table") {
      auto d = databases_.find(r.at("db"));
      if (d == databases_.end()) return DataLossError("glue journal names unknown database");
      aws::GlueTable t = GlueTableFromJson(r.at("table"));
      t.database_name = d->first;
      t.create_time = FromUnixNanos(r.at("ct"));
      t.update_time = FromUnixNanos(r.at("ut"));
      auto& slot = d->second->tables[t.name];
      if (!slot) slot = std::make_unique<Table>();
      slot->table = std::move(t);
    } else if (op == "deltable") {
      auto d = databases_.find(r.at("db"));
      if (d != databases_.end()) d->second->tables.erase(r.at("name").get<std::string>());
    } else if (op == "parts" || op == "movepart" || op == "delparts") {
      auto d = databases_.find(r.at("db"));
      if (d == databases_.end()) return DataLossError("glue journal names unknown database");
      auto t = d->second->tables.find(r.at("table"));
      if (t == d->second->tables.end()) return DataLossError("glue journal names unknown table");
      auto& partitions = t->second->partitions;
      auto put = [&](const json& pj) {
        aws::GluePartition p = GluePartitionFromJson(pj);
        p.creation_time = FromUnixNanos(pj.at("t"));
        auto key = p.values;
        partitions[std::move(key)] = std::move(p);
      };
      if (op == "parts") {
        for (const json& pj : r.at("parts")) put(pj);
      } else if (op == "movepart") {
        partitions.erase(r.at("from").get<std::vector<std::string>>());
        put(r.at("part"));
      } else {
        for (const json& v : r.at("values")) partitions.erase(v.get<std::vector<std::string>>());
      }
    } else {
      return DataLossError("unknown glue journal op " + op);
    }
  } catch (const std::exception& e) {
    return DataLossError(std::string("bad glue journal record: ") + e.what());
  }
  return Status::Ok();
}

json GlueModel::Snapshot() const {
  // As records that replay to the same state, like SQS and SNS: one code path restores both.
  json records = json::array();
  for (const auto& [name, d] : databases_) {
    records.push_back({{"s", "glue"},
                       {"op", "db"},
                       {"name", name},
                       {"description", d->db.description},
                       {"t", ToUnixNanos(d->db.create_time)}});
    for (const auto& [tname, t] : d->tables) {
      records.push_back({{"s", "glue"},
                         {"op", "table"},
                         {"db", name},
                         {"table", GlueTableInputJson(t->table)},
                         {"ct", ToUnixNanos(t->table.create_time)},
                         {"ut", ToUnixNanos(t->table.update_time)}});
      if (t->partitions.empty()) continue;
      json parts = json::array();
      for (const auto& [values, p] : t->partitions) {
        json pj = GluePartitionInputJson(p);
        pj["t"] = ToUnixNanos(p.creation_time);
        parts.push_back(std::move(pj));
      }
      records.push_back(
          {{"s", "glue"}, {"op", "parts"}, {"db", name}, {"table", tname}, {"parts", parts}});
    }
  }
  return records;
}

Status GlueModel::Restore(const json& snapshot) {
  std::lock_guard lock(mu_);
  databases_.clear();
  for (const json& r : snapshot) RETURN_IF_ERROR(ApplyLocked(r));
  return Status::Ok();
}

Result<GlueModel::Database*> GlueModel::FindDatabaseLocked(std::string_view op,
                                                           const std::string& name) {
  ASSIGN_OR_RETURN(std::string key, CheckName(op, "Database name", name));
  auto it = databases_.find(key);
  if (it == databases_.end()) return NotFound(op, "Database " + key + " not found.");
  return it->second.get();
}

Result<GlueModel::Table*> GlueModel::FindTableLocked(std::string_view op,
                                                     const std::string& database,
                                                     const std::string& name) {
  ASSIGN_OR_RETURN(Database * d, FindDatabaseLocked(op, database));
  ASSIGN_OR_RETURN(std::string key, CheckName(op, "Table name", name));
  auto it = d->tables.find(key);
  if (it == d->tables.end()) return NotFound(op, "Table " + key + " not found.");
  return it->second.get();
}

Status GlueModel::CreateDatabase(const std::string& name, const std::string& description) {
  constexpr std::string_view kOp = "CreateDatabase";
  ASSIGN_OR_RETURN(std::string key, CheckName(kOp, "Database name", name));
  if (description.size() > 2048)
    return InvalidInput(kOp, "Description must be at most 2048 characters long.");
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    if (databases_.count(key)) return AlreadyExists(kOp, "Database already exists.");
    seq = RecordLocked({{"op", "db"},
                        {"name", key},
                        {"description", description},
                        {"t", ToUnixNanos(ctx_.clock.Now())}});
  }
  return ctx_.journal().Commit(seq);
}

Status GlueModel::GetDatabase(const std::string& name) { return DescribeDatabase(name).status(); }

Result<GlueDatabase> GlueModel::DescribeDatabase(const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Database * d, FindDatabaseLocked("GetDatabase", name));
  return d->db;
}

Result<GluePage<GlueDatabase>> GlueModel::GetDatabasesPage(const std::string& next_token,
                                                           int max_results) {
  constexpr std::string_view kOp = "GetDatabases";
  ASSIGN_OR_RETURN(std::string start, TokenKey(kOp, "db", next_token));
  ASSIGN_OR_RETURN(size_t size, PageSize(kOp, max_results, kMaxCatalogPage));
  std::lock_guard lock(mu_);
  GluePage<GlueDatabase> out;
  for (auto it = databases_.lower_bound(start); it != databases_.end(); ++it) {
    if (out.items.size() == size) {
      out.next_token = Token("db", it->first);
      break;
    }
    out.items.push_back(it->second->db);
  }
  return out;
}

Status GlueModel::DeleteDatabase(const std::string& name) {
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Database * d, FindDatabaseLocked("DeleteDatabase", name));
    seq = RecordLocked({{"op", "deldb"}, {"name", d->db.name}});
  }
  return ctx_.journal().Commit(seq);
}

Status GlueModel::CreateTable(const std::string& database, const aws::GlueTable& table) {
  constexpr std::string_view kOp = "CreateTable";
  ASSIGN_OR_RETURN(std::string key, CheckName(kOp, "Table name", table.name));
  aws::GlueTable t = table;
  t.name = key;
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Database * d, FindDatabaseLocked(kOp, database));
    if (d->tables.count(key)) return AlreadyExists(kOp, "Table already exists.");
    int64_t now = ToUnixNanos(ctx_.clock.Now());
    seq = RecordLocked({{"op", "table"},
                        {"db", d->db.name},
                        {"table", GlueTableInputJson(t)},
                        {"ct", now},
                        {"ut", now}});
  }
  return ctx_.journal().Commit(seq);
}

Status GlueModel::UpdateTable(const std::string& database, const aws::GlueTable& table) {
  constexpr std::string_view kOp = "UpdateTable";
  aws::GlueTable t = table;
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Table * existing, FindTableLocked(kOp, database, table.name));
    t.name = existing->table.name;
    seq = RecordLocked({{"op", "table"},
                        {"db", existing->table.database_name},
                        {"table", GlueTableInputJson(t)},
                        {"ct", ToUnixNanos(existing->table.create_time)},
                        {"ut", ToUnixNanos(ctx_.clock.Now())}});
  }
  return ctx_.journal().Commit(seq);
}

Result<aws::GlueTable> GlueModel::GetTable(const std::string& database, const std::string& name) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Table * t, FindTableLocked("GetTable", database, name));
  return t->table;
}

Result<GluePage<aws::GlueTable>> GlueModel::GetTablesPage(const std::string& database,
                                                          const std::string& next_token,
                                                          int max_results,
                                                          const std::string& expression) {
  constexpr std::string_view kOp = "GetTables";
  ASSIGN_OR_RETURN(std::string start, TokenKey(kOp, "table", next_token));
  ASSIGN_OR_RETURN(size_t size, PageSize(kOp, max_results, kMaxCatalogPage));
  std::optional<GlueTableNameFilter> filter;
  if (!expression.empty()) {
    auto parsed = GlueTableNameFilter::Parse(expression);
    if (!parsed.ok()) return InvalidInput(kOp, parsed.status().message());
    filter = std::move(*parsed);
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Database * d, FindDatabaseLocked(kOp, database));
  GluePage<aws::GlueTable> out;
  for (auto it = d->tables.lower_bound(start); it != d->tables.end(); ++it) {
    if (filter && !filter->Matches(it->first)) continue;
    if (out.items.size() == size) {
      out.next_token = Token("table", it->first);
      break;
    }
    out.items.push_back(it->second->table);
  }
  return out;
}

Result<std::vector<aws::GlueTable>> GlueModel::GetTables(const std::string& database) {
  std::vector<aws::GlueTable> all;
  std::string token;
  do {
    ASSIGN_OR_RETURN(auto page, GetTablesPage(database, token, 0));
    for (auto& t : page.items) all.push_back(std::move(t));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

Status GlueModel::DeleteTable(const std::string& database, const std::string& name) {
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Table * t, FindTableLocked("DeleteTable", database, name));
    seq =
        RecordLocked({{"op", "deltable"}, {"db", t->table.database_name}, {"name", t->table.name}});
  }
  return ctx_.journal().Commit(seq);
}

Result<std::vector<aws::GluePartitionError>> GlueModel::BatchCreatePartition(
    const std::string& database, const std::string& table,
    const std::vector<aws::GluePartition>& partitions) {
  constexpr std::string_view kOp = "BatchCreatePartition";
  if (partitions.size() > kMaxBatchPartitions)
    return InvalidInput(kOp, "PartitionInputList must hold at most 100 partitions.");
  std::vector<aws::GluePartitionError> errors;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
    const size_t keys = t->table.partition_keys.size();
    json parts = json::array();
    std::map<std::vector<std::string>, bool> in_batch;
    const int64_t now = ToUnixNanos(ctx_.clock.Now());
    for (const aws::GluePartition& p : partitions) {
      auto refuse = [&](const char* code, std::string message) {
        errors.push_back({p.values, code, std::move(message)});
      };
      if (std::string bad = BadPartitionValues(keys, p.values); !bad.empty()) {
        refuse("InvalidInputException", std::move(bad));
        continue;
      }
      if (t->partitions.count(p.values) || in_batch.count(p.values)) {
        refuse("AlreadyExistsException", "Partition already exists.");
        continue;
      }
      in_batch[p.values] = true;
      json pj = GluePartitionInputJson(p);
      pj["t"] = now;
      parts.push_back(std::move(pj));
    }
    if (parts.empty()) return errors;
    seq = RecordLocked({{"op", "parts"},
                        {"db", t->table.database_name},
                        {"table", t->table.name},
                        {"parts", std::move(parts)}});
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return errors;
}

Result<GluePage<aws::GluePartition>> GlueModel::GetPartitionsPage(const std::string& database,
                                                                  const std::string& table,
                                                                  const std::string& next_token,
                                                                  int max_results,
                                                                  const std::string& expression) {
  constexpr std::string_view kOp = "GetPartitions";
  ASSIGN_OR_RETURN(std::string start_json, TokenKey(kOp, "part", next_token));
  std::vector<std::string> start;
  if (!start_json.empty()) {
    json parsed = json::parse(start_json, nullptr, false);
    if (!parsed.is_array() ||
        !std::all_of(parsed.begin(), parsed.end(), [](const json& v) { return v.is_string(); }))
      return InvalidInput(kOp, "Invalid pagination token");
    start = parsed.get<std::vector<std::string>>();
  }
  ASSIGN_OR_RETURN(size_t size, PageSize(kOp, max_results, kMaxPartitionPage));
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
  std::optional<GluePartitionFilter> filter;
  if (!expression.empty()) {
    auto parsed = GluePartitionFilter::Parse(expression, t->table.partition_keys);
    if (!parsed.ok()) return InvalidInput(kOp, parsed.status().message());
    filter = std::move(*parsed);
  }
  GluePage<aws::GluePartition> out;
  for (auto it = t->partitions.lower_bound(start); it != t->partitions.end(); ++it) {
    if (filter && !filter->Matches(it->first)) continue;
    if (out.items.size() == size) {
      out.next_token = Token("part", json(it->first).dump());
      break;
    }
    out.items.push_back(it->second);
  }
  return out;
}

Result<std::vector<aws::GluePartition>> GlueModel::GetPartitions(const std::string& database,
                                                                 const std::string& table) {
  std::vector<aws::GluePartition> all;
  std::string token;
  do {
    ASSIGN_OR_RETURN(auto page, GetPartitionsPage(database, table, token, 0));
    for (auto& p : page.items) all.push_back(std::move(p));
    token = std::move(page.next_token);
  } while (!token.empty());
  return all;
}

Status GlueModel::CreatePartition(const std::string& database, const std::string& table,
                                  const aws::GluePartition& partition) {
  ASSIGN_OR_RETURN(auto errors, BatchCreatePartition(database, table, {partition}));
  if (errors.empty()) return Status::Ok();
  return ServiceError("CreatePartition", errors[0].error_code, errors[0].error_message);
}

Result<aws::GluePartition> GlueModel::GetPartition(const std::string& database,
                                                   const std::string& table,
                                                   const std::vector<std::string>& values) {
  constexpr std::string_view kOp = "GetPartition";
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
  auto it = t->partitions.find(values);
  if (it == t->partitions.end())
    return NotFound(kOp, "Cannot find partition " + ValuesText(values) + ".");
  return it->second;
}

Status GlueModel::UpdatePartition(const std::string& database, const std::string& table,
                                  const std::vector<std::string>& values,
                                  const aws::GluePartition& partition) {
  constexpr std::string_view kOp = "UpdatePartition";
  uint64_t seq;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
    auto it = t->partitions.find(values);
    if (it == t->partitions.end())
      return NotFound(kOp, "Cannot find partition " + ValuesText(values) + ".");
    aws::GluePartition next = partition;
    if (next.values.empty()) next.values = values;
    if (std::string bad = BadPartitionValues(t->table.partition_keys.size(), next.values);
        !bad.empty())
      return InvalidInput(kOp, bad);
    if (next.values != values && t->partitions.count(next.values))
      return AlreadyExists(kOp, "Partition already exists.");
    json pj = GluePartitionInputJson(next);
    pj["t"] = ToUnixNanos(it->second.creation_time);
    seq = RecordLocked({{"op", "movepart"},
                        {"db", t->table.database_name},
                        {"table", t->table.name},
                        {"from", values},
                        {"part", std::move(pj)}});
  }
  return ctx_.journal().Commit(seq);
}

Status GlueModel::DeletePartition(const std::string& database, const std::string& table,
                                  const std::vector<std::string>& values) {
  ASSIGN_OR_RETURN(auto errors, BatchDeletePartition(database, table, {values}));
  if (errors.empty()) return Status::Ok();
  return ServiceError("DeletePartition", errors[0].error_code, errors[0].error_message);
}

Result<std::vector<aws::GluePartition>> GlueModel::BatchGetPartition(
    const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  constexpr std::string_view kOp = "BatchGetPartition";
  if (values.empty() || values.size() > kMaxBatchGet)
    return InvalidInput(kOp, "PartitionsToGet must hold between 1 and 1000 partitions.");
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
  std::vector<aws::GluePartition> out;
  for (const auto& v : values)
    if (auto it = t->partitions.find(v); it != t->partitions.end()) out.push_back(it->second);
  return out;
}

Result<std::vector<aws::GluePartitionError>> GlueModel::BatchDeletePartition(
    const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values) {
  constexpr std::string_view kOp = "BatchDeletePartition";
  if (values.empty() || values.size() > kMaxBatchDelete)
    return InvalidInput(kOp, "PartitionsToDelete must hold between 1 and 25 partitions.");
  std::vector<aws::GluePartitionError> errors;
  uint64_t seq = 0;
  {
    std::lock_guard lock(mu_);
    ASSIGN_OR_RETURN(Table * t, FindTableLocked(kOp, database, table));
    json gone = json::array();
    std::map<std::vector<std::string>, bool> in_batch;
    for (const auto& v : values) {
      if (!t->partitions.count(v) || in_batch.count(v)) {
        errors.push_back(
            {v, "EntityNotFoundException", "Cannot find partition " + ValuesText(v) + "."});
        continue;
      }
      in_batch[v] = true;
      gone.push_back(v);
    }
    if (gone.empty()) return errors;
    seq = RecordLocked({{"op", "delparts"},
                        {"db", t->table.database_name},
                        {"table", t->table.name},
                        {"values", std::move(gone)}});
  }
  RETURN_IF_ERROR(ctx_.journal().Commit(seq));
  return errors;
}

}  // namespace steady::region
